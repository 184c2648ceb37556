// Control-flow cleanup (see passes.h): jump threading through blocks that only jump,
// and merging a block into its only predecessor when that predecessor jumps to it.
#include "engine/opt/passes.h"

namespace wk::engine::opt {

namespace {

// A block other than the entry whose only instruction is an unconditional jump to
// another block, and which has no parameters: its predecessors can go straight on.
bool is_forwarder(const Function& function, Block block)
{
    if (block == function.entry() || !function.params(block).empty() || function.insts(block).size() != 1)
        return false;
    const InstData& jump = function.inst(function.insts(block)[0]);
    return jump.op == Op::Jump && function.edge(jump.first_edge).to != block;
}

// Sends the predecessors of forwarder `block` straight to its target and drops it.
Result<void> thread_one(Function& function, Block block)
{
    Inst jump = function.insts(block)[0];
    u32 through = function.inst(jump).first_edge;
    Block target = function.edge(through).to;
    // A value passed on dominates this block and is not defined in it, so it dominates
    // the end of every predecessor too. The predecessors move in one go (taking them off
    // one by one from the front was quadratic in their number; pushing may move the pool,
    // so by index).
    ListPool& lists = function.lists();
    List& preds = function.block(block).preds;
    for (u32 k = 0; k < lists.size(preds); ++k) {
        Edge& data = function.edge(lists.get(preds, k));
        data.to = target;
        lists.free(data.args);
        data.args = TRY(lists.make(function.edge_args(through)));
        TRY(lists.push(function.block(target).preds, lists.get(preds, k)));
    }
    lists.free(preds);
    function.kill_inst(jump);
    function.block(block).in_layout = false;
    return {};
}

Result<u32> thread_jumps(Function& function)
{
    // A chain of forwarders is threaded from its last one: the predecessors of each then
    // move to where the chain ends, once. Threaded from its first, each forwarder handed
    // all it had gathered to the next: n^2 / 2 edge moves for a chain of n (20,000 nested
    // blocks left by br_if to every depth: 93 s and 2 GB before the function fell back).
    enum : u8 { Unseen, OnChain, Done };
    Vector<u8> state;
    TRY(state.try_resize(function.block_count(), Unseen));
    Vector<Block> chain;
    u32 changes = 0;
    for (Block start : function.layout()) {
        // Follow the jumps while they reach forwarders not yet met (a cycle of forwarders
        // ends the walk where it closes).
        for (Block b = start; state[b] == Unseen && function.block(b).in_layout && is_forwarder(function, b);) {
            state[b] = OnChain;
            TRY(chain.try_append(b));
            b = function.edge(function.inst(function.insts(b)[0]).first_edge).to;
        }
        while (!chain.is_empty()) {
            Block block = chain.pop_back();
            state[block] = Done;
            // Threading a later one may have made this one jump to itself.
            if (!is_forwarder(function, block))
                continue;
            TRY(thread_one(function, block));
            ++changes;
        }
    }
    if (changes)
        function.compact_layout();
    return changes;
}

Result<u32> merge_blocks(Function& function)
{
    u32 changes = 0;
    for (Block block : function.layout()) {
        if (!function.block(block).in_layout)
            continue;
        for (;;) {
            Inst jump = function.terminator(block);
            if (jump == kNone || function.inst(jump).op != Op::Jump)
                break;
            u32 edge = function.inst(jump).first_edge;
            Block next = function.edge(edge).to;
            if (next == block || next == function.entry() || function.preds(next).size() != 1)
                break;
            // The parameters of `next` become the jump's arguments.
            Span<const u32> params = function.params(next);
            for (u32 k = 0; k < params.size(); ++k)
                function.make_alias(params[k], function.resolve(function.edge_args(edge)[k]));
            function.kill_inst(jump);
            List& insts = function.block(block).insts;
            function.lists().truncate(insts, static_cast<u32>(function.insts(block).size()) - 1);
            for (u32 k = 0; k < function.insts(next).size(); ++k) {
                Inst moved = function.insts(next)[k];
                function.inst(moved).block = block;
                TRY(function.lists().push(function.block(block).insts, moved));
            }
            Inst term = function.terminator(block);
            if (term != kNone) {
                const InstData& data = function.inst(term);
                for (u32 e = 0; e < data.edge_count; ++e)
                    function.edge(data.first_edge + e).from = block;
            }
            function.block(next).in_layout = false;
            ++changes;
        }
    }
    if (changes) {
        function.compact_layout();
        function.resolve_aliases();
    }
    return changes;
}

} // namespace

Result<u32> simplify_cfg(Function& function)
{
    u32 changes = TRY(thread_jumps(function));
    changes += TRY(merge_blocks(function));
    return changes;
}

Block existing_preheader(const Function& function, Span<const u32> outside)
{
    if (outside.size() != 1)
        return kNone;
    Block from = function.edge(outside[0]).from;
    return function.inst(function.terminator(from)).edge_count == 1 ? from : kNone;
}

Result<void> fill_preheader(Function& function, Block header, Span<const u32> outside, Block block)
{
    Vector<Value> params;
    for (u32 k = 0; k < function.params(header).size(); ++k) {
        Type type = function.value(function.params(header)[k]).type;
        TRY(params.try_append(TRY(function.append_param(block, type))));
    }
    for (u32 edge : outside) {
        function.unlink_edge(edge);
        Edge& data = function.edge(edge);
        data.dead = 0;
        data.to = block;
        TRY(function.lists().push(function.block(block).preds, edge));
    }
    EdgeSpec into { header, params.span() };
    TRY(function.append_terminator(block, Op::Jump, {}, Span<const EdgeSpec>(&into, 1)));
    return {};
}

} // namespace wk::engine::opt
