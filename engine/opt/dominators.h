#pragma once

#include "base/result.h"
#include "base/vector.h"
#include "engine/opt/ir.h"

namespace wk::engine::opt {

// The dominator tree of a Function's reachable blocks (Lengauer and Tarjan, O(E log V)
// also for deep nests of loops), with reverse post-order and pre/post
// numbers of the tree so that dominates() is two compares. Recompute after any
// change to the control flow graph.
class DominatorTree {
public:
    Result<void> compute(const Function& function);

    // Reachable blocks in reverse post-order; the entry first.
    Span<const Block> rpo() const { return m_rpo.span(); }
    bool is_reachable(Block block) const { return block < m_rpo_index.size() && m_rpo_index[block] != kNone; }
    Block idom(Block block) const { return m_idom[block]; } // the entry's is itself
    bool dominates(Block a, Block b) const
    {
        return m_pre[a] <= m_pre[b] && m_post[b] <= m_post[a];
    }
    // Children in the dominator tree, for walks in tree pre-order.
    Block first_child(Block block) const { return m_first_child[block]; }
    Block next_sibling(Block block) const { return m_next_sibling[block]; }

private:
    Result<void> compute_idoms(const Function& function, Span<const Block> preorder, Span<const u32> parent);
    u32 eval(u32 vertex);

    Vector<Block> m_rpo;
    Vector<u32> m_rpo_index;
    Vector<Block> m_idom;
    Vector<Block> m_first_child;
    Vector<Block> m_next_sibling;
    Vector<u32> m_pre;
    Vector<u32> m_post;
    Vector<u32> m_stack;
    // Lengauer and Tarjan's arrays, per DFS pre-order number.
    Vector<u32> m_semi;
    Vector<u32> m_label;
    Vector<u32> m_ancestor;
    Vector<u32> m_vertex_idom;
    Vector<u32> m_bucket;
    Vector<u32> m_bucket_next;
};

// The successors of a block: the targets of its terminator's edges.
template<typename Callback>
void for_each_successor(const Function& function, Block block, Callback callback)
{
    Inst term = function.terminator(block);
    if (term == kNone)
        return;
    const InstData& data = function.inst(term);
    for (u32 e = 0; e < data.edge_count; ++e)
        callback(function.edge(data.first_edge + e).to);
}

} // namespace wk::engine::opt
