#include <algorithm>

#include "engine/opt/inline.h"
#include "engine/opt/passes.h"

namespace wk::engine::opt {

Inliner::Inliner(const Module& module, InlineLimits limits)
    : m_module(module)
    , m_limits(limits)
    , m_builder(module)
{
}

u32 Inliner::counted_insts(const Function& function)
{
    u32 count = 0;
    for (Block b : function.layout()) {
        for (Inst i : function.insts(b)) {
            Op op = function.inst(i).op;
            // Constants are rematerialised where used, a return becomes a jump.
            if (op != Op::Const && op != Op::Jump && op != Op::Return)
                ++count;
        }
    }
    return count;
}

Result<bool> Inliner::prepare(u32 function_index)
{
    u32 function_count = m_module.imported_function_count + static_cast<u32>(m_module.codes.size());
    if (function_index < m_module.imported_function_count || function_index >= function_count)
        return false;
    if (m_verdicts.size() != function_count)
        TRY(m_verdicts.try_resize(function_count, Verdict::Unknown));
    Verdict& verdict = m_verdicts[function_index];
    if (verdict == Verdict::No)
        return false;
    if (verdict == Verdict::Yes && m_callee_index == function_index)
        return true;
    const Code& code = m_module.codes[function_index - m_module.imported_function_count];
    if (code.size > m_limits.max_body_bytes) {
        verdict = Verdict::No;
        return false;
    }
    m_callee_index = kNone;
    // A callee the tier refuses (SIMD, exceptions, ...) is simply not inlined; the
    // call stays and the callee is compiled on its own, by whichever tier takes it.
    auto built = m_builder.build(function_index, m_callee);
    if (built.is_error()) {
        if (built.error().kind() != ErrorKind::Unsupported)
            return built.error();
        verdict = Verdict::No;
        return false;
    }
    auto optimized = optimize(m_callee);
    if (optimized.is_error()) {
        if (optimized.error().kind() != ErrorKind::Unsupported)
            return optimized.error();
        verdict = Verdict::No;
        return false;
    }
    bool acceptable = counted_insts(m_callee) <= m_limits.max_callee_insts;
    for (Block b : m_callee.layout()) {
        for (Inst i : m_callee.insts(b)) {
            const InstData& data = m_callee.inst(i);
            // Tail calls would need their own lowering inside a caller; a call of
            // itself is recursion, which is never inlined (it must keep checking the
            // stack at every level).
            if (data.op == Op::ReturnCall || data.op == Op::ReturnCallIndirect || data.op == Op::ReturnCallRef)
                acceptable = false;
            if (data.op == Op::Call && data.imm2 == function_index)
                acceptable = false;
        }
    }
    verdict = acceptable ? Verdict::Yes : Verdict::No;
    if (acceptable)
        m_callee_index = function_index;
    return acceptable;
}

Result<bool> Inliner::is_candidate(u32 function_index)
{
    return prepare(function_index);
}

Result<u32> Inliner::run(Function& function)
{
    // The call sites first: inlined copies are never scanned (one level only).
    m_sites.clear();
    for (Block b : function.layout()) {
        for (Inst i : function.insts(b)) {
            const InstData& data = function.inst(i);
            if (data.op == Op::Call && data.imm2 != function.wasm_index())
                TRY(m_sites.try_append(i));
        }
    }
    if (m_sites.is_empty())
        return 0;
    u64 budget = u64 { counted_insts(function) } + m_limits.growth_base;
    u64 grown = 0;

    m_follow_start.clear();
    m_follow_count.clear();
    m_follow.clear();
    // The sites are chosen in order, then inlined from the last: a block's later sites
    // are split off first, so each split moves only the code up to the next site (from
    // the first, every split moved the rest of the block: quadratic in the calls of a
    // long block).
    usize chosen = 0;
    for (Inst call : m_sites) {
        u32 callee = static_cast<u32>(function.inst(call).imm2);
        if (!TRY(prepare(callee)))
            continue;
        // A callee that calls this caller back is mutual recursion: not inlined either.
        bool calls_back = false;
        for (Block b : m_callee.layout()) {
            for (Inst i : m_callee.insts(b)) {
                if (m_callee.inst(i).op == Op::Call && m_callee.inst(i).imm2 == function.wasm_index())
                    calls_back = true;
            }
        }
        if (calls_back)
            continue;
        // Every copy counts, even one of constants only, so the budget also bounds
        // how many sites are inlined.
        u32 cost = std::max(counted_insts(m_callee), 1u);
        if (grown + cost > budget)
            continue;
        grown += cost;
        m_sites[chosen++] = call;
    }
    if (chosen == 0)
        return 0;
    u32 inlined = 0;
    for (usize k = chosen; k-- > 0;) {
        Inst call = m_sites[k];
        if (!TRY(prepare(static_cast<u32>(function.inst(call).imm2))))
            continue;
        TRY(inline_site(function, call));
        ++inlined;
    }
    if (inlined == 0)
        return 0;

    // The new layout: each split block is followed by its copy of the callee and its
    // continuation; only a continuation is split again, and it comes last.
    m_layout.clear();
    Span<const Block> old_layout = function.layout();
    for (Block b : old_layout) {
        TRY(m_layout.try_append(b));
        Block current = b;
        while (current < m_follow_count.size() && m_follow_count[current] != 0) {
            u32 start = m_follow_start[current];
            u32 count = m_follow_count[current];
            for (u32 k = 0; k < count; ++k)
                TRY(m_layout.try_append(m_follow[start + k]));
            current = m_follow[start + count - 1];
        }
    }
    TRY(function.set_layout(m_layout.span()));
    function.resolve_aliases();
    // A callee that never returns leaves its continuation unreachable.
    TRY(function.remove_unreachable_blocks());
    return inlined;
}

Result<void> Inliner::inline_site(Function& function, Inst call)
{
    const Function& callee = m_callee;
    Block block = function.inst(call).block;

    // Split the calling block: what follows the call moves to a continuation block
    // whose parameters stand for the call's results.
    Span<const u32> insts = function.insts(block);
    u32 position = static_cast<u32>(insts.size());
    while (insts[--position] != call) {
    }
    m_tail.clear();
    TRY(m_tail.try_extend(insts.subspan(position + 1)));
    m_call_args.clear();
    TRY(m_call_args.try_extend(function.args(call)));

    Block continuation = TRY(function.create_block());
    const InstData call_data = function.inst(call);
    for (u32 k = 0; k < call_data.result_count; ++k) {
        Value result = function.result(call, k);
        Value param = TRY(function.append_param(continuation, function.value(result).type));
        function.make_alias(result, param);
    }
    function.block(continuation).insts = TRY(function.lists().make(m_tail.span()));
    for (Inst i : m_tail) {
        InstData& data = function.inst(i);
        data.block = continuation;
        for (u32 e = 0; e < data.edge_count; ++e)
            function.edge(data.first_edge + e).from = continuation;
    }
    function.lists().truncate(function.block(block).insts, position);
    function.inst(call).dead = 1;

    // Blocks and parameters first, so that edges can name any block; instructions in
    // the callee's reverse post-order, where every definition precedes its uses.
    TRY(m_block_map.try_resize(callee.block_count(), kNone));
    TRY(m_value_map.try_resize(callee.value_count(), kNone));
    u32 follow_start = static_cast<u32>(m_follow.size());
    for (Block b : callee.layout()) {
        Block copy = TRY(function.create_block());
        m_block_map[b] = copy;
        TRY(m_follow.try_append(copy));
        for (Value p : callee.params(b))
            m_value_map[p] = TRY(function.append_param(copy, callee.value(p).type));
    }
    TRY(m_follow.try_append(continuation));
    if (m_follow_start.size() < function.block_count()) {
        // Geometrically: try_resize alone reserves exactly, a copy per site.
        usize capacity = std::max<usize>(function.block_count(), 2 * m_follow_start.size());
        TRY(m_follow_start.try_reserve(capacity));
        TRY(m_follow_count.try_reserve(capacity));
        TRY(m_follow_start.try_resize(function.block_count(), 0));
        TRY(m_follow_count.try_resize(function.block_count(), 0));
    }
    // What followed the block (a later site's callee and continuation, split first)
    // now follows the continuation, which took the block's end.
    m_follow_start[continuation] = m_follow_start[block];
    m_follow_count[continuation] = m_follow_count[block];
    m_follow_start[block] = follow_start;
    m_follow_count[block] = static_cast<u32>(m_follow.size()) - follow_start;

    TRY(m_dominators.compute(callee));
    for (Block b : m_dominators.rpo()) {
        Block copy = m_block_map[b];
        for (Inst i : callee.insts(b)) {
            const InstData& data = callee.inst(i);
            m_args.clear();
            for (Value v : callee.args(i))
                TRY(m_args.try_append(m_value_map[v]));
            Inst made;
            if (is_terminator(data.op)) {
                m_edge_args.clear();
                m_edge_arg_start.clear();
                for (u32 e = 0; e < data.edge_count; ++e) {
                    TRY(m_edge_arg_start.try_append(static_cast<u32>(m_edge_args.size())));
                    for (Value v : callee.edge_args(data.first_edge + e))
                        TRY(m_edge_args.try_append(m_value_map[v]));
                }
                TRY(m_edge_arg_start.try_append(static_cast<u32>(m_edge_args.size())));
                m_edges.clear();
                if (data.op == Op::Return) {
                    // The callee's results become the continuation's parameters.
                    TRY(m_edges.try_append(EdgeSpec { continuation, m_args.span() }));
                    made = TRY(function.append_terminator(copy, Op::Jump, {}, m_edges.span()));
                } else {
                    for (u32 e = 0; e < data.edge_count; ++e) {
                        Span<const Value> args = m_edge_args.span().subspan(m_edge_arg_start[e],
                                                                          m_edge_arg_start[e + 1] - m_edge_arg_start[e]);
                        TRY(m_edges.try_append(EdgeSpec { m_block_map[callee.edge(data.first_edge + e).to], args }));
                    }
                    made = TRY(function.append_terminator(copy, data.op, m_args.span(), m_edges.span()));
                }
            } else {
                m_types.clear();
                for (u32 k = 0; k < data.result_count; ++k)
                    TRY(m_types.try_append(callee.value(callee.result(i, k)).type));
                made = TRY(function.append_inst(copy, data.op, m_args.span(), m_types.span()));
                for (u32 k = 0; k < data.result_count; ++k)
                    m_value_map[callee.result(i, k)] = function.result(made, k);
            }
            InstData& out = function.inst(made);
            if (data.op != Op::Return) {
                out.type = data.type;
                out.flags = data.flags;
                out.access_log2 = data.access_log2;
                out.imm = data.imm;
                out.imm2 = data.imm2;
                out.imm3 = data.imm3;
            }
            // NOTE: trap sites of the copy keep the callee's byte offsets.
            out.wasm_offset = data.wasm_offset;
            if (data.op == Op::Switch) {
                List cases { data.imm3 };
                Span<const u32> table = callee.lists().span(cases);
                function.inst(made).imm3 = TRY(function.lists().make(table)).handle;
            }
        }
    }

    // The calling block now ends by jumping into the copy with the call's arguments.
    m_edges.clear();
    TRY(m_edges.try_append(EdgeSpec { m_block_map[callee.entry()], m_call_args.span() }));
    Inst jump = TRY(function.append_terminator(block, Op::Jump, {}, m_edges.span()));
    function.inst(jump).wasm_offset = call_data.wasm_offset;
    return {};
}

} // namespace wk::engine::opt
