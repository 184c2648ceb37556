// Conversions between value types: wrap/extend, float <-> integer (trapping and
// saturating), promote/demote, reinterpretations, sign extensions.

#include "engine/x64/baseline/baseline_compiler.h"

namespace wk::engine::x64::baseline {

Result<void> BaselineCompiler::emit_conversion(const Instruction& instruction)
{
    switch (instruction.opcode) {
    case Opcode::I32WrapI64: {
        u8 reg = TRY(pop_reg(RegClass::Gpr));
        m_asm.mov(gpr(reg), gpr(reg), Size::Dword);
        return push_reg(ValKind::I32, reg);
    }
    case Opcode::I64ExtendI32S: {
        u8 reg = TRY(pop_reg(RegClass::Gpr));
        m_asm.movsxd(gpr(reg), gpr(reg));
        return push_reg(ValKind::I64, reg);
    }
    case Opcode::I64ExtendI32U: {
        // Already zero-extended (the i32 register invariant).
        u8 reg = TRY(pop_reg(RegClass::Gpr));
        return push_reg(ValKind::I64, reg);
    }
    case Opcode::I32Extend8S:
    case Opcode::I32Extend16S: {
        u8 reg = TRY(pop_reg(RegClass::Gpr));
        if (instruction.opcode == Opcode::I32Extend8S)
            m_asm.movsx8(gpr(reg), gpr(reg), Size::Dword);
        else
            m_asm.movsx16(gpr(reg), gpr(reg), Size::Dword);
        return push_reg(ValKind::I32, reg);
    }
    case Opcode::I64Extend8S:
    case Opcode::I64Extend16S:
    case Opcode::I64Extend32S: {
        u8 reg = TRY(pop_reg(RegClass::Gpr));
        if (instruction.opcode == Opcode::I64Extend8S)
            m_asm.movsx8(gpr(reg), gpr(reg), Size::Qword);
        else if (instruction.opcode == Opcode::I64Extend16S)
            m_asm.movsx16(gpr(reg), gpr(reg), Size::Qword);
        else
            m_asm.movsxd(gpr(reg), gpr(reg));
        return push_reg(ValKind::I64, reg);
    }
    case Opcode::I32ReinterpretF32:
    case Opcode::I64ReinterpretF64: {
        bool is64 = instruction.opcode == Opcode::I64ReinterpretF64;
        u8 source = TRY(pop_reg(RegClass::Fpr));
        u8 result = TRY(allocate(RegClass::Gpr));
        if (is64)
            m_asm.movq(gpr(result), xmm(source));
        else
            m_asm.movd(gpr(result), xmm(source));
        release(RegClass::Fpr, source);
        return push_reg(is64 ? ValKind::I64 : ValKind::I32, result);
    }
    case Opcode::F32ReinterpretI32:
    case Opcode::F64ReinterpretI64: {
        bool is64 = instruction.opcode == Opcode::F64ReinterpretI64;
        StackEntry top = m_stack.peek();
        if (top.location == Location::Constant) {
            m_stack.pop();
            return m_stack.push_constant(is64 ? ValKind::F64 : ValKind::F32, top.bits);
        }
        u8 source = TRY(pop_reg(RegClass::Gpr));
        u8 result = TRY(allocate(RegClass::Fpr));
        if (is64)
            m_asm.movq(xmm(result), gpr(source));
        else
            m_asm.movd(xmm(result), gpr(source));
        release(RegClass::Gpr, source);
        return push_reg(is64 ? ValKind::F64 : ValKind::F32, result);
    }
    default:
        return emit_float_conversion(instruction);
    }
}

} // namespace wk::engine::x64::baseline
