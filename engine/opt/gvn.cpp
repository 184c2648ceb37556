// Global value numbering over the dominator tree (see passes.h): a scoped hash
// table of instructions, walked in dominator-tree pre-order; entering a block adds
// its instructions, leaving it takes them out again, so a lookup only ever finds
// instructions that dominate the one looked up.
#include "engine/opt/dominators.h"
#include "engine/opt/passes.h"

namespace wk::engine::opt {

namespace {

class ValueNumbering {
public:
    explicit ValueNumbering(Function& function)
        : m_function(function)
    {
    }

    Result<u32> run();

private:
    // The operands as they compare: resolved, and for commutative ops in index order.
    void key_args(Inst inst, Value& a, Value& b) const
    {
        Span<const u32> args = m_function.args(inst);
        a = args.size() > 0 ? m_function.resolve(args[0]) : kNone;
        b = args.size() > 1 ? m_function.resolve(args[1]) : kNone;
        if (has_effect(m_function.inst(inst).op, fx::kCommutative) && b < a) {
            Value t = a;
            a = b;
            b = t;
        }
    }
    u64 hash(Inst inst) const
    {
        const InstData& data = m_function.inst(inst);
        Value a, b;
        key_args(inst, a, b);
        u64 h = static_cast<u64>(data.op) * 0x9E37'79B9'7F4A'7C15ull;
        auto mix = [&](u64 v) { h = (h ^ v) * 0xFF51'AFD7'ED55'8CCDull; h ^= h >> 29; };
        mix(static_cast<u64>(data.type) | u64 { data.flags } << 8 | u64 { data.access_log2 } << 16);
        mix(data.imm);
        mix(u64 { data.imm2 } << 32 | data.imm3);
        mix(u64 { a } << 32 | b);
        Span<const u32> args = m_function.args(inst);
        for (u32 k = 2; k < args.size(); ++k)
            mix(m_function.resolve(args[k]));
        return h;
    }
    bool equal(Inst x, Inst y) const
    {
        const InstData& p = m_function.inst(x);
        const InstData& q = m_function.inst(y);
        if (p.op != q.op || p.type != q.type || p.flags != q.flags || p.access_log2 != q.access_log2
            || p.imm != q.imm || p.imm2 != q.imm2 || p.imm3 != q.imm3)
            return false;
        Span<const u32> xs = m_function.args(x);
        Span<const u32> ys = m_function.args(y);
        if (xs.size() != ys.size())
            return false;
        Value xa, xb, ya, yb;
        key_args(x, xa, xb);
        key_args(y, ya, yb);
        if (xa != ya || xb != yb)
            return false;
        for (u32 k = 2; k < xs.size(); ++k) {
            if (m_function.resolve(xs[k]) != m_function.resolve(ys[k]))
                return false;
        }
        return true;
    }
    Result<void> visit_block(Block block);

    Function& m_function;
    Vector<u32> m_slots; // instruction or kNone; linear probing, never more than half full
    Vector<u32> m_undo;  // slots filled, in order, to empty on leaving scopes
    u32 m_changes { 0 };
};

Result<void> ValueNumbering::visit_block(Block block)
{
    usize mask = m_slots.size() - 1;
    for (Inst inst : m_function.insts(block)) {
        const InstData& data = m_function.inst(inst);
        if (data.dead || data.result_count != 1 || !is_value_numberable(data.op))
            continue;
        usize slot = hash(inst) & mask;
        for (;;) {
            u32 other = m_slots[slot];
            if (other == kNone) {
                m_slots[slot] = inst;
                TRY(m_undo.try_append(static_cast<u32>(slot)));
                break;
            }
            if (equal(other, inst)) {
                Value result = m_function.result(inst);
                m_function.kill_inst(inst);
                m_function.make_alias(result, m_function.result(other));
                ++m_changes;
                break;
            }
            slot = (slot + 1) & mask;
        }
    }
    return {};
}

Result<u32> ValueNumbering::run()
{
    DominatorTree dominators;
    TRY(dominators.compute(m_function));
    usize capacity = 16;
    while (capacity < usize { m_function.inst_count() } * 2)
        capacity *= 2;
    TRY(m_slots.try_resize(capacity, kNone));

    // Explicit pre-order walk: (block, undo mark) pairs; a block is left once its
    // children are done. Entries in the undo log are emptied in reverse order, which
    // keeps linear probing chains intact (a later entry never sits before an earlier
    // one it probed past).
    Vector<u32> stack;
    Block entry = m_function.entry();
    TRY(stack.try_append(entry));
    TRY(stack.try_append(0));
    TRY(stack.try_append(dominators.first_child(entry)));
    TRY(visit_block(entry));
    while (!stack.is_empty()) {
        Block child = stack.last();
        if (child != kNone) {
            stack.last() = dominators.next_sibling(child);
            TRY(stack.try_append(child));
            TRY(stack.try_append(static_cast<u32>(m_undo.size())));
            TRY(stack.try_append(dominators.first_child(child)));
            TRY(visit_block(child));
            continue;
        }
        u32 mark = stack[stack.size() - 2];
        while (m_undo.size() > mark)
            m_slots[m_undo.pop_back()] = kNone;
        truncate(stack, stack.size() - 3);
    }
    m_function.sweep_dead_insts();
    m_function.resolve_aliases();
    return m_changes;
}

} // namespace

Result<u32> value_number(Function& function)
{
    ValueNumbering numbering(function);
    return numbering.run();
}

} // namespace wk::engine::opt
