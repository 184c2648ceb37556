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
    // rpo index doubles as the visited mark until the numbers are assigned. The order
    // of discovery is the DFS pre-order (in m_pre until the tree's numbers replace it)
    // and the block a block is found from its DFS parent, for compute_idoms.
    Block entry = function.entry();
    Vector<Block> post;
    Vector<Block> preorder;
    Vector<u32> parent;
    TRY(post.try_reserve(count));
    TRY(preorder.try_reserve(count));
    TRY(parent.try_reserve(count));
    m_stack.clear();
    TRY(m_stack.try_append(entry));
    TRY(m_stack.try_append(0));
    m_rpo_index[entry] = 0;
    m_pre[entry] = 0;
    TRY(preorder.try_append(entry));
    TRY(parent.try_append(0));
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
                m_pre[to] = static_cast<u32>(preorder.size());
                TRY(preorder.try_append(to));
                TRY(parent.try_append(m_pre[b]));
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
    TRY(compute_idoms(function, preorder.span(), parent.span()));

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

// Lengauer and Tarjan's algorithm ("A Fast Algorithm for Finding Dominators in a
// Flowgraph", 1979), the simple version: semi-dominators in reverse DFS pre-order
// over a forest with path compression, O(E log V). (Cooper, Harvey and Kennedy's
// iteration, used before, intersects along the tree once per predecessor and round:
// O(V x depth), quadratic for deep nests of loops.) Vertices are pre-order numbers;
// m_pre holds each reachable block's on entry.
Result<void> DominatorTree::compute_idoms(const Function& function, Span<const Block> preorder, Span<const u32> parent)
{
    u32 n = static_cast<u32>(preorder.size());
    TRY(m_semi.try_resize(n));
    TRY(m_label.try_resize(n));
    TRY(m_ancestor.try_resize(n));
    TRY(m_vertex_idom.try_resize(n));
    TRY(m_bucket.try_resize(n));
    TRY(m_bucket_next.try_resize(n));
    m_stack.clear();
    TRY(m_stack.try_reserve(n)); // eval's paths, so that it cannot fail
    for (u32 v = 0; v < n; ++v) {
        m_semi[v] = m_label[v] = v;
        m_ancestor[v] = m_bucket[v] = m_bucket_next[v] = kNone;
        m_vertex_idom[v] = 0;
    }
    for (u32 w = n; w-- > 1;) {
        for (u32 edge : function.preds(preorder[w])) {
            Block from = function.edge(edge).from;
            if (!is_reachable(from))
                continue;
            u32 u = eval(m_pre[from]);
            if (m_semi[u] < m_semi[w])
                m_semi[w] = m_semi[u];
        }
        m_bucket_next[w] = m_bucket[m_semi[w]];
        m_bucket[m_semi[w]] = w;
        u32 p = parent[w];
        m_ancestor[w] = p;
        for (u32 v = m_bucket[p]; v != kNone; v = m_bucket_next[v]) {
            u32 u = eval(v);
            m_vertex_idom[v] = m_semi[u] < m_semi[v] ? u : p;
        }
        m_bucket[p] = kNone;
    }
    for (u32 w = 1; w < n; ++w) {
        if (m_vertex_idom[w] != m_semi[w])
            m_vertex_idom[w] = m_vertex_idom[m_vertex_idom[w]];
        m_idom[preorder[w]] = preorder[m_vertex_idom[w]];
    }
    m_idom[preorder[0]] = preorder[0];
    return {};
}

// The vertex of least semi-dominator on the forest path above v (v itself at a root),
// compressing the path on the way, without recursion.
u32 DominatorTree::eval(u32 v)
{
    if (m_ancestor[v] == kNone)
        return v;
    m_stack.clear();
    for (u32 x = v; m_ancestor[m_ancestor[x]] != kNone; x = m_ancestor[x])
        MUST(m_stack.try_append(x));
    while (!m_stack.is_empty()) {
        u32 y = m_stack.last();
        truncate(m_stack, m_stack.size() - 1);
        u32 a = m_ancestor[y];
        if (m_semi[m_label[a]] < m_semi[m_label[y]])
            m_label[y] = m_label[a];
        m_ancestor[y] = m_ancestor[a];
    }
    return m_label[v];
}

} // namespace wk::engine::opt
