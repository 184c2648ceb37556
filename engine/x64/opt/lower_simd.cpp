// SIMD (v128) lowering: the operands are put in registers and the sequences shared with
// the baseline (engine/x64/simd_lowering.h) do the work. Those sequences compute in
// place in a working register and need their other operands in registers that they
// only read, plus one or two scratch registers. xmm15 is always their scratch; xmm14
// and, when more are needed (operands in spill slots, a result in a slot or in another
// operand's register), allocatable registers borrowed for the instruction (saved to two
// frame slot pairs and restored after it) supply the rest. Only r10 and r11 are used
// as general scratch registers.

#include "engine/x64/opt/optimizing_compiler.h"
#include "engine/x64/opt/scratch.h"
#include "engine/x64/simd_lowering.h"

namespace wk::engine::x64::opt {

using engine::opt::kNone;
using engine::opt::Op;
using engine::opt::Type;
using namespace x64::abi;
using x64::baseline::gpr;
using x64::baseline::xmm;

namespace {

bool is_shift(Opcode op)
{
    switch (op) {
    case Opcode::I8x16Shl: case Opcode::I8x16ShrS: case Opcode::I8x16ShrU:
    case Opcode::I16x8Shl: case Opcode::I16x8ShrS: case Opcode::I16x8ShrU:
    case Opcode::I32x4Shl: case Opcode::I32x4ShrS: case Opcode::I32x4ShrU:
    case Opcode::I64x2Shl: case Opcode::I64x2ShrS: case Opcode::I64x2ShrU: return true;
    default: return false;
    }
}

} // namespace

Result<void> OptimizingCompiler::emit_simd(Inst inst)
{
    const engine::opt::InstData& data = m_function.inst(inst);
    if (engine::opt::is_simd_access(data.op))
        return emit_simd_access(inst);
    Opcode op = simd_deterministic(op_info(data.op).wasm);
    Span<const u32> args = m_function.args(inst);
    Value result = m_function.result(inst);
    u8 lane = static_cast<u8>(data.imm3);
    switch (op) {
    case Opcode::V128Const: {
        Xmm w = result_xmm(result, kScratchXmm);
        load_simd_constant(m_asm, w, data.imm, u64 { data.imm2 } | u64 { data.imm3 } << 32, kScratch);
        finish_xmm(result, w);
        return {};
    }
    case Opcode::V128AnyTrue:
    case Opcode::I8x16AllTrue: case Opcode::I16x8AllTrue: case Opcode::I32x4AllTrue: case Opcode::I64x2AllTrue:
    case Opcode::I8x16Bitmask: case Opcode::I16x8Bitmask: case Opcode::I32x4Bitmask: case Opcode::I64x2Bitmask: {
        Xmm source = xmm_in(args[0], kScratchXmm2);
        Gpr w = result_gpr(result, kScratch2);
        emit_simd_test(m_asm, op, w, source, kScratchXmm);
        finish_gpr(result, w);
        return {};
    }
    case Opcode::I8x16ExtractLaneS: case Opcode::I8x16ExtractLaneU:
    case Opcode::I16x8ExtractLaneS: case Opcode::I16x8ExtractLaneU:
    case Opcode::I32x4ExtractLane: case Opcode::I64x2ExtractLane: {
        Xmm source = xmm_in(args[0], kScratchXmm2);
        Gpr w = result_gpr(result, kScratch2);
        emit_simd_extract_int(m_asm, op, lane, w, source);
        finish_gpr(result, w);
        return {};
    }
    case Opcode::F32x4ExtractLane:
    case Opcode::F64x2ExtractLane: {
        Xmm source = xmm_in(args[0], kScratchXmm2);
        Xmm w = result_xmm(result, kScratchXmm);
        emit_simd_extract_float(m_asm, op, lane, w, source);
        finish_xmm(result, w);
        return {};
    }
    case Opcode::I8x16Splat: case Opcode::I16x8Splat: case Opcode::I32x4Splat: case Opcode::I64x2Splat: {
        Gpr source = gpr_in(args[0], kScratch2);
        Xmm w = result_xmm(result, kScratchXmm2);
        emit_simd_splat(m_asm, op, w, source, kScratchXmm);
        finish_xmm(result, w);
        return {};
    }
    case Opcode::F32x4Splat:
    case Opcode::F64x2Splat: {
        Xmm w = result_xmm(result, kScratchXmm2);
        if (!in_reg(args[0], number(w), RegClass::Xmm))
            load_xmm(w, args[0]);
        emit_simd_splat(m_asm, op, w, kScratch, kScratchXmm);
        finish_xmm(result, w);
        return {};
    }
    default: break;
    }
    return emit_simd_in_place(inst, op);
}

// The operations that compute in place on their first (v128) operand: lane-wise ones,
// shuffles, shifts and lane replacement.
Result<void> OptimizingCompiler::emit_simd_in_place(Inst inst, Opcode op)
{
    const engine::opt::InstData& data = m_function.inst(inst);
    Span<const u32> args = m_function.args(inst);
    Value result = m_function.result(inst);
    bool shift = is_shift(op);
    bool replace_int = op == Opcode::I8x16ReplaceLane || op == Opcode::I16x8ReplaceLane
        || op == Opcode::I32x4ReplaceLane || op == Opcode::I64x2ReplaceLane;
    bool replace_float = op == Opcode::F32x4ReplaceLane || op == Opcode::F64x2ReplaceLane;
    bool shuffle = op == Opcode::I8x16Shuffle;
    bool lanewise = is_simd_lanewise(op);
    if (!shift && !replace_int && !replace_float && !shuffle && !lanewise)
        return unsupported("optimising tier: SIMD instruction not supported by the x86-64 back end yet");
    bool needs_scratch2 = shuffle || (lanewise && simd_needs_scratch2(op))
        || (shift && (op == Opcode::I8x16Shl || op == Opcode::I8x16ShrS || op == Opcode::I8x16ShrU || op == Opcode::I64x2ShrS));
    // The operands read in registers (v128 and float ones): all but the first, and not
    // the shift count or the integer lane value.
    u32 other_count = (shift || replace_int) ? 0 : static_cast<u32>(args.size()) - 1;
    if (other_count > 2)
        return unsupported("optimising tier: SIMD instruction with more operands than expected");

    // Registers that must not be borrowed or used as temporaries.
    bool busy[16] = {};
    busy[number(kScratchXmm)] = true;
    busy[number(kScratchXmm2)] = true;
    auto mark = [&](Value v) {
        Loc loc = m_alloc.loc(v);
        if (loc.kind == LocKind::Reg && class_of(m_function.value(v).type) == RegClass::Xmm)
            busy[loc.reg] = true;
    };
    mark(args[0]);
    for (u32 k = 0; k < other_count; ++k)
        mark(args[1 + k]);
    Loc rl = m_alloc.loc(result);
    if (rl.kind == LocKind::Reg)
        busy[rl.reg] = true;

    // Temporaries: xmm14, then borrowed registers.
    Xmm borrowed[2] = {};
    u32 borrow_count = 0;
    bool xmm14_free = true;
    auto temp = [&]() -> Xmm {
        if (xmm14_free) {
            xmm14_free = false;
            return kScratchXmm2;
        }
        for (u8 reg = 0; reg < kAllocatableXmms; ++reg) {
            if (!busy[reg]) {
                busy[reg] = true;
                borrowed[borrow_count++] = xmm(reg);
                return xmm(reg);
            }
        }
        WK_ASSERT(false);
        return kScratchXmm2;
    };

    Xmm others[2] = { kScratchXmm, kScratchXmm };
    bool other_in_temp[2] = {};
    for (u32 k = 0; k < other_count; ++k) {
        Loc loc = m_alloc.loc(args[1 + k]);
        if (loc.kind == LocKind::Reg) {
            others[k] = xmm(loc.reg);
        } else {
            others[k] = temp();
            other_in_temp[k] = true;
        }
    }
    // The working register: the result's own unless another operand sits there.
    bool result_reg_free = rl.kind == LocKind::Reg;
    for (u32 k = 0; k < other_count; ++k)
        result_reg_free = result_reg_free && !(others[k] == xmm(rl.reg));
    Xmm w = result_reg_free ? xmm(rl.reg) : temp();
    Xmm scratch2 = needs_scratch2 ? temp() : w;

    if (borrow_count != 0 && m_simd_borrow_slot == kNone)
        m_simd_borrow_slot = m_alloc.new_slot(4);
    for (u32 k = 0; k < borrow_count; ++k)
        m_asm.movdqu(v128_slot_mem(m_simd_borrow_slot + 2 * k), borrowed[k]);
    for (u32 k = 0; k < other_count; ++k) {
        if (other_in_temp[k])
            load_xmm(others[k], args[1 + k]);
    }
    if (!in_reg(args[0], number(w), RegClass::Xmm))
        load_xmm(w, args[0]);

    if (shift) {
        load_gpr(kScratch, args[1]);
        emit_simd_shift(m_asm, op, w, kScratch, kScratchXmm, scratch2);
    } else if (replace_int) {
        Gpr value = gpr_in(args[1], kScratch);
        emit_simd_replace_int(m_asm, op, static_cast<u8>(data.imm3), w, value);
    } else if (replace_float) {
        emit_simd_replace_float(m_asm, op, static_cast<u8>(data.imm3), w, others[0]);
    } else if (shuffle) {
        u8 lanes[16];
        __builtin_memcpy(lanes, &data.imm, 8);
        __builtin_memcpy(lanes + 8, &data.imm2, 4);
        __builtin_memcpy(lanes + 12, &data.imm3, 4);
        emit_simd_shuffle(m_asm, lanes, w, others[0], kScratchXmm, scratch2, kScratch);
    } else {
        SimdRegs regs { w, other_count > 0 ? others[0] : w, other_count > 1 ? others[1] : w, kScratchXmm, scratch2, kScratch };
        emit_simd_lanewise(m_asm, op, regs);
    }
    finish_xmm(result, w);
    for (u32 k = 0; k < borrow_count; ++k)
        m_asm.movdqu(borrowed[k], v128_slot_mem(m_simd_borrow_slot + 2 * k));
    return {};
}

Result<void> OptimizingCompiler::emit_simd_access(Inst inst)
{
    const engine::opt::InstData& data = m_function.inst(inst);
    Span<const u32> args = m_function.args(inst);
    Opcode op = op_info(data.op).wasm;
    if (!(data.flags & (engine::opt::kGuarded | engine::opt::kChecked)))
        return unsupported("optimising tier: memory access without its bounds check");
    bool lane_access = opcode_info(op).imm == ImmKind::MemArgLane;
    u8 lane = static_cast<u8>(data.imm3);
    if (engine::opt::is_simd_store(data.op)) {
        // The value first: a v128 in a slot is loaded without r10 or r11.
        Xmm value = xmm_in(args[1], kScratchXmm2);
        Mem access = access_mem(inst);
        TRY(record_trap_here(TrapKind::MemoryOutOfBounds));
        if (lane_access)
            emit_simd_lane_access(m_asm, op, lane, value, access);
        else
            m_asm.movdqu(access, value);
        return {};
    }
    Value result = m_function.result(inst);
    Xmm w = result_xmm(result, kScratchXmm2);
    if (lane_access) {
        // In place on the vector operand (its register may be the result's).
        if (!in_reg(args[1], number(w), RegClass::Xmm))
            load_xmm(w, args[1]);
        Mem access = access_mem(inst);
        TRY(record_trap_here(TrapKind::MemoryOutOfBounds));
        emit_simd_lane_access(m_asm, op, lane, w, access);
    } else {
        Mem access = access_mem(inst);
        TRY(record_trap_here(TrapKind::MemoryOutOfBounds));
        emit_simd_load(m_asm, op, w, access, kScratchXmm, kScratch);
    }
    finish_xmm(result, w);
    return {};
}

} // namespace wk::engine::x64::opt
