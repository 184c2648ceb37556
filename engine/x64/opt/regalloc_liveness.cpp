// The register allocator's liveness (see regalloc.h and docs/optimizing-compiler.md,
// "Register allocation"): each block's live-in set, a sorted list of values.
#include "engine/x64/opt/regalloc.h"

namespace wk::engine::x64::opt {

using engine::opt::kNone;
using engine::opt::Op;
using engine::opt::ValueKind;

namespace {

// Live-in sets of more entries than this (4 bytes each: 64 MiB, as the bit sets had), or
// liveness walks of more steps, leave the function to the baseline (hostile or huge
// bodies, e.g. thousands of values live across thousands of nested loops).
constexpr u64 kLiveEntries = 16ull << 20;
constexpr u64 kLivenessWork = 1ull << 28;

} // namespace

// Liveness by walking back from each use to the definition (the live-in sets of SSA
// form): a value is live into every block on a path from a use outside its defining
// block back to that block. Values are taken in ascending order, each block entered at
// most once per value (a stamp), so each block's list comes out sorted and the work is
// the size of the live-in sets times the predecessors walked, never blocks x values:
// functions whose sets are small (long chains of blocks, many merges, many values) are
// allocated however many blocks and values they have. The sets themselves can be
// quadratic (thousands of values live across thousands of nested loops); past
// kLiveEntries entries or kLivenessWork steps (the work counts both passes) the function
// is refused, having spent at most that.
Result<void> Allocator::compute_liveness(const Function& f)
{
    u32 blocks = f.block_count();
    u32 values = f.value_count();
    auto is_const = [&](Value v) {
        return f.value(v).kind == ValueKind::Result && f.inst(f.value(v).def).op == Op::Const;
    };
    TRY(m_def_block.try_resize(values, kNone));
    for (u32& block : m_def_block)
        block = kNone;
    for (Block b : f.layout()) {
        for (Value p : f.params(b))
            m_def_block[p] = b;
        for (Inst i : f.insts(b)) {
            for (u32 r = 0; r < f.inst(i).result_count; ++r)
                m_def_block[f.result(i, r)] = b;
        }
    }
    // The blocks where each value is used outside its defining block (an edge's
    // arguments are used at the end of its source), grouped by value.
    m_live_pairs.clear();
    auto use = [&](Value v, Block b) -> Result<void> {
        if (m_def_block[v] == b || is_const(v))
            return {};
        TRY(m_live_pairs.try_append(v));
        return m_live_pairs.try_append(b);
    };
    for (Block b : f.layout()) {
        for (Inst i : f.insts(b)) {
            for (Value v : f.args(i))
                TRY(use(v, b));
            const engine::opt::InstData& data = f.inst(i);
            for (u32 e = data.first_edge; e < data.first_edge + data.edge_count; ++e) {
                for (Value v : f.edge_args(e))
                    TRY(use(v, b));
            }
        }
    }
    TRY(group_pairs(m_live_pairs, values, m_use_first, m_use_blocks));

    // The walks, twice: first counting each block's entries, then writing them, each
    // block's in ascending value order (so 4 bytes per entry, never more).
    TRY(m_live_stamp.try_resize(blocks, kNone));
    TRY(m_live_first.try_resize(usize { blocks } + 1, 0));
    for (u32& count : m_live_first)
        count = 0;
    u64 work = 0;
    m_liveness_work = 0;
    u64 entries = 0;
    for (u32 pass = 0; pass < 2; ++pass) {
        for (u32& stamp : m_live_stamp)
            stamp = kNone;
        for (Value v = 0; v < values; ++v) {
            m_live_work.clear();
            for (u32 k = m_use_first[v]; k < m_use_first[v + 1]; ++k)
                TRY(m_live_work.try_append(m_use_blocks[k]));
            while (!m_live_work.is_empty()) {
                Block b = m_live_work.pop_back();
                if (m_live_stamp[b] == v)
                    continue;
                m_live_stamp[b] = v;
                if (pass == 0) {
                    ++m_live_first[b + 1];
                    if (++entries > kLiveEntries)
                        return Error::from("optimising tier: function too large to allocate", ErrorKind::Unsupported);
                } else {
                    m_live_values[m_live_first[b]++] = v;
                }
                Span<const u32> preds = f.preds(b);
                work += preds.size() + 1;
                if (work > kLivenessWork)
                    return Error::from("optimising tier: function too large to allocate", ErrorKind::Unsupported);
                for (u32 e : preds) {
                    Block from = f.edge(e).from;
                    if (from != m_def_block[v] && m_live_stamp[from] != v && m_block_start[from] != kNone)
                        TRY(m_live_work.try_append(from));
                }
            }
        }
        if (pass == 0) {
            for (u32 b = 0; b < blocks; ++b)
                m_live_first[b + 1] += m_live_first[b];
            TRY(m_live_values.try_resize(entries, 0));
        }
    }
    // The second pass moved each start to the next block's: shift them back.
    for (u32 b = blocks; b > 0; --b)
        m_live_first[b] = m_live_first[b - 1];
    m_live_first[0] = 0;
    m_liveness_work = work;
    return {};
}

// Stable counting sort of (key, item) pairs by key: first[key]..first[key + 1] in items.
Result<void> Allocator::group_pairs(const Vector<u32>& pairs, u32 keys, Vector<u32>& first, Vector<u32>& items)
{
    TRY(first.try_resize(usize { keys } + 1, 0));
    for (u32& start : first)
        start = 0;
    for (usize k = 0; k < pairs.size(); k += 2)
        ++first[pairs[k] + 1];
    for (u32 key = 0; key < keys; ++key)
        first[key + 1] += first[key];
    TRY(items.try_resize(pairs.size() / 2, 0));
    for (usize k = 0; k < pairs.size(); k += 2)
        items[first[pairs[k]]++] = pairs[k + 1];
    for (u32 key = keys; key > 0; --key)
        first[key] = first[key - 1];
    first[0] = 0;
    return {};
}

} // namespace wk::engine::x64::opt
