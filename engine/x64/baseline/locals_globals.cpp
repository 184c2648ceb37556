// local.get/set/tee and global.get/set. Locals live in their frame slots; globals are
// reached through the VMContext's pointer to their 16-byte cell.

#include "engine/x64/baseline/baseline_compiler.h"

namespace wk::engine::x64::baseline {

Result<void> BaselineCompiler::emit_variable(const Instruction& instruction)
{
    u32 index = instruction.index0;
    switch (instruction.opcode) {
    case Opcode::LocalGet: {
        ValKind kind = m_local_kinds[index];
        u8 reg = TRY(allocate(compile::reg_class(kind)));
        load_kind(kind, reg, local_slot(index));
        return push_reg(kind, reg);
    }
    case Opcode::LocalSet:
    case Opcode::LocalTee: {
        ValKind kind = m_local_kinds[index];
        StackEntry& top = m_stack.peek();
        if (top.location == Location::Constant && kind != ValKind::V128) {
            store_constant(kind, local_slot(index), top.bits);
            if (instruction.opcode == Opcode::LocalSet)
                m_stack.pop();
            return {};
        }
        RegClass cls = compile::reg_class(kind);
        u8 reg = TRY(pop_reg(cls));
        store_kind(kind, local_slot(index), reg);
        if (instruction.opcode == Opcode::LocalTee)
            return push_reg(kind, reg);
        release(cls, reg);
        return {};
    }
    case Opcode::GlobalGet: {
        ValKind kind = m_module.globals[index].type.kind;
        u8 reg = TRY(allocate(compile::reg_class(kind)));
        m_asm.mov(kScratch, Mem(kVmctx, static_cast<i32>(m_offsets.global(index))), Size::Qword);
        load_kind(kind, reg, Mem(kScratch));
        return push_reg(kind, reg);
    }
    case Opcode::GlobalSet: {
        ValKind kind = m_module.globals[index].type.kind;
        RegClass cls = compile::reg_class(kind);
        u8 reg = TRY(pop_reg(cls));
        m_asm.mov(kScratch, Mem(kVmctx, static_cast<i32>(m_offsets.global(index))), Size::Qword);
        if (kind == ValKind::I32) {
            // Keep the cell's upper bytes zero, as the runtime writes them.
            m_asm.mov(Mem(kScratch), gpr(reg), Size::Qword);
        } else {
            store_kind(kind, Mem(kScratch), reg);
        }
        release(cls, reg);
        return {};
    }
    default:
        return unsupported("variable instruction not implemented");
    }
}

} // namespace wk::engine::x64::baseline
