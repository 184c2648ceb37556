// Reference instructions and table access: table.get/set/size inline (bounds-checked),
// grow/fill/copy/init/elem.drop through the runtime's builtins.

#include "engine/x64/baseline/baseline_compiler.h"

namespace wk::engine::x64::baseline {

Result<void> BaselineCompiler::emit_table_ref(const Instruction& instruction)
{
    using runtime::Builtin;
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
    case Opcode::RefEq: {
        u8 rhs = TRY(pop_reg(RegClass::Gpr));
        u8 lhs = TRY(pop_reg(RegClass::Gpr));
        m_asm.cmp(gpr(lhs), gpr(rhs), Size::Qword);
        m_asm.setcc(Condition::Equal, gpr(lhs));
        m_asm.movzx8(gpr(lhs), gpr(lhs), Size::Dword);
        release(RegClass::Gpr, rhs);
        return push_reg(ValKind::I32, lhs);
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
    case Opcode::BrOnNull: {
        u8 reg = TRY(pop_reg(RegClass::Gpr));
        TRY(spill_all());
        m_asm.test(gpr(reg), gpr(reg), Size::Qword);
        Label skip;
        m_asm.jcc(Condition::NotEqual, skip);
        TRY(branch_to(instruction.index0));
        m_asm.bind(skip);
        return push_reg(ValKind::Ref, reg);
    }
    case Opcode::BrOnNonNull: {
        TRY(spill_all());
        m_asm.cmp(slot(m_stack.height() - 1), 0, Size::Qword);
        Label skip;
        m_asm.jcc(Condition::Equal, skip);
        TRY(branch_to(instruction.index0));
        m_asm.bind(skip);
        m_stack.truncate(m_stack.height() - 1);
        return {};
    }
    case Opcode::TableGet:
    case Opcode::TableSet: {
        u32 table = instruction.index0;
        u8 value = 0;
        if (instruction.opcode == Opcode::TableSet)
            value = TRY(pop_reg(RegClass::Gpr));
        u8 index = TRY(pop_reg(RegClass::Gpr));
        // Allocated before r11 is loaded: a spill may use it.
        u8 zero = TRY(allocate(RegClass::Gpr));
        m_asm.xor_(gpr(zero), gpr(zero), Size::Dword);
        m_asm.mov(kScratch, Mem(kVmctx, static_cast<i32>(m_offsets.table(table))), Size::Qword);
        m_asm.cmp(gpr(index), Mem(kScratch, 8), Size::Qword);
        m_asm.jcc(Condition::AboveOrEqual, *TRY(trap_label(TrapKind::TableOutOfBounds)));
        // Spectre v1: a mispredicted bounds branch accesses element 0.
        m_asm.cmov(Condition::AboveOrEqual, gpr(index), gpr(zero), Size::Qword);
        release(RegClass::Gpr, zero);
        m_asm.mov(kScratch, Mem(kScratch, 0), Size::Qword);
        if (instruction.opcode == Opcode::TableGet) {
            m_asm.mov(gpr(index), Mem(kScratch, gpr(index), Scale::Eight), Size::Qword);
            return push_reg(ValKind::Ref, index);
        }
        m_asm.mov(Mem(kScratch, gpr(index), Scale::Eight), gpr(value), Size::Qword);
        release(RegClass::Gpr, index);
        release(RegClass::Gpr, value);
        return {};
    }
    case Opcode::TableSize: {
        u32 table = instruction.index0;
        u8 reg = TRY(allocate(RegClass::Gpr));
        m_asm.mov(kScratch, Mem(kVmctx, static_cast<i32>(m_offsets.table(table))), Size::Qword);
        m_asm.mov(gpr(reg), Mem(kScratch, 8), Size::Qword);
        return push_reg(m_module.tables[table].limits.is_64 ? ValKind::I64 : ValKind::I32, reg);
    }
    case Opcode::TableGrow: {
        u32 table = instruction.index0;
        BuiltinArg args[] = { immediate(table), operand(0), operand(1) };
        return call_builtin_with(Builtin::TableGrow, args, 2, TrapKind::None,
                                 m_module.tables[table].limits.is_64 ? ValKind::I64 : ValKind::I32);
    }
    case Opcode::TableFill: {
        BuiltinArg args[] = { immediate(instruction.index0), operand(0), operand(1), operand(2) };
        return call_builtin_with(Builtin::TableFill, args, 3, TrapKind::TableOutOfBounds, ValKind::Bottom);
    }
    case Opcode::TableCopy: {
        BuiltinArg args[] = { immediate(instruction.index0), immediate(instruction.index1), operand(0), operand(1), operand(2) };
        return call_builtin_with(Builtin::TableCopy, args, 3, TrapKind::TableOutOfBounds, ValKind::Bottom);
    }
    case Opcode::TableInit: {
        BuiltinArg args[] = { immediate(instruction.index1), immediate(instruction.index0), operand(0), operand(1), operand(2) };
        return call_builtin_with(Builtin::TableInit, args, 3, TrapKind::TableOutOfBounds, ValKind::Bottom);
    }
    case Opcode::ElemDrop: {
        BuiltinArg args[] = { immediate(instruction.index0) };
        return call_builtin_with(Builtin::ElemDrop, args, 0, TrapKind::None, ValKind::Bottom);
    }
    default:
        return unsupported("table or reference instruction not implemented");
    }
}

} // namespace wk::engine::x64::baseline
