// SIMD and relaxed SIMD (v128 values live in xmm registers and 16-byte slots).
//
// The instruction sequences are shared with the optimising tier
// (engine/x64/simd_lowering.h); this file only takes the operands off the value stack
// and puts the result back. Relaxed SIMD compiles to the deterministic choices of
// simd_deterministic.

#include "engine/x64/baseline/baseline_compiler.h"
#include "engine/x64/simd_lowering.h"

namespace wk::engine::x64::baseline {

Result<void> BaselineCompiler::emit_simd(const Instruction& instruction)
{
    Opcode op = simd_deterministic(instruction.opcode);
    const OpcodeInfo& info = opcode_info(op);
    if (info.imm == ImmKind::MemArg || info.imm == ImmKind::MemArgLane)
        return emit_simd_memory(instruction, info);
    if (is_simd_lanewise(op)) {
        u8 regs[3] = {};
        u32 count = info.param_count;
        for (u32 k = count; k-- > 0;)
            regs[k] = TRY(pop_reg(RegClass::Fpr));
        // Allocate before xmm15 holds anything: a spill may go through it.
        bool temp = simd_needs_scratch2(op);
        u8 scratch2 = temp ? TRY(allocate(RegClass::Fpr)) : regs[0];
        SimdRegs simd { xmm(regs[0]), xmm(regs[count > 1 ? 1 : 0]), xmm(regs[count > 2 ? 2 : 0]), kScratchXmm,
                        xmm(scratch2), kScratch };
        emit_simd_lanewise(m_asm, op, simd);
        if (temp)
            release(RegClass::Fpr, scratch2);
        for (u32 k = 1; k < count; ++k)
            release(RegClass::Fpr, regs[k]);
        return push_reg(ValKind::V128, regs[0]);
    }
    switch (op) {
    case Opcode::V128Const: {
        u8 reg = TRY(allocate(RegClass::Fpr));
        u64 low;
        u64 high;
        __builtin_memcpy(&low, instruction.v128, 8);
        __builtin_memcpy(&high, instruction.v128 + 8, 8);
        load_simd_constant(m_asm, xmm(reg), low, high, kScratch);
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::I8x16Shuffle: {
        u8 rhs = TRY(pop_reg(RegClass::Fpr));
        u8 lhs = TRY(pop_reg(RegClass::Fpr));
        u8 temp = TRY(allocate(RegClass::Fpr));
        emit_simd_shuffle(m_asm, instruction.v128, xmm(lhs), xmm(rhs), kScratchXmm, xmm(temp), kScratch);
        release(RegClass::Fpr, temp);
        release(RegClass::Fpr, rhs);
        return push_reg(ValKind::V128, lhs);
    }
    case Opcode::I8x16Shl: case Opcode::I8x16ShrS: case Opcode::I8x16ShrU:
    case Opcode::I16x8Shl: case Opcode::I16x8ShrS: case Opcode::I16x8ShrU:
    case Opcode::I32x4Shl: case Opcode::I32x4ShrS: case Opcode::I32x4ShrU:
    case Opcode::I64x2Shl: case Opcode::I64x2ShrS: case Opcode::I64x2ShrU: {
        u8 count = TRY(pop_reg(RegClass::Gpr));
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        bool temp = op == Opcode::I8x16Shl || op == Opcode::I8x16ShrS || op == Opcode::I8x16ShrU || op == Opcode::I64x2ShrS;
        u8 scratch2 = temp ? TRY(allocate(RegClass::Fpr)) : reg;
        emit_simd_shift(m_asm, op, xmm(reg), gpr(count), kScratchXmm, xmm(scratch2));
        if (temp)
            release(RegClass::Fpr, scratch2);
        release(RegClass::Gpr, count);
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::I8x16Splat:
    case Opcode::I16x8Splat:
    case Opcode::I32x4Splat:
    case Opcode::I64x2Splat: {
        u8 source = TRY(pop_reg(RegClass::Gpr));
        u8 reg = TRY(allocate(RegClass::Fpr));
        emit_simd_splat(m_asm, op, xmm(reg), gpr(source), kScratchXmm);
        release(RegClass::Gpr, source);
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::F32x4Splat:
    case Opcode::F64x2Splat: {
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        emit_simd_splat(m_asm, op, xmm(reg), kScratch, kScratchXmm);
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::I8x16ExtractLaneS: case Opcode::I8x16ExtractLaneU:
    case Opcode::I16x8ExtractLaneS: case Opcode::I16x8ExtractLaneU:
    case Opcode::I32x4ExtractLane: case Opcode::I64x2ExtractLane: {
        u8 source = TRY(pop_reg(RegClass::Fpr));
        u8 result = TRY(allocate(RegClass::Gpr));
        emit_simd_extract_int(m_asm, op, instruction.lane, gpr(result), xmm(source));
        release(RegClass::Fpr, source);
        return push_reg(op == Opcode::I64x2ExtractLane ? ValKind::I64 : ValKind::I32, result);
    }
    case Opcode::F32x4ExtractLane:
    case Opcode::F64x2ExtractLane: {
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        emit_simd_extract_float(m_asm, op, instruction.lane, xmm(reg), xmm(reg));
        return push_reg(op == Opcode::F32x4ExtractLane ? ValKind::F32 : ValKind::F64, reg);
    }
    case Opcode::I8x16ReplaceLane: case Opcode::I16x8ReplaceLane:
    case Opcode::I32x4ReplaceLane: case Opcode::I64x2ReplaceLane: {
        u8 value = TRY(pop_reg(RegClass::Gpr));
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        emit_simd_replace_int(m_asm, op, instruction.lane, xmm(reg), gpr(value));
        release(RegClass::Gpr, value);
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::F32x4ReplaceLane:
    case Opcode::F64x2ReplaceLane: {
        u8 value = TRY(pop_reg(RegClass::Fpr));
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        emit_simd_replace_float(m_asm, op, instruction.lane, xmm(reg), xmm(value));
        release(RegClass::Fpr, value);
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::V128AnyTrue:
    case Opcode::I8x16AllTrue: case Opcode::I16x8AllTrue: case Opcode::I32x4AllTrue: case Opcode::I64x2AllTrue:
    case Opcode::I8x16Bitmask: case Opcode::I16x8Bitmask: case Opcode::I32x4Bitmask: case Opcode::I64x2Bitmask: {
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        u8 result = TRY(allocate(RegClass::Gpr));
        emit_simd_test(m_asm, op, gpr(result), xmm(reg), kScratchXmm);
        release(RegClass::Fpr, reg);
        return push_reg(ValKind::I32, result);
    }
    default:
        return unsupported("SIMD instruction not implemented");
    }
}

// Loads and stores of v128 values and of lanes: the SIMD opcodes with a memarg.
Result<void> BaselineCompiler::emit_simd_memory(const Instruction& instruction, const OpcodeInfo& info)
{
    Opcode op = instruction.opcode;
    u32 memory_index = instruction.memarg.memory;
    if (memory_index >= m_module.memories.size())
        return unsupported("memory instruction without a memory");
    if (info.imm == ImmKind::MemArgLane) {
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        u8 address = TRY(pop_reg(RegClass::Gpr));
        bool is_load = info.result_count == 1;
        Mem operand = TRY(memory_operand(memory_index, instruction.memarg.offset, 1u << info.align_log2, address));
        TRY(record_trap_here(TrapKind::MemoryOutOfBounds));
        emit_simd_lane_access(m_asm, op, instruction.lane, xmm(reg), operand);
        release(RegClass::Gpr, address);
        if (is_load)
            return push_reg(ValKind::V128, reg);
        release(RegClass::Fpr, reg);
        return {};
    }
    if (op == Opcode::V128Store) {
        u8 value = TRY(pop_reg(RegClass::Fpr));
        u8 address = TRY(pop_reg(RegClass::Gpr));
        Mem operand = TRY(memory_operand(memory_index, instruction.memarg.offset, 16, address));
        TRY(record_trap_here(TrapKind::MemoryOutOfBounds));
        m_asm.movdqu(operand, xmm(value));
        release(RegClass::Gpr, address);
        release(RegClass::Fpr, value);
        return {};
    }
    u8 address = TRY(pop_reg(RegClass::Gpr));
    u8 reg = TRY(allocate(RegClass::Fpr));
    // The opcode table's natural alignment is the size of the access.
    Mem operand = TRY(memory_operand(memory_index, instruction.memarg.offset, 1u << info.align_log2, address));
    TRY(record_trap_here(TrapKind::MemoryOutOfBounds));
    emit_simd_load(m_asm, op, xmm(reg), operand, kScratchXmm, kScratch);
    release(RegClass::Gpr, address);
    return push_reg(ValKind::V128, reg);
}

} // namespace wk::engine::x64::baseline
