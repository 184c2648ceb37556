// Reference instructions and table access.

#include "engine/x64/baseline/baseline_compiler.h"

namespace wk::engine::x64::baseline {

Result<void> BaselineCompiler::emit_table_ref(const Instruction& instruction)
{
    switch (instruction.opcode) {
    case Opcode::RefNull:
        return m_stack.push_constant(ValKind::Ref, 0);
    case Opcode::RefIsNull: {
        u8 reg = TRY(pop_reg(RegClass::Gpr));
        m_asm.test(gpr(reg), gpr(reg), Size::Qword);
        m_asm.setcc(Condition::Equal, gpr(reg));
        m_asm.movzx8(gpr(reg), gpr(reg), Size::Dword);
        return push_reg(ValKind::I32, reg);
    }
    case Opcode::RefFunc: {
        u8 reg = TRY(allocate(RegClass::Gpr));
        m_asm.lea(gpr(reg), Mem(kVmctx, static_cast<i32>(m_offsets.function(instruction.index0))), Size::Qword);
        return push_reg(ValKind::Ref, reg);
    }
    case Opcode::RefAsNonNull: {
        u8 reg = TRY(pop_reg(RegClass::Gpr));
        m_asm.test(gpr(reg), gpr(reg), Size::Qword);
        m_asm.jcc(Condition::Equal, *TRY(trap_label(TrapKind::NullReference)));
        return push_reg(ValKind::Ref, reg);
    }
    default:
        return unsupported("table or reference instruction not implemented");
    }
}

} // namespace wk::engine::x64::baseline
