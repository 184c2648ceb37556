// Values in places: reading operands into registers, writing results back, and
// parallel moves (block arguments, call arguments, parameters), resolved in an order
// that reads every source before it is overwritten; a cycle is broken through r10
// (general registers and slots) or xmm15 (float registers). Only r11 and xmm15 are
// used as intermediates here, so a caller may keep a pointer in r10 across
// emit_move (emit_return does).

#include "engine/x64/float_lowering.h"
#include "engine/x64/opt/optimizing_compiler.h"

namespace wk::engine::x64::opt {


using engine::opt::Type;
using namespace x64::abi;
using x64::baseline::gpr;
using x64::baseline::xmm;

OptimizingCompiler::MoveLoc OptimizingCompiler::value_loc_in(Value v, Block b) const
{
    MoveLoc loc;
    Type type = m_function.value(v).type;
    loc.cls = class_of(type);
    loc.v128 = type == Type::V128;
    Loc place = m_alloc.loc_in(v, b);
    switch (place.kind) {
    case LocKind::Reg:
        loc.kind = MoveLoc::Kind::Reg;
        loc.reg = place.reg;
        break;
    case LocKind::Slot:
        loc.kind = MoveLoc::Kind::Slot;
        loc.slot = place.slot;
        break;
    default:
        loc.kind = MoveLoc::Kind::Const;
        loc.bits = const_bits(v);
        loc.f32 = type == Type::F32;
        break;
    }
    return loc;
}

void OptimizingCompiler::emit_move(const MoveLoc& dst, const MoveLoc& src)
{
    using Kind = MoveLoc::Kind;
    auto memory_of = [&](const MoveLoc& loc) {
        if (loc.kind != Kind::Slot)
            return loc.memory;
        return loc.v128 ? v128_slot_mem(loc.slot) : slot_mem(loc.slot);
    };
    if (dst.same_place(src))
        return;
    if (src.v128 || dst.v128) {
        // 16 bytes: never a constant (v128.const is an instruction with a register).
        if (src.kind == Kind::Reg && dst.kind == Kind::Reg) {
            m_asm.movaps(xmm(dst.reg), xmm(src.reg));
        } else if (src.kind == Kind::Reg) {
            m_asm.movdqu(memory_of(dst), xmm(src.reg));
        } else if (dst.kind == Kind::Reg) {
            m_asm.movdqu(xmm(dst.reg), memory_of(src));
        } else {
            // Through r11 (xmm15 may hold a parked cycle value).
            Mem from = memory_of(src);
            Mem to = memory_of(dst);
            m_asm.mov(kScratch, from, Size::Qword);
            m_asm.mov(to, kScratch, Size::Qword);
            m_asm.mov(kScratch, from.plus(8), Size::Qword);
            m_asm.mov(to.plus(8), kScratch, Size::Qword);
        }
        return;
    }
    if (src.kind == Kind::Const) {
        if (dst.kind == Kind::Reg && dst.cls == RegClass::Xmm) {
            load_float_constant(m_asm, !src.f32, src.bits, xmm(dst.reg), kScratch);
        } else if (dst.kind == Kind::Reg) {
            if (src.bits <= 0xFFFF'FFFFu)
                m_asm.mov(gpr(dst.reg), static_cast<i64>(src.bits), Size::Dword);
            else
                m_asm.mov(gpr(dst.reg), static_cast<i64>(src.bits), Size::Qword);
        } else if (static_cast<i64>(src.bits) == static_cast<i32>(src.bits)) {
            m_asm.mov(memory_of(dst), static_cast<i32>(src.bits), Size::Qword);
        } else {
            m_asm.mov(kScratch, static_cast<i64>(src.bits), Size::Qword);
            m_asm.mov(memory_of(dst), kScratch, Size::Qword);
        }
        return;
    }
    if (src.kind == Kind::Reg) {
        if (dst.kind == Kind::Reg) {
            if (src.cls == RegClass::Gpr && dst.cls == RegClass::Gpr)
                m_asm.mov(gpr(dst.reg), gpr(src.reg), Size::Qword);
            else if (src.cls == RegClass::Xmm && dst.cls == RegClass::Xmm)
                m_asm.movaps(xmm(dst.reg), xmm(src.reg));
            else if (src.cls == RegClass::Gpr)
                m_asm.movq(xmm(dst.reg), gpr(src.reg));
            else
                m_asm.movq(gpr(dst.reg), xmm(src.reg));
        } else if (src.cls == RegClass::Gpr) {
            m_asm.mov(memory_of(dst), gpr(src.reg), Size::Qword);
        } else {
            m_asm.movsd(memory_of(dst), xmm(src.reg));
        }
        return;
    }
    // From memory.
    Mem from = memory_of(src);
    Size size = src.dword ? Size::Dword : Size::Qword;
    if (dst.kind == Kind::Reg) {
        if (dst.cls == RegClass::Gpr)
            m_asm.mov(gpr(dst.reg), from, size);
        else
            m_asm.movsd(xmm(dst.reg), from);
        return;
    }
    m_asm.mov(kScratch, from, size);
    m_asm.mov(memory_of(dst), kScratch, Size::Qword);
}

Result<void> OptimizingCompiler::emit_parallel_moves(Vector<Move>& moves)
{
    using Kind = MoveLoc::Kind;
    // Drop moves that do nothing.
    for (u32 k = 0; k < moves.size();) {
        if (moves[k].dst.same_place(moves[k].src)) {
            moves[k] = moves.last();
            moves.pop_back();
        } else {
            ++k;
        }
    }
    // Ordering is quadratic in the number of moves (every check scans the rest); a hostile
    // body can make thousands at one edge. Past a small number, every source goes to a
    // staging slot first and then to its destination: linear, always correct.
    if (moves.size() > kMaxOrderedMoves) {
        // Pairs of slots: any of the moves may carry a v128.
        while (m_staging.size() < moves.size())
            TRY(m_staging.try_append(m_alloc.new_slot(2)));
        for (u32 k = 0; k < moves.size(); ++k) {
            MoveLoc stage;
            stage.kind = Kind::Slot;
            stage.cls = moves[k].src.cls;
            stage.v128 = moves[k].src.v128 || moves[k].dst.v128;
            stage.slot = m_staging[k];
            emit_move(stage, moves[k].src);
            moves[k].src = stage;
        }
        for (const Move& move : moves)
            emit_move(move.dst, move.src);
        moves.clear();
        return {};
    }
    auto is_source = [&](const MoveLoc& loc, u32 except) {
        for (u32 k = 0; k < moves.size(); ++k) {
            if (k != except && moves[k].src.kind != Kind::Const && moves[k].src.same_place(loc))
                return true;
        }
        return false;
    };
    while (!moves.is_empty()) {
        bool progress = false;
        for (u32 k = 0; k < moves.size();) {
            if (moves[k].src.kind == Kind::Const || is_source(moves[k].dst, k)) {
                ++k;
                continue;
            }
            emit_move(moves[k].dst, moves[k].src);
            moves[k] = moves.last();
            moves.pop_back();
            progress = true;
        }
        if (progress)
            continue;
        // Only constants (which block nothing) or cycles are left.
        bool only_constants = true;
        for (const Move& move : moves)
            only_constants = only_constants && move.src.kind == Kind::Const;
        if (only_constants) {
            for (const Move& move : moves)
                emit_move(move.dst, move.src);
            moves.clear();
            break;
        }
        // A cycle: park one destination's current value in a temporary and read it from there.
        u32 pick = 0;
        while (moves[pick].src.kind == Kind::Const)
            ++pick;
        MoveLoc parked = moves[pick].dst;
        MoveLoc temp;
        temp.kind = Kind::Reg;
        temp.v128 = parked.v128;
        if (parked.cls == RegClass::Xmm && (parked.kind == Kind::Reg || parked.v128)) {
            temp.cls = RegClass::Xmm;
            temp.reg = number(kScratchXmm);
        } else {
            temp.cls = RegClass::Gpr;
            temp.reg = number(Gpr::r10);
        }
        emit_move(temp, parked);
        for (Move& move : moves) {
            if (move.src.kind != Kind::Const && move.src.same_place(parked)) {
                // A float value parked in r10 keeps its class for the move out of it.
                move.src = temp;
            }
        }
    }
    return {};
}

Gpr OptimizingCompiler::gpr_in(Value v, Gpr scratch)
{
    Loc loc = m_alloc.loc(v);
    if (loc.kind == LocKind::Reg)
        return gpr(loc.reg);
    load_gpr(scratch, v);
    return scratch;
}

Xmm OptimizingCompiler::xmm_in(Value v, Xmm scratch)
{
    Loc loc = m_alloc.loc(v);
    if (loc.kind == LocKind::Reg)
        return xmm(loc.reg);
    load_xmm(scratch, v);
    return scratch;
}

void OptimizingCompiler::load_gpr(Gpr dst, Value v)
{
    MoveLoc to;
    to.reg = number(dst);
    emit_move(to, value_loc(v));
}

void OptimizingCompiler::load_xmm(Xmm dst, Value v)
{
    MoveLoc to;
    to.cls = RegClass::Xmm;
    to.reg = number(dst);
    emit_move(to, value_loc(v));
}

Gpr OptimizingCompiler::result_gpr(Value v, Gpr fallback) const
{
    Loc loc = m_alloc.loc(v);
    return loc.kind == LocKind::Reg ? gpr(loc.reg) : fallback;
}

Xmm OptimizingCompiler::result_xmm(Value v, Xmm fallback) const
{
    Loc loc = m_alloc.loc(v);
    return loc.kind == LocKind::Reg ? xmm(loc.reg) : fallback;
}

void OptimizingCompiler::finish_gpr(Value v, Gpr working)
{
    Loc loc = m_alloc.loc(v);
    if (loc.kind == LocKind::Reg) {
        if (loc.reg != number(working))
            m_asm.mov(gpr(loc.reg), working, Size::Qword);
    } else if (loc.kind == LocKind::Slot) {
        m_asm.mov(slot_mem(loc.slot), working, Size::Qword);
    }
}

void OptimizingCompiler::finish_xmm(Value v, Xmm working)
{
    Loc loc = m_alloc.loc(v);
    if (loc.kind == LocKind::Reg) {
        if (loc.reg != number(working))
            m_asm.movaps(xmm(loc.reg), working);
    } else if (loc.kind == LocKind::Slot) {
        if (m_function.value(v).type == Type::V128)
            m_asm.movdqu(v128_slot_mem(loc.slot), working);
        else
            m_asm.movsd(slot_mem(loc.slot), working);
    }
}

} // namespace wk::engine::x64::opt
