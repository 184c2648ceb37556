// Loop-invariant code motion (see passes.h). Natural loops come from back edges (an
// edge into a block that dominates its source); loops sharing a header are one loop.
// A nested loop's header is strictly dominated by its enclosing loop's header, so
// walking headers in reverse RPO handles inner loops first, and what they hoisted
// into their preheader (a block of the enclosing loop) can move on outwards.
//
// NOTE: the dominator tree is computed once. Creating a preheader only redirects a
// header's incoming edges from outside its loop through a new block, which changes
// no dominance relation between existing blocks; new blocks are never asked about.
#include <algorithm>

#include "engine/opt/dominators.h"
#include "engine/opt/passes.h"

namespace wk::engine::opt {

namespace {

// Pure and unable to trap: safe to run earlier, and on paths that did not run it.
bool is_hoistable(const InstData& data)
{
    if (data.dead || data.result_count == 0)
        return false;
    return !has_effect(data.op,
                       fx::kTrap | fx::kLoad | fx::kStore | fx::kGlobalRead | fx::kGlobalWrite | fx::kCall
                           | fx::kTerminator);
}

class LoopMotion {
public:
    explicit LoopMotion(Function& function)
        : m_function(function)
    {
    }

    Result<u32> run();

private:
    Block def_block(Value value) const
    {
        const ValueData& data = m_function.value(m_function.resolve(value));
        return data.kind == ValueKind::Param ? data.def : m_function.inst(data.def).block;
    }
    bool invariant(Inst inst, u32 loop) const
    {
        for (Value arg : m_function.args(inst)) {
            if (m_loop[def_block(arg)] == loop)
                return false;
        }
        return true;
    }
    Result<Block> new_block(u64 key);
    Result<Block> preheader(Block header, u32 loop);
    Result<bool> process(Block header, u32 loop);

    Function& m_function;
    DominatorTree m_dominators;
    u32 m_old_blocks { 0 };
    Vector<u32> m_loop;   // per block: the id of the loop whose body was last marked
    Vector<u64> m_key;    // per block: a topological order (RPO; a preheader just before its header)
    Vector<Block> m_body; // scratch
    Vector<u32> m_edges;  // scratch
    usize m_budget { 0 };
    u32 m_changes { 0 };
};

Result<Block> LoopMotion::new_block(u64 key)
{
    Block block = TRY(m_function.create_block());
    TRY(m_loop.try_resize(usize { block } + 1, 0));
    TRY(m_key.try_resize(usize { block } + 1, 0));
    m_key[block] = key;
    TRY(m_function.append_to_layout(block));
    return block;
}

// The block that hoisted code goes to: the only predecessor from outside the loop if
// it jumps nowhere else, or else a new block on the way from all outside predecessors
// to the header, with the header's parameters.
Result<Block> LoopMotion::preheader(Block header, u32 loop)
{
    m_edges.clear();
    for (u32 edge : m_function.preds(header)) {
        if (m_loop[m_function.edge(edge).from] != loop)
            TRY(m_edges.try_append(edge));
    }
    Block existing = existing_preheader(m_function, m_edges.span());
    if (existing != kNone)
        return existing;
    Block block = TRY(new_block(m_key[header] - 1));
    TRY(fill_preheader(m_function, header, m_edges.span(), block));
    return block;
}

// Marks the loop's body, then moves its invariant instructions to the preheader in a
// topological order, so that an instruction whose operands were just hoisted follows
// them. Returns false when the work budget ran out.
Result<bool> LoopMotion::process(Block header, u32 loop)
{
    m_body.clear();
    m_loop[header] = loop;
    TRY(m_body.try_append(header));
    for (u32 edge : m_function.preds(header)) {
        Block from = m_function.edge(edge).from;
        if (from < m_old_blocks && m_dominators.dominates(header, from) && m_loop[from] != loop) {
            m_loop[from] = loop;
            TRY(m_body.try_append(from));
        }
    }
    for (usize k = 1; k < m_body.size(); ++k) {
        for (u32 edge : m_function.preds(m_body[k])) {
            Block from = m_function.edge(edge).from;
            if (m_loop[from] != loop) {
                m_loop[from] = loop;
                TRY(m_body.try_append(from));
            }
        }
    }
    usize cost = m_body.size() * 4;
    for (Block block : m_body)
        cost += m_function.insts(block).size();
    if (cost > m_budget)
        return false;
    m_budget -= cost;
    std::sort(m_body.begin(), m_body.end(), [&](Block a, Block b) { return m_key[a] < m_key[b]; });

    Block target = kNone;
    for (Block block : m_body) {
        bool moved = false;
        for (u32 k = 0; k < m_function.insts(block).size(); ++k) {
            Inst inst = m_function.insts(block)[k];
            if (!is_hoistable(m_function.inst(inst)) || !invariant(inst, loop))
                continue;
            if (target == kNone)
                target = TRY(preheader(header, loop));
            // Before the preheader's terminator.
            List& list = m_function.block(target).insts;
            u32 size = m_function.lists().size(list);
            Inst term = m_function.lists().get(list, size - 1);
            m_function.lists().truncate(list, size - 1);
            TRY(m_function.lists().push(list, inst));
            TRY(m_function.lists().push(list, term));
            m_function.inst(inst).block = target;
            moved = true;
            ++m_changes;
        }
        if (moved) {
            Span<u32> insts = m_function.lists().span(m_function.block(block).insts);
            u32 kept = 0;
            for (u32 k = 0; k < insts.size(); ++k) {
                if (m_function.inst(insts[k]).block == block)
                    insts[kept++] = insts[k];
            }
            m_function.lists().truncate(m_function.block(block).insts, kept);
        }
    }
    return true;
}

Result<u32> LoopMotion::run()
{
    TRY(m_dominators.compute(m_function));
    m_old_blocks = m_function.block_count();
    TRY(m_loop.try_resize(m_old_blocks, 0));
    TRY(m_key.try_resize(m_old_blocks, 0));
    Span<const Block> rpo = m_dominators.rpo();
    for (u32 k = 0; k < rpo.size(); ++k)
        m_key[rpo[k]] = 2 * u64 { k } + 1;
    // Nested loops make the bodies' sizes add up quadratically; past a budget linear
    // in the function's size, the remaining (outer) loops are left as they are.
    m_budget = 16 * (usize { m_function.inst_count() } + m_old_blocks) + 65536;

    Vector<Block> headers;
    for (Block block : rpo) {
        for (u32 edge : m_function.preds(block)) {
            if (m_dominators.dominates(block, m_function.edge(edge).from)) {
                TRY(headers.try_append(block));
                break;
            }
        }
    }
    for (usize k = headers.size(); k-- > 0;) {
        if (!TRY(process(headers[k], static_cast<u32>(k) + 1)))
            break;
    }
    return m_changes;
}

} // namespace

Result<u32> hoist_loop_invariants(Function& function)
{
    LoopMotion motion(function);
    return motion.run();
}

} // namespace wk::engine::opt
