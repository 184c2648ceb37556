// Live-range splitting at loop boundaries (docs/optimizing-compiler.md, "Register
// allocation", "Live-range splitting at loop boundaries").
//
// scan() gives each value one place for its whole interval. A value spilled there (by
// pressure elsewhere in the function, or because it crosses more calls than it is used)
// may still be used on every iteration of a loop where some register is free: then its
// range is split, so that inside the loop's blocks it lives in that register and
// everywhere else in its slot. The slot always holds the value: it is written once where
// the value is defined (which dominates the loop, since the value is live into its
// header) and never changes (SSA). So the split needs no stores at all; the loads are
// the code generator's: on every edge into the loop's header from outside the loop
// (OptimizingCompiler::edge_moves resolves each edge by comparing the value's place at
// the end of the source with its place at the start of the target, and adds the load to
// the edge's parallel moves) and after every call inside the loop (save_live_across).
// Leaving the loop needs nothing: outside it, the value is read from its slot again.

#include <algorithm>

#include "engine/x64/opt/regalloc.h"

namespace wk::engine::x64::opt {

using engine::opt::kNone;
using engine::opt::Op;
using engine::opt::ValueKind;

namespace {

// Ops the code generator emits as a call that clobbers every register (emit_call,
// emit_builtin_call): a piece of a split range is loaded again after each.
bool is_call_like(Op op)
{
    if (engine::opt::has_effect(op, engine::opt::fx::kCall))
        return true;
    return op == Op::MemoryGrow || (op >= Op::MemoryInit && op <= Op::TableFill)
        || (op >= Op::MemoryAtomicNotify && op <= Op::MemoryAtomicWait64) || engine::opt::is_gc_builtin(op);
}

} // namespace

bool Allocator::in_loop(u32 loop, Block b) const
{
    const Loop& l = m_loops[loop];
    const Block* first = m_loop_blocks.begin() + l.first;
    const Block* last = first + l.count;
    return std::binary_search(first, last, b);
}

// Natural loops as weigh_calls finds them (one per header, every back edge's blocks),
// with their member blocks. Past the same work budget there is no splitting at all.
Result<void> Allocator::collect_loops(const Function& f)
{
    m_loops.clear();
    m_loop_blocks.clear();
    for (u32& mark : m_loop_mark)
        mark = kNone;
    u64 budget = 16 * (u64 { f.inst_count() } + f.block_count()) + 65536;
    for (Block h : f.layout()) {
        m_loop_work.clear();
        for (u32 e : f.preds(h)) {
            Block from = f.edge(e).from;
            if (m_dominators.is_reachable(from) && m_dominators.dominates(h, from) && m_loop_mark[from] != h) {
                m_loop_mark[from] = h;
                TRY(m_loop_work.try_append(from));
            }
        }
        if (m_loop_work.is_empty())
            continue;
        Loop loop { h, static_cast<u32>(m_loop_blocks.size()), 0, 0 };
        m_loop_mark[h] = h;
        TRY(m_loop_blocks.try_append(h));
        while (!m_loop_work.is_empty()) {
            Block b = m_loop_work.pop_back();
            if (b == h)
                continue;
            TRY(m_loop_blocks.try_append(b));
            for (u32 e : f.preds(b)) {
                if (budget-- == 0) {
                    m_loops.clear();
                    m_loop_blocks.clear();
                    return {};
                }
                Block from = f.edge(e).from;
                if (m_loop_mark[from] != h) {
                    m_loop_mark[from] = h;
                    TRY(m_loop_work.try_append(from));
                }
            }
        }
        loop.count = static_cast<u32>(m_loop_blocks.size()) - loop.first;
        std::sort(m_loop_blocks.begin() + loop.first, m_loop_blocks.end());
        TRY(m_loops.try_append(loop));
    }
    // What a piece costs: a load on each edge entering the header, one after each call.
    for (u32 k = 0; k < m_loops.size(); ++k) {
        Loop& loop = m_loops[k];
        for (u32 e : f.preds(loop.header)) {
            Block from = f.edge(e).from;
            if (!in_loop(k, from) && m_block_end[from] != kNone)
                loop.reloads += weight_at(m_block_end[from]);
        }
        for (u32 n = 0; n < loop.count; ++n) {
            Span<const u32> insts = f.insts(m_loop_blocks[loop.first + n]);
            if (insts.size() > m_split_budget) {
                m_loops.clear();
                m_loop_blocks.clear();
                return {};
            }
            m_split_budget -= insts.size();
            for (Inst i : insts) {
                if (is_call_like(f.inst(i).op))
                    loop.reloads += weight_at(m_inst_position[i]);
            }
        }
    }
    return {};
}

// Values in their slots that are live into the loop's header and used inside it, with
// what a register there would save: their loop-weighted uses in the loop minus the loads.
Result<void> Allocator::split_candidates(const Function& f, u32 loop)
{
    const Loop& l = m_loops[loop];
    m_loop_used.clear();
    auto use = [&](Value v, u64 weight) -> Result<void> {
        if (m_locs[v].kind != LocKind::Slot || !live_in(l.header, v))
            return {};
        if (m_loop_use_weight[v] == 0)
            TRY(m_loop_used.try_append(v));
        m_loop_use_weight[v] += weight;
        return {};
    };
    for (u32 n = 0; n < l.count; ++n) {
        Span<const u32> insts = f.insts(m_loop_blocks[l.first + n]);
        // Past the budget, this loop is not scanned (split_loops then splits nothing).
        if (insts.size() > m_split_budget) {
            m_split_budget = 0;
            break;
        }
        m_split_budget -= insts.size();
        for (Inst i : insts) {
            const engine::opt::InstData& data = f.inst(i);
            u64 weight = weight_at(m_inst_position[i]);
            for (Value v : f.args(i))
                TRY(use(v, weight));
            for (u32 e = data.first_edge; e < data.first_edge + data.edge_count; ++e) {
                for (Value v : f.edge_args(e))
                    TRY(use(v, weight));
            }
        }
    }
    for (Value v : m_loop_used) {
        u64 weight = m_loop_use_weight[v];
        m_loop_use_weight[v] = 0;
        // NOTE: a value live into the header is defined outside the loop (its definition
        // dominates every use); checked anyway, since the slot must be written before.
        const engine::opt::ValueData& data = f.value(v);
        Block def = data.kind == ValueKind::Param ? data.def : f.inst(data.def).block;
        if (weight > l.reloads && !in_loop(loop, def))
            TRY(m_candidates.try_append(Candidate { weight - l.reloads, loop, v }));
    }
    return {};
}

bool Allocator::reg_free_in_loop(RegClass cls, u8 reg, u32 loop) const
{
    u32 bit = 1u << (cls == RegClass::Gpr ? reg : 16 + reg);
    const Vector<Interval>& list = m_assigned[cls == RegClass::Gpr ? reg : 16 + reg];
    const Loop& l = m_loops[loop];
    for (u32 n = 0; n < l.count; ++n) {
        Block b = m_loop_blocks[l.first + n];
        if ((m_split_taken[b] & bit) != 0 || m_block_start[b] == kNone)
            return false;
        // The block's parameters are written at its start, its last instruction's
        // results one past its end position.
        u32 from = m_block_start[b];
        u32 to = m_block_end[b] + 1;
        if (blocked(cls, reg, from, to))
            return false;
        // Disjoint intervals sorted by start have ascending ends too.
        const Interval* first = std::lower_bound(list.begin(), list.end(), from,
                                                 [](const Interval& interval, u32 position) { return interval.end < position; });
        if (first != list.end() && first->start <= to)
            return false;
    }
    return true;
}

bool Allocator::has_piece_in_nest(const Candidate& candidate) const
{
    const Loop& loop = m_loops[candidate.loop];
    for (u32 link = m_split_head[candidate.value]; link != kNone; link = m_split_links[link].next) {
        u32 other = m_split_links[link].loop;
        if (in_loop(other, loop.header) || in_loop(candidate.loop, m_loops[other].header))
            return true;
    }
    return false;
}

Result<bool> Allocator::try_split(const Function& f, const Candidate& candidate)
{
    // Natural loops with different headers are nested or disjoint: a value keeps one
    // piece per nest (the first one chosen, the most beneficial).
    const Loop& loop = m_loops[candidate.loop];
    if (has_piece_in_nest(candidate))
        return false;
    RegClass cls = class_of(f.value(candidate.value).type);
    u32 reg_count = allocatable_count(cls);
    for (u32 k = 0; k < reg_count; ++k) {
        u8 reg = allocatable_reg(cls, k);
        if (!reg_free_in_loop(cls, reg, candidate.loop))
            continue;
        u32 bit = 1u << (cls == RegClass::Gpr ? reg : 16 + reg);
        for (u32 n = 0; n < loop.count; ++n) {
            Block b = m_loop_blocks[loop.first + n];
            m_split_taken[b] |= bit;
            TRY(m_splits.try_append(Split { b, candidate.value, reg }));
        }
        TRY(m_split_links.try_append(SplitLink { candidate.loop, m_split_head[candidate.value] }));
        m_split_head[candidate.value] = static_cast<u32>(m_split_links.size()) - 1;
        return true;
    }
    TRY(m_deferred.try_append(candidate));
    return false;
}

Loc Allocator::varying_loc(Value v, Block b, Loc own) const
{
    if (own.kind == LocKind::Reg && m_cold_block[b] != 0 && cold_slot(v) != kNone)
        return Loc { LocKind::Slot, 0, cold_slot(v) };
    // Both sorted by value within a block (index_pieces).
    if (own.kind == LocKind::Reg && !m_evict_first.is_empty()) {
        const Eviction* first = m_evictions.begin() + m_evict_first[b];
        const Eviction* last = m_evictions.begin() + m_evict_first[b + 1];
        const Eviction* eviction = std::lower_bound(first, last, v, [](const Eviction& e, Value value) { return e.value < value; });
        if (eviction != last && eviction->value == v)
            return Loc { LocKind::Slot, 0, eviction->slot };
    }
    if (own.kind == LocKind::Slot && !m_split_first.is_empty()) {
        const Split* first = m_splits.begin() + m_split_first[b];
        const Split* last = m_splits.begin() + m_split_first[b + 1];
        const Split* piece = std::lower_bound(first, last, v, [](const Split& split, Value value) { return split.value < value; });
        if (piece != last && piece->value == v)
            return Loc { LocKind::Reg, piece->reg, 0 };
    }
    return own;
}

// The values whose place loc_in must look up per block: with a cold slot, split or evicted.
Result<void> Allocator::mark_varying(const Function& f)
{
    m_varies.clear();
    if (m_cold_slot.is_empty() && m_split_first.is_empty() && m_evict_first.is_empty())
        return {};
    TRY(m_varies.try_resize(f.value_count(), 0));
    for (Value v = 0; v < f.value_count(); ++v) {
        bool cold = !m_cold_slot.is_empty() && m_cold_slot[v] != kNone;
        bool split = !m_split_first.is_empty() && m_split_head[v] != kNone;
        bool evicted = !m_evict_first.is_empty() && m_evict_slot[v] != kNone;
        m_varies[v] = cold || split || evicted ? 1 : 0;
    }
    return {};
}

// Stamps every value used or defined in the loop's blocks (m_loop_stamp == m_stamp).
Result<void> Allocator::mark_loop_uses(const Function& f, u32 loop)
{
    if (m_stamped_loop == loop)
        return {};
    ++m_stamp;
    m_stamped_loop = loop;
    const Loop& l = m_loops[loop];
    for (u32 n = 0; n < l.count; ++n) {
        Block b = m_loop_blocks[l.first + n];
        for (Value p : f.params(b))
            m_loop_stamp[p] = m_stamp;
        for (Inst i : f.insts(b)) {
            const engine::opt::InstData& data = f.inst(i);
            for (Value v : f.args(i))
                m_loop_stamp[v] = m_stamp;
            for (u32 e = data.first_edge; e < data.first_edge + data.edge_count; ++e) {
                for (Value v : f.edge_args(e))
                    m_loop_stamp[v] = m_stamp;
            }
            for (u32 r = 0; r < data.result_count; ++r)
                m_loop_stamp[f.result(i, r)] = m_stamp;
        }
    }
    return {};
}

// The moves an eviction costs, weighted where they run: a store on each edge into the
// header from outside, a load on each edge out of the loop into a block the value is live
// into (not a dead end: its edges store the value to its cold slot anyway).
u64 Allocator::eviction_cost(const Function& f, u32 loop, Value v) const
{
    const Loop& l = m_loops[loop];
    u64 cost = 0;
    for (u32 e : f.preds(l.header)) {
        Block from = f.edge(e).from;
        if (!in_loop(loop, from) && m_block_end[from] != kNone)
            cost += weight_at(m_block_end[from]);
    }
    for (u32 n = 0; n < l.count; ++n) {
        const engine::opt::InstData& data = f.inst(f.terminator(m_loop_blocks[l.first + n]));
        for (u32 e = data.first_edge; e < data.first_edge + data.edge_count; ++e) {
            Block to = f.edge(e).to;
            if (!in_loop(loop, to) && m_block_start[to] != kNone && m_cold_block[to] == 0 && live_in(to, v))
                cost += weight_at(m_block_start[to]);
        }
    }
    return cost;
}

Result<bool> Allocator::evictable(const Function& f, RegClass cls, u8 reg, u32 loop, u64& cost)
{
    u32 bit = 1u << (cls == RegClass::Gpr ? reg : 16 + reg);
    const Vector<Interval>& list = m_assigned[cls == RegClass::Gpr ? reg : 16 + reg];
    const Loop& l = m_loops[loop];
    m_evicted.clear();
    for (u32 n = 0; n < l.count; ++n) {
        Block b = m_loop_blocks[l.first + n];
        if ((m_split_taken[b] & bit) != 0 || m_block_start[b] == kNone)
            return false;
        u32 from = m_block_start[b];
        u32 to = m_block_end[b] + 1;
        if (blocked(cls, reg, from, to))
            return false;
        const Interval* it = std::lower_bound(list.begin(), list.end(), from,
                                              [](const Interval& interval, u32 position) { return interval.end < position; });
        for (; it != list.end() && it->start <= to; ++it) {
            // NOTE: a value not live into the header is defined outside the loop (else it
            // is stamped) and so not live anywhere in it (the header dominates the loop's
            // blocks): its interval only spans them in the layout, nothing moves it.
            if (m_loop_stamp[it->value] == m_stamp)
                return false;
            if (live_in(l.header, it->value) && std::find(m_evicted.begin(), m_evicted.end(), it->value) == m_evicted.end())
                TRY(m_evicted.try_append(it->value));
        }
    }
    cost = 0;
    for (Value v : m_evicted)
        cost += eviction_cost(f, loop, v);
    return true;
}

// Splitting without a free register (docs/optimizing-compiler.md, "Eviction"): the
// register of the cheapest evictable values goes to the candidate inside the loop.
Result<bool> Allocator::try_evict(const Function& f, const Candidate& candidate)
{
    const Loop& loop = m_loops[candidate.loop];
    if (has_piece_in_nest(candidate))
        return false;
    RegClass cls = class_of(f.value(candidate.value).type);
    u32 reg_count = allocatable_count(cls);
    u64 work = u64 { loop.count } * (reg_count + 1);
    for (u32 n = 0; n < loop.count; ++n)
        work += f.insts(m_loop_blocks[loop.first + n]).size();
    if (work > m_evict_budget)
        return false;
    m_evict_budget -= work;
    TRY(mark_loop_uses(f, candidate.loop));
    // The piece saves `benefit`; the evictions must cost less.
    u32 best = kNone;
    u64 best_cost = candidate.benefit;
    for (u32 k = 0; k < reg_count; ++k) {
        u8 reg = allocatable_reg(cls, k);
        u64 cost = 0;
        if (TRY(evictable(f, cls, reg, candidate.loop, cost)) && cost < best_cost) {
            best = reg;
            best_cost = cost;
        }
    }
    if (best == kNone)
        return false;
    u8 reg = static_cast<u8>(best);
    if (!TRY(evictable(f, cls, reg, candidate.loop, best_cost))) // m_evicted: this register's
        return false;
    for (Value v : m_evicted) {
        if (m_evict_slot[v] == kNone) {
            m_evict_slot[v] = m_slots;
            m_slots += slot_span(f.value(v).type);
        }
        for (u32 n = 0; n < loop.count; ++n)
            TRY(m_evictions.try_append(Eviction { m_loop_blocks[loop.first + n], v, m_evict_slot[v] }));
    }
    u32 bit = 1u << (cls == RegClass::Gpr ? reg : 16 + reg);
    for (u32 n = 0; n < loop.count; ++n) {
        Block b = m_loop_blocks[loop.first + n];
        m_split_taken[b] |= bit;
        TRY(m_splits.try_append(Split { b, candidate.value, reg }));
    }
    TRY(m_split_links.try_append(SplitLink { candidate.loop, m_split_head[candidate.value] }));
    m_split_head[candidate.value] = static_cast<u32>(m_split_links.size()) - 1;
    return true;
}

Result<void> Allocator::split_loops(const Function& f)
{
    m_splits.clear();
    m_split_first.clear();
    m_evictions.clear();
    m_evict_first.clear();
    m_current_block = kNone;
    if (m_slots == 0)
        return {};
    m_split_budget = 16 * (u64 { f.inst_count() } + f.block_count()) + 65536;
    TRY(collect_loops(f));
    if (m_loops.is_empty())
        return {};
    m_candidates.clear();
    TRY(m_loop_use_weight.try_resize(f.value_count(), 0));
    for (u64& weight : m_loop_use_weight)
        weight = 0;
    for (u32 loop = 0; loop < m_loops.size(); ++loop)
        TRY(split_candidates(f, loop));
    if (m_candidates.is_empty() || m_split_budget == 0)
        return {};
    // Most saved first; between equals (all uses in an inner loop), the outer loop,
    // entered less often.
    std::sort(m_candidates.begin(), m_candidates.end(), [&](const Candidate& a, const Candidate& b) {
        if (a.benefit != b.benefit)
            return a.benefit > b.benefit;
        if (m_loops[a.loop].count != m_loops[b.loop].count)
            return m_loops[a.loop].count > m_loops[b.loop].count;
        return a.value != b.value ? a.value < b.value : a.loop < b.loop;
    });
    TRY(m_split_taken.try_resize(f.block_count(), 0));
    for (u32& taken : m_split_taken)
        taken = 0;
    TRY(m_split_head.try_resize(f.value_count(), kNone));
    for (u32& head : m_split_head)
        head = kNone;
    m_split_links.clear();
    m_deferred.clear();
    TRY(m_evict_slot.try_resize(f.value_count(), kNone));
    TRY(m_loop_stamp.try_resize(f.value_count(), 0));
    for (u32 v = 0; v < f.value_count(); ++v) {
        m_evict_slot[v] = kNone;
        m_loop_stamp[v] = 0;
    }
    m_stamp = 0;
    m_stamped_loop = kNone;
    m_evict_budget = 16 * (u64 { f.inst_count() } + f.block_count()) + 65536;
    // Each try walks a loop's blocks per register: bounded like the loop walk.
    u64 budget = 64 * (u64 { f.inst_count() } + f.block_count()) + 65536;
    for (const Candidate& candidate : m_candidates) {
        u64 cost = u64 { m_loops[candidate.loop].count } * 16;
        if (cost > budget)
            break;
        budget -= cost;
        TRY(try_split(f, candidate));
    }
    // Then the candidates left without a free register, by eviction: the deepest loops
    // first (their uses weigh most), each loop's together (its uses are marked once),
    // the most saving first within a loop.
    std::sort(m_deferred.begin(), m_deferred.end(), [&](const Candidate& a, const Candidate& b) {
        u32 depth_a = m_block_depth[m_loops[a.loop].header];
        u32 depth_b = m_block_depth[m_loops[b.loop].header];
        if (depth_a != depth_b)
            return depth_a > depth_b;
        if (a.loop != b.loop)
            return a.loop < b.loop;
        return a.benefit != b.benefit ? a.benefit > b.benefit : a.value < b.value;
    });
    for (const Candidate& candidate : m_deferred)
        TRY(try_evict(f, candidate));
    return index_pieces(f);
}

// Pieces and evictions by block (splits, evictions).
Result<void> Allocator::index_pieces(const Function& f)
{
    if (m_splits.is_empty())
        return {};
    std::sort(m_splits.begin(), m_splits.end(), [](const Split& a, const Split& b) {
        return a.block != b.block ? a.block < b.block : a.value < b.value;
    });
    TRY(m_split_first.try_resize(f.block_count() + 1, 0));
    u32 k = 0;
    for (Block b = 0; b <= f.block_count(); ++b) {
        m_split_first[b] = k;
        while (k < m_splits.size() && m_splits[k].block == b)
            ++k;
    }
    if (m_evictions.is_empty())
        return {};
    std::sort(m_evictions.begin(), m_evictions.end(), [](const Eviction& a, const Eviction& b) {
        return a.block != b.block ? a.block < b.block : a.value < b.value;
    });
    TRY(m_evict_first.try_resize(f.block_count() + 1, 0));
    k = 0;
    for (Block b = 0; b <= f.block_count(); ++b) {
        m_evict_first[b] = k;
        while (k < m_evictions.size() && m_evictions[k].block == b)
            ++k;
    }
    return {};
}

} // namespace wk::engine::x64::opt
