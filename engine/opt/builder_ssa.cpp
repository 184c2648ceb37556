// SSA construction for wasm locals (see builder.h and docs/optimizing-compiler.md,
// "Locals"), made for structured control flow:
//
// - each local has one current definition (m_cur), what a local.get reads;
// - a loop's header gets a parameter for each local its body assigns (a pre-pass over
//   the body, scan_loop_assignments); its entry edge and every back edge pass the
//   current definitions; a local the loop never assigns keeps its definition from
//   before the loop, which dominates the whole loop;
// - every assignment is logged once per open frame (m_log: the local, its old
//   definition), so "the locals assigned since frame F began" is m_log from
//   F.log_start. A branch to a forward merge (the end of a block or if) records those
//   with their definitions at the branch; when the frame ends, the merge gets a
//   parameter per local changed on any incoming edge (the others pass the definition
//   from the frame's start), the log is undone to the frame's start and the merged
//   locals are logged again in the enclosing frame.
//
// The work is the pre-pass's (one entry per loop and local assigned in it), one log
// entry per assignment and frame, and the log entries scanned at branches to forward
// merges; all of it counts in the builder's budget (ssa_storage), so a body built to
// blow up is refused in time linear in its size.
#include <algorithm>

#include "engine/binary/code_walker.h"
#include "engine/opt/builder.h"

namespace wk::engine::opt {

namespace {

// Which locals each loop assigns (local.set and local.tee anywhere in its body, nested
// loops included), as (loop number, local) pairs. A local assigned inside n nested loops
// is added to each of them once: walking out from the innermost open loop stops at the
// first one that has it already (every loop around that one has it too). Where that is
// is known from the innermost loop of the local's last assignment, or, if that loop has
// ended, its nearest enclosing open loop (each ended loop is passed over at most once
// per local, and each one passed over had the local: the walks cost at most the pairs).
class LoopAssignments {
public:
    LoopAssignments(Vector<u32>& pairs, usize limit)
        : m_pairs(pairs)
        , m_limit(limit)
    {
    }
    Result<void> begin(u32 local_count)
    {
        TRY(m_deepest.try_resize(local_count, kNone));
        for (u32& loop : m_deepest)
            loop = kNone;
        return {};
    }
    u32 loop_count() const { return static_cast<u32>(m_parent.size()); }
    bool over_limit() const { return m_over_limit; }
    bool finished() const { return m_finished; }
    Result<void> visit(const Instruction& instruction)
    {
        switch (instruction.opcode) {
        case Opcode::Loop: {
            u32 loop = static_cast<u32>(m_parent.size());
            TRY(m_parent.try_append(m_innermost));
            TRY(m_open.try_append(1));
            m_innermost = loop;
            return m_constructs.try_append(loop);
        }
        case Opcode::Block:
        case Opcode::If:
        case Opcode::Try:
        case Opcode::TryTable:
            return m_constructs.try_append(kNone);
        case Opcode::End:
        case Opcode::Delegate: {
            if (m_constructs.is_empty()) {
                m_finished = true; // the body's end
                return {};
            }
            u32 loop = m_constructs.pop_back();
            if (loop != kNone) {
                m_open[loop] = 0;
                m_innermost = m_parent[loop];
            }
            return {};
        }
        case Opcode::LocalSet:
        case Opcode::LocalTee:
            return assign(instruction.index0);
        default:
            return {};
        }
    }

private:
    Result<void> assign(u32 local)
    {
        if (m_innermost == kNone || local >= m_deepest.size())
            return {};
        u32 has = m_deepest[local];
        while (has != kNone && !m_open[has])
            has = m_parent[has];
        for (u32 loop = m_innermost; loop != has; loop = m_parent[loop]) {
            if (m_pairs.size() >= m_limit) {
                m_over_limit = true;
                m_finished = true;
                return {};
            }
            TRY(m_pairs.try_append(loop));
            TRY(m_pairs.try_append(local));
        }
        m_deepest[local] = m_innermost;
        return {};
    }

    Vector<u32>& m_pairs;
    usize m_limit;
    Vector<u32> m_parent; // per loop: the loop around it, or kNone
    Vector<u8> m_open;
    Vector<u32> m_constructs; // open constructs: a loop's number, kNone for others
    Vector<u32> m_deepest;    // per local: the innermost loop of its last assignment
    u32 m_innermost { kNone };
    bool m_finished { false };
    bool m_over_limit { false };
};

} // namespace

Result<void> Builder::scan_loop_assignments(u32 function_index)
{
    const Code& code = m_module.codes[function_index - m_module.imported_function_count];
    Reader reader(m_module.bytes, code.code_offset, code.offset + code.size);
    Vector<u32>& pairs = m_args; // scratch: (loop, local) pairs
    pairs.clear();
    LoopAssignments scan(pairs, m_budget);
    TRY(scan.begin(m_wasm_local_count));
    TRY(walk_code(reader, scan));
    if (scan.over_limit())
        return unsupported("implementation limit: function too large for the optimising tier");
    m_ssa_work += pairs.size();
    // Grouped by loop, each loop's locals in the order they were first assigned in it.
    u32 loops = scan.loop_count();
    TRY(m_loop_first.try_resize(usize { loops } + 1, 0));
    for (u32& first : m_loop_first)
        first = 0;
    for (usize k = 0; k < pairs.size(); k += 2)
        ++m_loop_first[pairs[k] + 1];
    for (u32 loop = 0; loop < loops; ++loop)
        m_loop_first[loop + 1] += m_loop_first[loop];
    TRY(m_loop_locals.try_resize(pairs.size() / 2, 0));
    for (usize k = 0; k < pairs.size(); k += 2)
        m_loop_locals[m_loop_first[pairs[k]]++] = pairs[k + 1];
    for (u32 loop = loops; loop > 0; --loop)
        m_loop_first[loop] = m_loop_first[loop - 1];
    m_loop_first[0] = 0;
    pairs.clear();
    return {};
}

Span<const u32> Builder::loop_locals(const Frame& loop) const
{
    if (loop.all_locals)
        return m_all_locals.span();
    if (loop.loop == kNone || loop.loop + 1 >= m_loop_first.size())
        return {};
    u32 first = m_loop_first[loop.loop];
    return m_loop_locals.span().subspan(first, m_loop_first[loop.loop + 1] - first);
}

Result<void> Builder::write_local(u32 local, Value value)
{
    u32 start = m_frames.is_empty() ? 0 : m_frames.last().log_start;
    u32 last = m_last_entry[local];
    if (last == kNone || last < start) {
        m_last_entry[local] = static_cast<u32>(m_log.size());
        TRY(m_log.try_append(LogEntry { local, m_cur[local], last }));
        ++m_ssa_work;
    }
    m_cur[local] = value;
    return {};
}

void Builder::undo_to(u32 size)
{
    for (usize k = m_log.size(); k > size; --k) {
        const LogEntry& entry = m_log[k - 1];
        m_cur[entry.local] = entry.old;
        m_last_entry[entry.local] = entry.prev;
    }
    truncate(m_log, size);
}

// NOTE: a local has at most one entry per frame in its segment (write_local, and the
// merges logged anew), so an entry whose previous one lies in the enclosing frame's
// segment is a duplicate there: the older entry keeps the older definition.
void Builder::fold_log_into_parent(u32 start)
{
    u32 parent_start = m_frames.last().log_start;
    usize kept = start;
    for (usize k = start; k < m_log.size(); ++k) {
        LogEntry entry = m_log[k];
        if (entry.prev != kNone && entry.prev >= parent_start) {
            m_last_entry[entry.local] = entry.prev;
            continue;
        }
        m_last_entry[entry.local] = static_cast<u32>(kept);
        m_log[kept++] = entry;
    }
    m_ssa_work += m_log.size() - start;
    truncate(m_log, kept);
}

Result<void> Builder::mark_local_params(Block block, u32 first)
{
    if (m_local_first.size() <= block)
        TRY(m_local_first.try_resize(usize { block } + 1, kNone));
    m_local_first[block] = first;
    return {};
}

Result<void> Builder::prune_local_params()
{
    Function& function = *m_function;
    if (m_local_first.is_empty())
        return {};
    TRY(m_local_first.try_resize(function.block_count(), kNone));
    m_live.clear();
    TRY(m_live.try_resize(function.value_count(), 0));
    m_args.clear(); // the work stack
    auto mark = [&](Value value) -> Result<void> {
        if (m_live[value] || function.value(value).kind != ValueKind::Param)
            return {};
        m_live[value] = 1;
        return m_args.try_append(value);
    };
    for (Block block : function.layout()) {
        for (Inst inst : function.insts(block)) {
            for (Value arg : function.args(inst))
                TRY(mark(arg));
            const InstData& data = function.inst(inst);
            for (u32 edge = data.first_edge; edge < data.first_edge + data.edge_count; ++edge) {
                Span<const u32> args = function.edge_args(edge);
                u32 first = std::min<u32>(m_local_first[function.edge(edge).to], static_cast<u32>(args.size()));
                for (u32 k = 0; k < first; ++k)
                    TRY(mark(args[k]));
            }
        }
    }
    while (!m_args.is_empty()) {
        Value param = m_args.pop_back();
        const ValueData& data = function.value(param);
        if (m_local_first[data.def] == kNone || data.index < m_local_first[data.def])
            continue; // its arguments are marked already
        for (u32 edge : function.preds(data.def))
            TRY(mark(function.edge_args(edge)[data.index]));
    }
    ListPool& lists = function.lists();
    for (Block block : function.layout()) {
        u32 first = m_local_first[block];
        if (first == kNone || block == function.entry())
            continue;
        List& params = function.block(block).params;
        u32 count = lists.size(params);
        u32 kept = first;
        for (u32 k = first; k < count; ++k) {
            Value param = lists.get(params, k);
            if (!m_live[param]) {
                function.value(param).kind = ValueKind::Dead;
                continue;
            }
            lists.set(params, kept, param);
            function.value(param).index = kept;
            for (u32 edge : function.preds(block))
                lists.set(function.edge(edge).args, kept, lists.get(function.edge(edge).args, k));
            ++kept;
        }
        if (kept == count)
            continue;
        lists.truncate(params, kept);
        for (u32 edge : function.preds(block))
            lists.truncate(function.edge(edge).args, kept);
    }
    return {};
}

Result<void> Builder::add_header_params(Block header, const Frame& loop)
{
    TRY(mark_local_params(header, static_cast<u32>(m_function->params(header).size())));
    for (u32 local : loop_locals(loop))
        TRY(m_function->append_param(header, m_local_types[local]));
    if (loop.flag)
        TRY(m_function->append_param(header, m_local_types[m_flag_local]));
    return {};
}

Result<void> Builder::append_local_args(const Frame& target, Vector<Value>& args)
{
    if (target.kind != FrameKind::Loop)
        return {};
    for (u32 local : loop_locals(target))
        TRY(args.try_append(read_local(local)));
    if (target.flag)
        TRY(args.try_append(read_local(m_flag_local)));
    return {};
}

Result<void> Builder::define_header_locals(const Frame& loop)
{
    Span<const u32> params = m_function->params(loop.target);
    u32 k = loop.param_count;
    for (u32 local : loop_locals(loop))
        TRY(write_local(local, params[k++]));
    if (loop.flag)
        TRY(write_local(m_flag_local, params[k]));
    return {};
}

Result<void> Builder::note_incoming(Frame& target, u32 edge)
{
    if (target.kind != FrameKind::Block && target.kind != FrameKind::If)
        return {};
    u32 first = static_cast<u32>(m_changes.size());
    ++m_stamp;
    // The first entry of a local in the segment holds its definition at the frame's start.
    for (usize k = target.log_start; k < m_log.size(); ++k) {
        const LogEntry& entry = m_log[k];
        if (m_seen[entry.local] == m_stamp)
            continue;
        m_seen[entry.local] = m_stamp;
        Value value = read_local(entry.local);
        if (value != m_function->resolve(entry.old))
            TRY(m_changes.try_append(Change { entry.local, value, entry.old }));
    }
    m_ssa_work += m_log.size() - target.log_start;
    TRY(m_incoming.try_append(Incoming { edge, first, static_cast<u32>(m_changes.size()) - first, target.incoming }));
    target.incoming = static_cast<u32>(m_incoming.size()) - 1;
    return {};
}

Result<void> Builder::note_branch(u32 depth, Inst terminator, u32 edge_index)
{
    return note_incoming(frame(depth), m_function->inst(terminator).first_edge + edge_index);
}

Result<void> Builder::merge_locals(const Frame& frame)
{
    Function& function = *m_function;
    m_merged.clear();
    ++m_stamp;
    u32 edges = 0;
    for (u32 n = frame.incoming; n != kNone; n = m_incoming[n].next) {
        const Incoming& incoming = m_incoming[n];
        ++edges;
        for (u32 k = incoming.first; k < incoming.first + incoming.count; ++k) {
            const Change& change = m_changes[k];
            if (m_seen[change.local] == m_stamp)
                continue;
            m_seen[change.local] = m_stamp;
            m_slot[change.local] = static_cast<u32>(m_merged.size());
            TRY(m_merged.try_append(change));
        }
    }
    undo_to(frame.log_start);
    if (m_merged.is_empty())
        return {};
    // One argument per merged local on every edge: checked before it is made.
    if (function.storage_size() + ssa_storage() + u64 { edges } * m_merged.size() * 2 > m_budget)
        return unsupported("implementation limit: function too large for the optimising tier");
    Block merge = frame.target;
    u32 first = static_cast<u32>(function.params(merge).size());
    TRY(mark_local_params(merge, first));
    for (Change& merged : m_merged)
        merged.value = TRY(function.append_param(merge, m_local_types[merged.local]));
    for (u32 n = frame.incoming; n != kNone; n = m_incoming[n].next) {
        const Incoming& incoming = m_incoming[n];
        m_args.clear();
        for (const Change& merged : m_merged)
            TRY(m_args.try_append(function.resolve(merged.base)));
        for (u32 k = incoming.first; k < incoming.first + incoming.count; ++k)
            m_args[m_slot[m_changes[k].local]] = m_changes[k].value;
        for (Value arg : m_args)
            TRY(function.lists().push(function.edge(incoming.edge).args, function.resolve(arg)));
    }
    drop_trivial_params(merge, first);
    for (const Change& merged : m_merged)
        TRY(write_local(merged.local, function.resolve(merged.value)));
    return {};
}

void Builder::drop_trivial_params(Block block, u32 first)
{
    Function& function = *m_function;
    ListPool& lists = function.lists();
    Span<const u32> preds = function.preds(block);
    List& params = function.block(block).params;
    u32 count = lists.size(params);
    u32 kept = first;
    for (u32 k = first; k < count; ++k) {
        Value param = lists.get(params, k);
        Value same = kNone;
        bool trivial = true;
        for (u32 edge : preds) {
            Value arg = function.resolve(lists.get(function.edge(edge).args, k));
            if (arg == same || arg == param)
                continue;
            if (same != kNone) {
                trivial = false;
                break;
            }
            same = arg;
        }
        if (trivial && same != kNone) {
            function.make_alias(param, same);
            continue;
        }
        lists.set(params, kept, param);
        function.value(param).index = kept;
        for (u32 edge : preds)
            lists.set(function.edge(edge).args, kept, lists.get(function.edge(edge).args, k));
        ++kept;
    }
    m_ssa_work += usize { count - first } * (preds.size() + 1);
    if (kept == count)
        return;
    lists.truncate(params, kept);
    for (u32 edge : preds)
        lists.truncate(function.edge(edge).args, kept);
}

} // namespace wk::engine::opt
