// SSA construction for wasm locals (Braun et al. 2013, see builder.h), with block
// parameters for phis and an explicit work stack instead of recursion.
//
// Definitions live in two places: m_region_value for the blocks of the current region
// (stamped, so switching regions costs nothing), and m_definitions for blocks that
// have ended. A block is sealed once all its predecessors are known; only loop
// headers are filled while unsealed. Trivial parameters (every argument the same
// value) are removed as soon as their arguments are complete; those that become
// trivial only later are left to the simplify pass.
#include <bit>

#include "engine/opt/builder.h"

namespace wk::engine::opt {

namespace {

u64 definition_key(Block block, u32 local) { return (u64 { block } << 32) | local; }

} // namespace

Result<void> DefinitionTable::set(u64 key, Value value)
{
    if ((m_used + 1) * 2 > m_slots.size())
        TRY(grow());
    usize mask = m_slots.size() - 1;
    for (usize slot = hash(key) & mask;; slot = (slot + 1) & mask) {
        Slot& entry = m_slots[slot];
        if (entry.generation != m_generation) {
            entry = Slot { key, value, m_generation };
            ++m_used;
            return {};
        }
        if (entry.key == key) {
            entry.value = value;
            return {};
        }
    }
}

Result<void> DefinitionTable::grow()
{
    Vector<Slot> old = std::move(m_slots);
    usize capacity = old.size() < 64 ? 128 : old.size() * 2;
    TRY(m_slots.try_resize(capacity));
    m_shift = static_cast<u32>(64 - std::countr_zero(capacity));
    u32 generation = m_generation;
    m_generation = 1;
    m_used = 0;
    for (const Slot& entry : old) {
        if (entry.generation == generation)
            TRY(set(entry.key, entry.value));
    }
    return {};
}

void DefinitionTable::clear()
{
    m_used = 0;
    if (++m_generation == 0) {
        // Wrapped: no stale slot may look current.
        for (Slot& entry : m_slots)
            entry.generation = 0;
        m_generation = 1;
    }
}

Value Builder::lookup(u32 local, Block block) const
{
    if (block == m_current) {
        if (m_region_stamp[local] == m_region)
            return m_region_value[local];
        return kNone;
    }
    return m_definitions.get(definition_key(block, local));
}

Result<void> Builder::write_local(u32 local, Block block, Value value)
{
    if (block == m_current) {
        m_region_value[local] = value;
        m_region_stamp[local] = m_region;
        if (m_dirty_stamp[local] != block) {
            m_dirty_stamp[local] = block;
            TRY(m_dirty.try_append(local));
        }
        return {};
    }
    return m_definitions.set(definition_key(block, local), value);
}

Result<void> Builder::flush_definitions()
{
    for (u32 local : m_dirty) {
        TRY(m_definitions.set(definition_key(m_current, local), m_region_value[local]));
        m_dirty_stamp[local] = kNone;
    }
    m_dirty.clear();
    return {};
}

Result<Value> Builder::read_local(u32 local, Block block)
{
    Value value = lookup(local, block);
    if (value != kNone) [[likely]]
        return m_function->resolve(value);
    return read_local_slow(local, block);
}

Result<Value> Builder::descend(u32 local, Block block)
{
    Function& function = *m_function;
    m_path.clear();
    Value result = kNone;
    bool pending = false;
    for (;;) {
        if (!m_sealed[block]) {
            result = TRY(function.append_param(block, m_local_types[local]));
            TRY(m_incomplete.try_append(Incomplete { block, local, result }));
            TRY(write_local(local, block, result));
            break;
        }
        Span<const u32> preds = function.preds(block);
        if (preds.size() == 1) {
            TRY(m_path.try_append(block));
            Block pred = function.edge(preds[0]).from;
            Value value = lookup(local, pred);
            if (value != kNone) {
                result = function.resolve(value);
                break;
            }
            block = pred;
            continue;
        }
        if (preds.empty())
            return Error::from("optimising tier: local read with no definition", ErrorKind::Generic, m_offset);
        result = TRY(function.append_param(block, m_local_types[local]));
        TRY(write_local(local, block, result));
        TRY(m_work.try_append(PhiWork { block, result, 0 }));
        pending = true;
        break;
    }
    for (Block on_path : m_path)
        TRY(write_local(local, on_path, result));
    return pending ? kNone : result;
}

Result<Value> Builder::read_local_slow(u32 local, Block block)
{
    Function& function = *m_function;
    m_work.clear();
    Value result = TRY(descend(local, block));
    for (;;) {
        if (result != kNone) {
            if (m_work.is_empty())
                return result;
            PhiWork& work = m_work.last();
            u32 edge = function.preds(work.block)[work.next_pred];
            TRY(function.lists().push(function.edge(edge).args, result));
            ++work.next_pred;
            result = kNone;
        }
        PhiWork& work = m_work.last();
        Span<const u32> preds = function.preds(work.block);
        if (work.next_pred < preds.size()) {
            Block pred = function.edge(preds[work.next_pred]).from;
            Value value = lookup(local, pred);
            result = value != kNone ? function.resolve(value) : TRY(descend(local, pred));
            continue;
        }
        result = remove_trivial_param(work.block, work.param);
        m_work.pop_back();
    }
}

Value Builder::remove_trivial_param(Block block, Value param)
{
    Function& function = *m_function;
    u32 index = function.value(param).index;
    Value same = kNone;
    for (u32 edge : function.preds(block)) {
        Value arg = function.resolve(function.edge_args(edge)[index]);
        if (arg == same || arg == param)
            continue;
        if (same != kNone)
            return param;
        same = arg;
    }
    if (same == kNone)
        return param;
    function.remove_param(block, index);
    function.make_alias(param, same);
    return same;
}

Result<void> Builder::seal(Block block)
{
    Function& function = *m_function;
    m_sealing.clear();
    usize kept = 0;
    for (usize k = 0; k < m_incomplete.size(); ++k) {
        if (m_incomplete[k].block == block)
            TRY(m_sealing.try_append(m_incomplete[k]));
        else
            m_incomplete[kept++] = m_incomplete[k];
    }
    truncate(m_incomplete, kept);
    m_sealed[block] = 1;
    for (const Incomplete& incomplete : m_sealing) {
        u32 pred_count = static_cast<u32>(function.preds(block).size());
        for (u32 k = 0; k < pred_count; ++k) {
            Block pred = function.edge(function.preds(block)[k]).from;
            Value value = TRY(read_local(incomplete.local, pred));
            TRY(function.lists().push(function.edge(function.preds(block)[k]).args, value));
        }
        remove_trivial_param(block, incomplete.param);
    }
    return {};
}

} // namespace wk::engine::opt
