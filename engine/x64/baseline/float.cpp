// f32/f64 constants, arithmetic and comparisons with the spec's NaN semantics, and the
// conversions that involve floats (trapping and saturating truncations included).
//
// SSE arithmetic already gives what the spec allows for NaNs (a NaN operand comes out
// quieted, an invalid operation gives the default NaN, both arithmetic NaNs). min/max
// need care (NaN and signed zeros), rounding uses SSE4.1 roundss/roundsd, and abs, neg,
// copysign are pure bit operations so that NaN payloads pass through.

#include "engine/x64/baseline/baseline_compiler.h"
#include "engine/x64/float_lowering.h"

namespace wk::engine::x64::baseline {

Result<void> BaselineCompiler::emit_float(const Instruction& instruction)
{
    Opcode op = instruction.opcode;
    switch (op) {
    case Opcode::F32Const:
        return m_stack.push_constant(ValKind::F32, instruction.bits & 0xFFFF'FFFFu);
    case Opcode::F64Const:
        return m_stack.push_constant(ValKind::F64, instruction.bits);
    default:
        break;
    }
    ValKind kind = m_stack.peek().kind;
    bool is64 = kind == ValKind::F64;

    // Comparisons: i32 results.
    if ((op >= Opcode::F32Eq && op <= Opcode::F32Ge) || (op >= Opcode::F64Eq && op <= Opcode::F64Ge)) {
        u8 rhs = TRY(pop_reg(RegClass::Fpr));
        u8 lhs = TRY(pop_reg(RegClass::Fpr));
        u8 result = TRY(allocate(RegClass::Gpr));
        emit_float_compare(m_asm, op, gpr(result), xmm(lhs), xmm(rhs), kScratch);
        release(RegClass::Fpr, lhs);
        release(RegClass::Fpr, rhs);
        return push_reg(ValKind::I32, result);
    }

    Opcode base = is64 ? static_cast<Opcode>(static_cast<u16>(op) - static_cast<u16>(Opcode::F64Abs) + static_cast<u16>(Opcode::F32Abs)) : op;
    switch (base) {
    case Opcode::F32Abs:
    case Opcode::F32Neg: {
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        emit_float_abs_neg(m_asm, is64, base == Opcode::F32Abs, xmm(reg), kScratchXmm, kScratch);
        return push_reg(kind, reg);
    }
    case Opcode::F32Ceil:
    case Opcode::F32Floor:
    case Opcode::F32Trunc:
    case Opcode::F32Nearest:
    case Opcode::F32Sqrt: {
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        if (base == Opcode::F32Sqrt) {
            is64 ? m_asm.sqrtsd(xmm(reg), xmm(reg)) : m_asm.sqrtss(xmm(reg), xmm(reg));
        } else {
            // Rounding control in imm[1:0] (0 nearest-even, 1 down, 2 up, 3 toward zero);
            // bit 3 suppresses the precision exception.
            u8 mode = base == Opcode::F32Nearest ? 0 : base == Opcode::F32Floor ? 1 : base == Opcode::F32Ceil ? 2 : 3;
            is64 ? m_asm.roundsd(xmm(reg), xmm(reg), mode | 8) : m_asm.roundss(xmm(reg), xmm(reg), mode | 8);
        }
        return push_reg(kind, reg);
    }
    case Opcode::F32Add:
    case Opcode::F32Sub:
    case Opcode::F32Mul:
    case Opcode::F32Div: {
        u8 rhs = TRY(pop_reg(RegClass::Fpr));
        u8 lhs = TRY(pop_reg(RegClass::Fpr));
        Xmm dst = xmm(lhs);
        Xmm src = xmm(rhs);
        switch (base) {
        case Opcode::F32Add: is64 ? m_asm.addsd(dst, src) : m_asm.addss(dst, src); break;
        case Opcode::F32Sub: is64 ? m_asm.subsd(dst, src) : m_asm.subss(dst, src); break;
        case Opcode::F32Mul: is64 ? m_asm.mulsd(dst, src) : m_asm.mulss(dst, src); break;
        default: is64 ? m_asm.divsd(dst, src) : m_asm.divss(dst, src); break;
        }
        release(RegClass::Fpr, rhs);
        return push_reg(kind, lhs);
    }
    case Opcode::F32Min:
    case Opcode::F32Max: {
        u8 rhs = TRY(pop_reg(RegClass::Fpr));
        u8 lhs = TRY(pop_reg(RegClass::Fpr));
        Xmm dst = xmm(lhs);
        Xmm src = xmm(rhs);
        emit_float_min_max(m_asm, is64, base == Opcode::F32Min, dst, src);
        release(RegClass::Fpr, rhs);
        return push_reg(kind, lhs);
    }
    case Opcode::F32Copysign: {
        u8 rhs = TRY(pop_reg(RegClass::Fpr));
        u8 lhs = TRY(pop_reg(RegClass::Fpr));
        emit_float_copysign(m_asm, is64, xmm(lhs), xmm(rhs), kScratchXmm, kScratch);
        release(RegClass::Fpr, rhs);
        return push_reg(kind, lhs);
    }
    default:
        return unsupported("float instruction not implemented");
    }
}

Result<void> BaselineCompiler::emit_float_conversion(const Instruction& instruction)
{
    Opcode op = instruction.opcode;
    switch (op) {
    case Opcode::F32DemoteF64:
    case Opcode::F64PromoteF32: {
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        if (op == Opcode::F32DemoteF64)
            m_asm.cvtsd2ss(xmm(reg), xmm(reg));
        else
            m_asm.cvtss2sd(xmm(reg), xmm(reg));
        return push_reg(op == Opcode::F32DemoteF64 ? ValKind::F32 : ValKind::F64, reg);
    }
    case Opcode::F32ConvertI32S:
    case Opcode::F32ConvertI32U:
    case Opcode::F32ConvertI64S:
    case Opcode::F32ConvertI64U:
    case Opcode::F64ConvertI32S:
    case Opcode::F64ConvertI32U:
    case Opcode::F64ConvertI64S:
    case Opcode::F64ConvertI64U: {
        bool to64 = op >= Opcode::F64ConvertI32S;
        u8 source = TRY(pop_reg(RegClass::Gpr));
        u8 result = TRY(allocate(RegClass::Fpr));
        emit_int_to_float(m_asm, op, xmm(result), gpr(source), kScratch);
        release(RegClass::Gpr, source);
        return push_reg(to64 ? ValKind::F64 : ValKind::F32, result);
    }
    default:
        break;
    }

    if (!is_float_to_int(op))
        return unsupported("float conversion not implemented");

    bool to64 = (op >= Opcode::I64TruncF32S && op <= Opcode::I64TruncF64U) || (op >= Opcode::I64TruncSatF32S && op <= Opcode::I64TruncSatF64U);
    u8 source = TRY(pop_reg(RegClass::Fpr));
    u8 result = TRY(allocate(RegClass::Gpr));
    Label* invalid = nullptr;
    Label* overflow = nullptr;
    if (is_trapping_float_to_int(op)) {
        invalid = TRY(trap_label(TrapKind::InvalidConversionToInteger));
        overflow = TRY(trap_label(TrapKind::IntegerOverflow));
    }
    emit_float_to_int(m_asm, op, gpr(result), xmm(source), kScratchXmm, kScratch, invalid, overflow);
    release(RegClass::Fpr, source);
    return push_reg(to64 ? ValKind::I64 : ValKind::I32, result);
}

} // namespace wk::engine::x64::baseline
