// SIMD and relaxed SIMD (v128 values live in xmm registers and 16-byte slots).
//
// What is here: v128.const, v128.load/store, the bitwise operations, lane-wise integer
// add/sub/mul and equality, f32x4/f64x2 add/sub/mul/div/sqrt, i32x4/i64x2 splat and
// extract_lane, v128.any_true. Everything else is "SIMD not implemented" until this
// group is completed (SSE4.1 is assumed, as for scalar rounding).

#include "engine/x64/baseline/baseline_compiler.h"

namespace wk::engine::x64::baseline {

namespace {

using BinaryOp = void (Assembler::*)(Xmm, Xmm);

// Lane-wise operations that are one SSE instruction, dst = dst op src.
BinaryOp simple_binary(Opcode op)
{
    switch (op) {
    case Opcode::V128And: return &Assembler::pand;
    case Opcode::V128Or: return &Assembler::por;
    case Opcode::V128Xor: return &Assembler::pxor;
    case Opcode::I8x16Add: return &Assembler::paddb;
    case Opcode::I16x8Add: return &Assembler::paddw;
    case Opcode::I32x4Add: return &Assembler::paddd;
    case Opcode::I64x2Add: return &Assembler::paddq;
    case Opcode::I8x16Sub: return &Assembler::psubb;
    case Opcode::I16x8Sub: return &Assembler::psubw;
    case Opcode::I32x4Sub: return &Assembler::psubd;
    case Opcode::I64x2Sub: return &Assembler::psubq;
    case Opcode::I16x8Mul: return &Assembler::pmullw;
    case Opcode::I32x4Mul: return &Assembler::pmulld;
    case Opcode::I8x16AddSatS: return &Assembler::paddsb;
    case Opcode::I8x16AddSatU: return &Assembler::paddusb;
    case Opcode::I16x8AddSatS: return &Assembler::paddsw;
    case Opcode::I16x8AddSatU: return &Assembler::paddusw;
    case Opcode::I8x16SubSatS: return &Assembler::psubsb;
    case Opcode::I8x16SubSatU: return &Assembler::psubusb;
    case Opcode::I16x8SubSatS: return &Assembler::psubsw;
    case Opcode::I16x8SubSatU: return &Assembler::psubusw;
    case Opcode::I8x16Eq: return &Assembler::pcmpeqb;
    case Opcode::I16x8Eq: return &Assembler::pcmpeqw;
    case Opcode::I32x4Eq: return &Assembler::pcmpeqd;
    case Opcode::I64x2Eq: return &Assembler::pcmpeqq;
    case Opcode::F32x4Add: return &Assembler::addps;
    case Opcode::F32x4Sub: return &Assembler::subps;
    case Opcode::F32x4Mul: return &Assembler::mulps;
    case Opcode::F32x4Div: return &Assembler::divps;
    case Opcode::F64x2Add: return &Assembler::addpd;
    case Opcode::F64x2Sub: return &Assembler::subpd;
    case Opcode::F64x2Mul: return &Assembler::mulpd;
    case Opcode::F64x2Div: return &Assembler::divpd;
    default: return nullptr;
    }
}

} // namespace

Result<void> BaselineCompiler::emit_simd(const Instruction& instruction)
{
    Opcode op = instruction.opcode;
    if (BinaryOp binary = simple_binary(op)) {
        u8 rhs = TRY(pop_reg(RegClass::Fpr));
        u8 lhs = TRY(pop_reg(RegClass::Fpr));
        (m_asm.*binary)(xmm(lhs), xmm(rhs));
        release(RegClass::Fpr, rhs);
        return push_reg(ValKind::V128, lhs);
    }
    switch (op) {
    case Opcode::V128Const: {
        u8 reg = TRY(allocate(RegClass::Fpr));
        u64 low;
        u64 high;
        __builtin_memcpy(&low, instruction.v128, 8);
        __builtin_memcpy(&high, instruction.v128 + 8, 8);
        if (low == 0 && high == 0) {
            m_asm.xorps(xmm(reg), xmm(reg));
        } else {
            m_asm.mov(kScratch, static_cast<i64>(low), Size::Qword);
            m_asm.movq(xmm(reg), kScratch);
            m_asm.mov(kScratch, static_cast<i64>(high), Size::Qword);
            m_asm.pinsrq(xmm(reg), kScratch, 1);
        }
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::V128Load:
    case Opcode::V128Store: {
        u32 memory_index = instruction.memarg.memory;
        if (memory_index >= m_module.memories.size())
            return unsupported("memory instruction without a memory");
        u8 value = 0;
        if (op == Opcode::V128Store)
            value = TRY(pop_reg(RegClass::Fpr));
        u8 address = TRY(pop_reg(RegClass::Gpr));
        if (op == Opcode::V128Load)
            value = TRY(allocate(RegClass::Fpr));
        Mem operand = TRY(memory_operand(memory_index, instruction.memarg.offset, 16, address));
        TRY(record_trap_here(TrapKind::MemoryOutOfBounds));
        if (op == Opcode::V128Load) {
            m_asm.movdqu(xmm(value), operand);
            release(RegClass::Gpr, address);
            return push_reg(ValKind::V128, value);
        }
        m_asm.movdqu(operand, xmm(value));
        release(RegClass::Gpr, address);
        release(RegClass::Fpr, value);
        return {};
    }
    case Opcode::V128Not: {
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        m_asm.pcmpeqd(kScratchXmm, kScratchXmm);
        m_asm.pxor(xmm(reg), kScratchXmm);
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::V128Andnot: {
        // a & ~b: pandn computes ~dst & src.
        u8 rhs = TRY(pop_reg(RegClass::Fpr));
        u8 lhs = TRY(pop_reg(RegClass::Fpr));
        m_asm.pandn(xmm(rhs), xmm(lhs));
        release(RegClass::Fpr, lhs);
        return push_reg(ValKind::V128, rhs);
    }
    case Opcode::V128AnyTrue: {
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        u8 result = TRY(allocate(RegClass::Gpr));
        m_asm.ptest(xmm(reg), xmm(reg));
        m_asm.setcc(Condition::NotEqual, gpr(result));
        m_asm.movzx8(gpr(result), gpr(result), Size::Dword);
        release(RegClass::Fpr, reg);
        return push_reg(ValKind::I32, result);
    }
    case Opcode::F32x4Sqrt:
    case Opcode::F64x2Sqrt: {
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        if (op == Opcode::F32x4Sqrt)
            m_asm.sqrtps(xmm(reg), xmm(reg));
        else
            m_asm.sqrtpd(xmm(reg), xmm(reg));
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::I32x4Splat:
    case Opcode::I64x2Splat: {
        u8 source = TRY(pop_reg(RegClass::Gpr));
        u8 reg = TRY(allocate(RegClass::Fpr));
        if (op == Opcode::I32x4Splat) {
            m_asm.movd(xmm(reg), gpr(source));
            m_asm.pshufd(xmm(reg), xmm(reg), 0);
        } else {
            m_asm.movq(xmm(reg), gpr(source));
            m_asm.punpcklqdq(xmm(reg), xmm(reg));
        }
        release(RegClass::Gpr, source);
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::I32x4ExtractLane:
    case Opcode::I64x2ExtractLane: {
        u8 source = TRY(pop_reg(RegClass::Fpr));
        u8 result = TRY(allocate(RegClass::Gpr));
        if (op == Opcode::I32x4ExtractLane)
            m_asm.pextrd(gpr(result), xmm(source), instruction.lane);
        else
            m_asm.pextrq(gpr(result), xmm(source), instruction.lane);
        release(RegClass::Fpr, source);
        return push_reg(op == Opcode::I32x4ExtractLane ? ValKind::I32 : ValKind::I64, result);
    }
    default:
        return unsupported("SIMD not implemented");
    }
}

} // namespace wk::engine::x64::baseline
