#include "engine/x64/opt/regalloc.h"

#include <algorithm>

namespace wk::engine::x64::opt {

using engine::opt::kNone;
using engine::opt::Op;
using engine::opt::ValueKind;

namespace {

bool is_division(Op op)
{
    switch (op) {
    case Op::I32DivS: case Op::I32DivU: case Op::I32RemS: case Op::I32RemU:
    case Op::I64DivS: case Op::I64DivU: case Op::I64RemS: case Op::I64RemU:
        return true;
    default:
        return false;
    }
}

// Wide arithmetic computes in rdx:rax (lower_wide.cpp): blocked there as a division.
bool uses_rdx_rax(Op op)
{
    return is_division(op) || (op >= Op::I64Add128 && op <= Op::I64MulWideU);
}

bool is_shift(Op op)
{
    switch (op) {
    case Op::I32Shl: case Op::I32ShrS: case Op::I32ShrU: case Op::I32Rotl: case Op::I32Rotr:
    case Op::I64Shl: case Op::I64ShrS: case Op::I64ShrU: case Op::I64Rotl: case Op::I64Rotr:
        return true;
    default:
        return false;
    }
}

// Integer compares and eqz: the ops a branch can take as flags.
bool is_fusable_compare(Op op)
{
    return (op >= Op::I32Eqz && op <= Op::I32GeU) || (op >= Op::I64Eqz && op <= Op::I64GeU);
}

} // namespace

bool Allocator::blocked(RegClass cls, u8 reg, u32 start, u32 end) const
{
    if (cls != RegClass::Gpr)
        return false;
    u32 which;
    if (reg == number(Gpr::rax))
        which = 0;
    else if (reg == number(Gpr::rcx))
        which = 1;
    else if (reg == number(Gpr::rdx))
        which = 2;
    else
        return false;
    const Vector<u32>& points = m_clobbers[which];
    const u32* first = std::lower_bound(points.begin(), points.end(), start);
    return first != points.end() && *first <= end;
}

Result<void> Allocator::number_positions(const Function& f)
{
    TRY(m_inst_position.try_resize(f.inst_count(), kNone));
    TRY(m_block_start.try_resize(f.block_count(), kNone));
    TRY(m_block_end.try_resize(f.block_count(), kNone));
    TRY(m_uses.try_resize(f.value_count(), 0));
    TRY(m_fused.try_resize(f.value_count(), 0));
    TRY(m_fold_at.try_resize(f.value_count(), kNone));
    TRY(m_param_of_arg.try_resize(f.value_count(), kNone));
    for (u32 i = 0; i < f.value_count(); ++i) {
        m_uses[i] = 0;
        m_fused[i] = 0;
        m_fold_at[i] = kNone;
        m_param_of_arg[i] = kNone;
    }
    for (auto& clobbers : m_clobbers)
        clobbers.clear();
    u32 position = 0;
    for (Block b : f.layout()) {
        m_block_start[b] = position;
        position += 2;
        Span<const u32> insts = f.insts(b);
        for (u32 k = 0; k < insts.size(); ++k) {
            Inst i = insts[k];
            const engine::opt::InstData& data = f.inst(i);
            m_inst_position[i] = position;
            if (uses_rdx_rax(data.op)) {
                TRY(m_clobbers[0].try_append(position));
                TRY(m_clobbers[2].try_append(position));
            } else if (is_shift(data.op)) {
                Value count = f.args(i)[1];
                if (f.value(count).kind != ValueKind::Result || f.inst(f.value(count).def).op != Op::Const)
                    TRY(m_clobbers[1].try_append(position));
            }
            for (Value v : f.args(i))
                ++m_uses[v];
            for (u32 e = data.first_edge; e < data.first_edge + data.edge_count; ++e) {
                Span<const u32> args = f.edge_args(e);
                Span<const u32> params = f.params(f.edge(e).to);
                for (u32 a = 0; a < args.size(); ++a) {
                    ++m_uses[args[a]];
                    if (m_param_of_arg[args[a]] == kNone)
                        m_param_of_arg[args[a]] = params[a];
                }
            }
            position += 2;
            if (position > 0x7FFF'0000u)
                return Error::from("optimising tier: function too large to allocate", ErrorKind::Unsupported);
        }
        m_block_end[b] = position - 2;
    }
    // Fusion: a compare used once, by the branch that ends its block, right before it
    // or separated from it only by instructions that can leave the flags alone.
    for (Block b : f.layout()) {
        Span<const u32> insts = f.insts(b);
        if (insts.size() < 2)
            continue;
        Inst term = insts[insts.size() - 1];
        if (f.inst(term).op != Op::Branch)
            continue;
        Value cond = f.args(term)[0];
        if (f.value(cond).kind != ValueKind::Result || f.inst(f.value(cond).def).block != b || m_uses[cond] != 1)
            continue;
        u32 k = static_cast<u32>(insts.size()) - 1;
        while (k > 0 && insts[k - 1] != f.value(cond).def && preserves_flags(f, insts[k - 1]))
            --k;
        if (k == 0 || insts[k - 1] != f.value(cond).def || !is_fusable_compare(f.inst(insts[k - 1]).op))
            continue;
        m_fused[cond] = k == insts.size() - 1 ? 1 : 2;
    }
    // And a compare used once, by a select after it in its block with only such
    // instructions between: emitted where it stands, the select's cmov takes its flags.
    for (Block b : f.layout()) {
        Span<const u32> insts = f.insts(b);
        for (u32 s = 1; s < insts.size(); ++s) {
            if (f.inst(insts[s]).op != Op::Select)
                continue;
            Value cond = f.args(insts[s])[2];
            if (f.value(cond).kind != ValueKind::Result || f.inst(f.value(cond).def).block != b || m_uses[cond] != 1)
                continue;
            u32 k = s;
            while (k > 0 && insts[k - 1] != f.value(cond).def && preserves_flags(f, insts[k - 1]))
                --k;
            if (k > 0 && insts[k - 1] == f.value(cond).def && is_fusable_compare(f.inst(insts[k - 1]).op))
                m_fused[cond] = 2;
        }
    }
    return fold_operands(f);
}

bool Allocator::preserves_flags(const Function& f, Inst inst)
{
    const engine::opt::InstData& data = f.inst(inst);
    if (data.op == Op::Const)
        return true;
    if (data.op != Op::I32Add && data.op != Op::I32Sub && data.op != Op::I64Add && data.op != Op::I64Sub)
        return false;
    Span<const u32> args = f.args(inst);
    auto is_const = [&](Value v) {
        return f.value(v).kind == ValueKind::Result && f.inst(f.value(v).def).op == Op::Const;
    };
    if (is_const(args[0]) || !is_const(args[1]))
        return false;
    if (data.op == Op::I32Add || data.op == Op::I32Sub)
        return true; // a 32-bit lea wraps as i32 arithmetic does
    i64 c = static_cast<i64>(f.inst(f.value(args[1]).def).imm);
    if (data.op == Op::I64Sub)
        return c > -0x8000'0000ll && c <= 0x7FFF'FFFFll; // lea by -c
    return c >= -0x8000'0000ll && c <= 0x7FFF'FFFFll;
}

Result<void> Allocator::mark_cold_blocks(const Function& f)
{
    // A dead end: a block that ends in a trap and leaves by no edge (no handler of a
    // call inside it), such as a call to `exit` or an error report followed by
    // `unreachable`. Nothing is live out of it.
    TRY(m_cold_block.try_resize(f.block_count(), 0));
    for (Block b : f.layout()) {
        Span<const u32> insts = f.insts(b);
        bool cold = !insts.empty() && f.inst(insts.back()).op == Op::Trap;
        for (Inst i : insts)
            cold = cold && f.inst(i).edge_count == 0;
        m_cold_block[b] = cold ? 1 : 0;
    }
    return {};
}

Result<void> Allocator::assign_cold_slots(const Function& f)
{
    m_cold_slot.clear();
    m_cold_values.clear();
    m_cold_first.clear();
    bool any = false;
    for (u32 v = 0; v < f.value_count() && !any; ++v)
        any = m_cold_read[v] != 0 && m_locs[v].kind == LocKind::Reg;
    if (!any)
        return {};
    TRY(m_cold_slot.try_resize(f.value_count(), kNone));
    for (u32 v = 0; v < f.value_count(); ++v) {
        if (m_cold_read[v] == 0 || m_locs[v].kind != LocKind::Reg)
            continue;
        m_cold_slot[v] = m_slots;
        m_slots += slot_span(f.value(v).type);
    }
    // Per dead end, the values with a cold slot live into it (whatever it reads from
    // elsewhere is live into it): each edge into it stores them (cold_values).
    TRY(m_cold_first.try_resize(f.block_count() + 1, 0));
    for (Block b = 0; b < f.block_count(); ++b) {
        m_cold_first[b] = static_cast<u32>(m_cold_values.size());
        if (m_cold_block[b] == 0)
            continue;
        for (Value v : live_in_values(b)) {
            if (m_cold_slot[v] != kNone)
                TRY(m_cold_values.try_append(v));
        }
    }
    m_cold_first[f.block_count()] = static_cast<u32>(m_cold_values.size());
    return {};
}

Result<void> Allocator::build_intervals(const Function& f)
{
    m_intervals.clear();
    TRY(m_interval_of.try_resize(f.value_count(), kNone));
    TRY(m_locs.try_resize(f.value_count(), Loc {}));
    for (u32 v = 0; v < f.value_count(); ++v) {
        m_interval_of[v] = kNone;
        m_locs[v] = Loc {};
    }
    auto define = [&](Value v, u32 position) -> Result<void> {
        m_interval_of[v] = static_cast<u32>(m_intervals.size());
        return m_intervals.try_append(Interval { position, position, v });
    };
    // Definitions first (every interval exists before it is widened).
    for (Block b : f.layout()) {
        for (Value p : f.params(b))
            TRY(define(p, m_block_start[b]));
        for (Inst i : f.insts(b)) {
            const engine::opt::InstData& data = f.inst(i);
            for (u32 r = 0; r < data.result_count; ++r) {
                Value v = f.result(i, r);
                if (data.op == Op::Const) {
                    m_locs[v] = Loc { LocKind::Const, 0, 0 };
                    continue;
                }
                if (m_fused[v] || m_fold_at[v] != kNone)
                    continue;
                TRY(define(v, m_inst_position[i] + 1));
            }
        }
    }
    auto extend = [&](Value v, u32 position) {
        u32 index = m_interval_of[v];
        if (index == kNone)
            return;
        Interval& interval = m_intervals[index];
        interval.start = std::min(interval.start, position);
        interval.end = std::max(interval.end, position);
    };
    TRY(mark_cold_blocks(f));
    TRY(m_cold_read.try_resize(f.value_count(), 0));
    for (u8& cold : m_cold_read)
        cold = 0;
    for (Block b : f.layout()) {
        Inst term = f.terminator(b);
        const engine::opt::InstData& term_data = f.inst(term);
        if (m_cold_block[b] != 0) {
            // A dead end reads what it uses from defined elsewhere from the value's
            // slot (stored on the edges into it, see cold_slot), so such a value's
            // interval does not reach into it, only to the ends of its predecessors.
            for (Value v : live_in_values(b))
                m_cold_read[v] = 1;
            for (Inst i : f.insts(b)) {
                const engine::opt::InstData& data = f.inst(i);
                u32 position = m_inst_position[i];
                if (data.result_count == 1 && m_fused[f.result(i)] == 1)
                    position = m_inst_position[term];
                if (data.result_count == 1 && m_fold_at[f.result(i)] != kNone)
                    position = m_fold_at[f.result(i)];
                for (Value v : f.args(i)) {
                    if (m_interval_of[v] != kNone && m_intervals[m_interval_of[v]].start < m_block_start[b])
                        m_cold_read[v] = 1;
                    else
                        extend(v, position);
                }
            }
            continue;
        }
        for (Value v : live_in_values(b))
            extend(v, m_block_start[b]);
        // Live out: live into a successor.
        for (u32 e = term_data.first_edge; e < term_data.first_edge + term_data.edge_count; ++e) {
            for (Value v : live_in_values(f.edge(e).to))
                extend(v, m_block_end[b] + 1);
        }
        Span<const u32> insts = f.insts(b);
        for (u32 k = 0; k < insts.size(); ++k) {
            Inst i = insts[k];
            u32 position = m_inst_position[i];
            // A compare fused with the branch right after it is emitted at the branch.
            const engine::opt::InstData& data = f.inst(i);
            if (data.result_count == 1 && m_fused[f.result(i)] == 1)
                position = m_inst_position[term];
            // A folded shift reads its operand at its add.
            if (data.result_count == 1 && m_fold_at[f.result(i)] != kNone)
                position = m_fold_at[f.result(i)];
            for (Value v : f.args(i))
                extend(v, position);
            for (u32 e = data.first_edge; e < data.first_edge + data.edge_count; ++e) {
                for (Value v : f.edge_args(e))
                    extend(v, position);
            }
        }
    }
    return {};
}

bool Allocator::wanted(RegClass cls, u8 reg, u32 start, u32 end) const
{
    const Vector<u32>& points = m_wanted[cls == RegClass::Gpr ? reg : 16 + reg];
    const u32* first = std::upper_bound(points.begin(), points.end(), start);
    return first != points.end() && *first <= end;
}

bool Allocator::wanted_deeper(RegClass cls, u8 reg, u32 start, u32 end, u32 level) const
{
    const Vector<u32>& points = m_wanted[cls == RegClass::Gpr ? reg : 16 + reg];
    // NOTE: bounded, so that a huge function costs no quadratic time here.
    u32 looked = 0;
    for (const u32* p = std::upper_bound(points.begin(), points.end(), start); p != points.end() && *p <= end; ++p) {
        if (level_at(*p) > level)
            return true;
        if (++looked == 64)
            break;
    }
    return false;
}

// `source_level`: the loop level of the move the hint removes (the entry's, or the
// edge's source block's), kLevels when it is not to be weighed against fixed hints.
u32 Allocator::move_hint(const Function& f, Value v, RegClass cls, u32& source_level) const
{
    source_level = kLevels;
    auto reg_of = [&](Value w) -> u32 {
        if (w == kNone)
            return kNone;
        Loc loc = m_locs[w];
        if (loc.kind != LocKind::Reg || class_of(f.value(w).type) != cls)
            return kNone;
        return loc.reg;
    };
    u32 hint = reg_of(m_param_of_arg[v]);
    if (hint != kNone)
        return hint;
    const engine::opt::ValueData& data = f.value(v);
    if (data.kind == ValueKind::Param) {
        if (data.def == f.entry() && data.index < m_entry_hints.size() && m_entry_hints[data.index] != kNoHint) {
            source_level = level_at(m_block_start[data.def]);
            return m_entry_hints[data.index];
        }
        for (u32 e : f.preds(data.def)) {
            hint = reg_of(f.edge_args(e)[data.index]);
            if (hint != kNone) {
                source_level = level_at(m_block_end[f.edge(e).from]);
                return hint;
            }
        }
        return kNone;
    }
    return kNone;
}

// Two-address form: the first operand's register (a call's results come in fixed
// registers instead, see fixed_hint).
u32 Allocator::operand_hint(const Function& f, Value v, RegClass cls) const
{
    const engine::opt::ValueData& data = f.value(v);
    if (data.kind == ValueKind::Param || data.index != 0)
        return kNone;
    Op op = f.inst(data.def).op;
    if (op == Op::Call || op == Op::CallIndirect || op == Op::CallRef)
        return kNone;
    Span<const u32> args = f.args(data.def);
    if (args.size() == 0)
        return kNone;
    Loc loc = m_locs[args[0]];
    if (loc.kind != LocKind::Reg || class_of(f.value(args[0]).type) != cls)
        return kNone;
    return loc.reg;
}

Result<void> Allocator::scan(const Function& f)
{
    // Definition positions of the values with a fixed hint, per register (wanted).
    for (auto& points : m_wanted)
        points.clear();
    for (u32 v = 0; v < m_value_hints.size() && v < f.value_count(); ++v) {
        u8 reg = m_value_hints[v];
        if (reg >= 16 || m_interval_of[v] == kNone)
            continue;
        RegClass cls = class_of(f.value(v).type);
        TRY(m_wanted[cls == RegClass::Gpr ? reg : 16 + reg].try_append(m_intervals[m_interval_of[v]].start));
    }
    for (auto& points : m_wanted)
        std::sort(points.begin(), points.end());

    Vector<u32> order;
    TRY(order.try_resize(m_intervals.size(), 0));
    for (u32 k = 0; k < order.size(); ++k)
        order[k] = k;
    std::sort(order.begin(), order.end(), [&](u32 a, u32 b) {
        return m_intervals[a].start != m_intervals[b].start ? m_intervals[a].start < m_intervals[b].start : a < b;
    });

    // Active intervals per class: register -> interval index (kNone when free).
    u32 active_gpr[16];
    u32 active_xmm[16];
    for (u32 k = 0; k < 16; ++k)
        active_gpr[k] = active_xmm[k] = kNone;

    // The register the code generator moves the value to or from anyway (a call's
    // argument or result, the returned value), kNone without one.
    auto fixed_hint = [&](Value v) -> u32 {
        if (v >= m_value_hints.size() || m_value_hints[v] == kNoHint)
            return kNone;
        return m_value_hints[v];
    };

    // A v128 value takes two consecutive slots (see slot_span).
    auto slot_of = [&](Value v) {
        u32 slot = m_slots;
        m_slots += slot_span(f.value(v).type);
        return Loc { LocKind::Slot, 0, slot };
    };
    for (u32 index : order) {
        const Interval& interval = m_intervals[index];
        if (prefers_slot(interval)) {
            m_locs[interval.value] = slot_of(interval.value);
            continue;
        }
        RegClass cls = class_of(f.value(interval.value).type);
        u32* active = cls == RegClass::Gpr ? active_gpr : active_xmm;
        u32 reg_count = allocatable_count(cls);
        auto reg_at = [&](u32 k) { return allocatable_reg(cls, k); };
        // Expire.
        for (u32 k = 0; k < 16; ++k) {
            if (active[k] != kNone && m_intervals[active[k]].end < interval.start)
                active[k] = kNone;
        }
        auto usable = [&](u8 reg) { return !blocked(cls, reg, interval.start, interval.end); };
        u32 chosen = kNone;
        // Hints in order: an edge's or the entry's (move_hint), which removes a move at
        // every pass over the edge; the fixed register of an ABI use or definition,
        // which otherwise costs a move at the call or the return; the first operand's,
        // which saves a move only for two-address forms (an add or a subtraction of a
        // constant into a third register is a lea anyway).
        u32 source_level = kLevels;
        u32 hints[3] = { move_hint(f, interval.value, cls, source_level), fixed_hint(interval.value), operand_hint(f, interval.value, cls) };
        // A parameter whose move would vanish only on a shallower path than the fixed
        // use of its register inside its interval (a loop's entry edge against a call
        // in the loop) leaves that register to the fixed use.
        if (hints[0] != kNone && source_level < kLevels && hints[0] < 16
            && wanted_deeper(cls, static_cast<u8>(hints[0]), interval.start, interval.end, source_level))
            hints[0] = kNone;
        auto allocatable = [&](u32 reg) {
            for (u32 k = 0; k < reg_count; ++k) {
                if (reg_at(k) == reg)
                    return true;
            }
            return false;
        };
        for (u32 hint : hints) {
            if (chosen == kNone && hint != kNone && allocatable(hint) && active[hint] == kNone && usable(static_cast<u8>(hint)))
                chosen = hint;
        }
        // Without a hint, a register that a value defined inside this interval prefers
        // (a call's result, an argument computed for a call, see fixed_hint) is taken
        // only when no other one is free, so that value can still have it.
        for (u32 pass = 0; pass < 2 && chosen == kNone; ++pass) {
            for (u32 k = 0; chosen == kNone && k < reg_count; ++k) {
                u8 reg = reg_at(k);
                if (active[reg] == kNone && usable(reg) && (pass == 1 || !wanted(cls, reg, interval.start, interval.end)))
                    chosen = reg;
            }
        }
        if (chosen == kNone) {
            // Spill whichever of the current and the active intervals ends last.
            u32 victim_reg = kNone;
            for (u32 k = 0; k < reg_count; ++k) {
                u8 reg = reg_at(k);
                if (active[reg] == kNone || !usable(reg))
                    continue;
                if (victim_reg == kNone || m_intervals[active[reg]].end > m_intervals[active[victim_reg]].end)
                    victim_reg = reg;
            }
            if (victim_reg != kNone && m_intervals[active[victim_reg]].end > interval.end) {
                Value victim = m_intervals[active[victim_reg]].value;
                m_locs[victim] = slot_of(victim);
                chosen = victim_reg;
            } else {
                m_locs[interval.value] = slot_of(interval.value);
                continue;
            }
        }
        active[chosen] = index;
        m_locs[interval.value] = Loc { LocKind::Reg, static_cast<u8>(chosen), 0 };
    }
    if (m_slots > (1u << 24))
        return Error::from("optimising tier: function too large to allocate", ErrorKind::Unsupported);

    for (auto& list : m_assigned)
        list.clear();
    for (u32 index : order) {
        const Interval& interval = m_intervals[index];
        Loc loc = m_locs[interval.value];
        if (loc.kind != LocKind::Reg)
            continue;
        RegClass cls = class_of(f.value(interval.value).type);
        TRY(m_assigned[cls == RegClass::Gpr ? loc.reg : 16 + loc.reg].try_append(interval));
    }
    return {};
}

Result<void> Allocator::weigh_calls(const Function& f)
{
    // Loop depth of each block from natural loops: for each header (a block with an
    // incoming edge from a block it dominates), the blocks that reach a back edge's
    // source without passing the header. Nested loops make this quadratic, so it has a
    // work budget (as LICM's); past it every depth is 0 and only the counts remain.
    u32 halves = 0;
    for (Block b : f.layout())
        halves = std::max(halves, m_block_end[b] / 2 + 2);
    TRY(m_depth.try_resize(halves + 1, 0));
    TRY(m_block_depth.try_resize(f.block_count(), 0));
    TRY(m_loop_mark.try_resize(f.block_count(), kNone));
    for (u32& depth : m_block_depth)
        depth = 0;
    for (u32& mark : m_loop_mark)
        mark = kNone;
    TRY(m_dominators.compute(f));
    u64 budget = 16 * (u64 { f.inst_count() } + f.block_count()) + 65536;
    bool exhausted = false;
    for (Block h : f.layout()) {
        if (exhausted)
            break;
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
        m_loop_mark[h] = h;
        ++m_block_depth[h];
        while (!m_loop_work.is_empty()) {
            Block b = m_loop_work.pop_back();
            if (b == h)
                continue;
            ++m_block_depth[b];
            for (u32 e : f.preds(b)) {
                if (budget-- == 0) {
                    exhausted = true;
                    break;
                }
                Block from = f.edge(e).from;
                if (m_loop_mark[from] != h) {
                    m_loop_mark[from] = h;
                    TRY(m_loop_work.try_append(from));
                }
            }
            if (exhausted)
                break;
        }
    }
    for (Block b : f.layout()) {
        u32 depth = exhausted ? 0 : m_block_depth[b];
        for (u32 half = m_block_start[b] / 2; half <= m_block_end[b] / 2 + 1 && half < m_depth.size(); ++half)
            m_depth[half] = depth;
    }

    TRY(m_use_weight.try_resize(f.value_count(), 0));
    TRY(m_use_level.try_resize(f.value_count(), 0));
    for (u64& weight : m_use_weight)
        weight = 0;
    for (u8& level : m_use_level)
        level = 0;
    m_calls.clear();
    for (auto& counts : m_calls_at_level) {
        counts.clear();
        TRY(counts.try_append(0));
    }
    for (Block b : f.layout()) {
        // Whatever is live across the calls of a dead end (mark_cold_blocks) is never
        // used again, so they are not weighed against registers.
        bool cold = m_cold_block[b] != 0;
        for (Inst i : f.insts(b)) {
            const engine::opt::InstData& data = f.inst(i);
            u32 position = m_inst_position[i];
            u64 weight = weight_at(position);
            u8 level = level_at(position);
            auto use = [&](Value v) {
                m_use_weight[v] += weight;
                m_use_level[v] = std::max(m_use_level[v], level);
            };
            for (Value v : f.args(i))
                use(v);
            for (u32 e = data.first_edge; e < data.first_edge + data.edge_count; ++e) {
                for (Value v : f.edge_args(e))
                    use(v);
            }
            if ((data.op == Op::Call || data.op == Op::CallIndirect || data.op == Op::CallRef) && !cold) {
                TRY(m_calls.try_append(position));
                for (u32 l = 0; l < kLevels; ++l)
                    TRY(m_calls_at_level[l].try_append(m_calls_at_level[l].last() + (level >= l ? weight : 0)));
            }
        }
    }
    return {};
}

bool Allocator::prefers_slot(const Interval& interval) const
{
    // Calls crossed: positions c with start < c and c + 2 <= end (what the code
    // generator saves around, see save_live_across).
    if (interval.end < 2)
        return false;
    const u32* first = std::upper_bound(m_calls.begin(), m_calls.end(), interval.start);
    const u32* last = std::upper_bound(m_calls.begin(), m_calls.end(), interval.end - 2);
    if (first >= last)
        return false;
    usize from = static_cast<usize>(first - m_calls.begin());
    usize to = static_cast<usize>(last - m_calls.begin());
    // Only calls at least as deep in loops as the value's deepest use count: calls in
    // shallower or sibling code must not outweigh uses in a hot inner loop. In a
    // register the value costs a store and a load per such call, in its slot a store
    // where defined and a memory operand per use; ties go to the register (the calls
    // may sit on a rare path of the loop, the uses on every path).
    u64 crossed = m_calls_at_level[m_use_level[interval.value]][to] - m_calls_at_level[m_use_level[interval.value]][from];
    return crossed != 0 && weight_at(interval.start) + m_use_weight[interval.value] < crossed;
}

bool Allocator::saves_at_definition(Value v) const
{
    if (m_locs[v].kind != LocKind::Reg || m_interval_of[v] == kNone)
        return false;
    const Interval& interval = m_intervals[m_interval_of[v]];
    u32 level = level_at(interval.start);
    if (interval.end < 2 || level + 1 >= kLevels)
        return false;
    // The calls save_live_across saves this value around (see prefers_slot).
    const u32* first = std::upper_bound(m_calls.begin(), m_calls.end(), interval.start);
    const u32* last = std::upper_bound(m_calls.begin(), m_calls.end(), interval.end - 2);
    if (first >= last)
        return false;
    usize from = static_cast<usize>(first - m_calls.begin());
    usize to = static_cast<usize>(last - m_calls.begin());
    return m_calls_at_level[level + 1][to] != m_calls_at_level[level + 1][from];
}

Result<void> Allocator::run(const Function& f, Span<const u8> entry_hints, Span<const u8> value_hints)
{
    m_entry_hints = entry_hints;
    m_value_hints = value_hints;
    m_slots = 0;
    m_varies.clear();
    TRY(number_positions(f));
    TRY(compute_liveness(f));
    TRY(build_intervals(f));
    TRY(weigh_calls(f));
    TRY(scan(f));
    TRY(assign_cold_slots(f));
    TRY(split_loops(f));
    return mark_varying(f);
}

} // namespace wk::engine::x64::opt
