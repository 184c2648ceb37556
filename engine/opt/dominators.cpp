#include "engine/opt/dominators.h"

namespace wk::engine::opt {

Result<void> DominatorTree::compute(const Function& function)
{
    u32 count = function.block_count();
    m_rpo.clear();
    TRY(m_rpo_index.try_resize(count));
    TRY(m_idom.try_resize(count));
    TRY(m_first_child.try_resize(count));
    TRY(m_next_sibling.try_resize(count));
    TRY(m_pre.try_resize(count));
    TRY(m_post.try_resize(count));
    for (u32 b = 0; b < count; ++b) {
        m_rpo_index[b] = kNone;
        m_idom[b] = kNone;
        m_first_child[b] = kNone;
        m_next_sibling[b] = kNone;
        m_pre[b] = kNone; // unreachable blocks neither dominate nor are dominated
        m_post[b] = kNone;
    }

    // Post-order by an explicit DFS: the stack holds (block, next edge) pairs; the
    // rpo index doubles as the visited mark until the numbers are assigned.
    Block entry = function.entry();
    Vector<Block> post;
    TRY(post.try_reserve(count));
    m_stack.clear();
    TRY(m_stack.try_append(entry));
    TRY(m_stack.try_append(0));
    m_rpo_index[entry] = 0;
    while (!m_stack.is_empty()) {
        u32 next = m_stack.last();
        Block b = m_stack[m_stack.size() - 2];
        Inst term = function.terminator(b);
        u32 edges = term == kNone ? 0 : function.inst(term).edge_count;
        if (next < edges) {
            m_stack.last() = next + 1;
            Block to = function.edge(function.inst(term).first_edge + next).to;
            if (m_rpo_index[to] == kNone) {
                m_rpo_index[to] = 0;
                TRY(m_stack.try_append(to));
                TRY(m_stack.try_append(0));
            }
            continue;
        }
        truncate(m_stack, m_stack.size() - 2);
        TRY(post.try_append(b));
    }
    TRY(m_rpo.try_reserve(post.size()));
    for (usize i = post.size(); i > 0; --i) {
        m_rpo_index[post[i - 1]] = static_cast<u32>(m_rpo.size());
        TRY(m_rpo.try_append(post[i - 1]));
    }

    // Iterate to the fixed point over predecessors in reverse post-order.
    m_idom[entry] = entry;
    bool changed = true;
    while (changed) {
        changed = false;
        for (usize i = 1; i < m_rpo.size(); ++i) {
            Block b = m_rpo[i];
            Block new_idom = kNone;
            for (u32 e : function.preds(b)) {
                Block p = function.edge(e).from;
                if (!is_reachable(p) || m_idom[p] == kNone)
                    continue;
                new_idom = new_idom == kNone ? p : intersect(p, new_idom);
            }
            if (new_idom != m_idom[b]) {
                m_idom[b] = new_idom;
                changed = true;
            }
        }
    }

    // Children lists (in reverse post-order), then pre/post numbers by an explicit walk.
    for (usize i = m_rpo.size(); i > 1; --i) {
        Block b = m_rpo[i - 1];
        Block parent = m_idom[b];
        m_next_sibling[b] = m_first_child[parent];
        m_first_child[parent] = b;
    }
    u32 clock = 0;
    m_stack.clear();
    m_pre[entry] = clock++;
    TRY(m_stack.try_append(entry));
    TRY(m_stack.try_append(m_first_child[entry]));
    while (!m_stack.is_empty()) {
        Block cursor = m_stack.last();
        if (cursor != kNone) {
            m_stack.last() = m_next_sibling[cursor];
            m_pre[cursor] = clock++;
            TRY(m_stack.try_append(cursor));
            TRY(m_stack.try_append(m_first_child[cursor]));
            continue;
        }
        m_post[m_stack[m_stack.size() - 2]] = clock++;
        truncate(m_stack, m_stack.size() - 2);
    }
    return {};
}

Block DominatorTree::intersect(Block a, Block b) const
{
    while (a != b) {
        while (m_rpo_index[a] > m_rpo_index[b])
            a = m_idom[a];
        while (m_rpo_index[b] > m_rpo_index[a])
            b = m_idom[b];
    }
    return a;
}

} // namespace wk::engine::opt
