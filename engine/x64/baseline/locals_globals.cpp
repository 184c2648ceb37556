// local.get/set/tee and global.get/set. Locals live in their frame slots, and in
// registers while the local register cache holds them (local_cache.cpp); globals are
// reached through the VMContext's pointer to their 16-byte cell.

#include "engine/x64/baseline/baseline_compiler.h"

namespace wk::engine::x64::baseline {

void BaselineCompiler::materialize_local(u32 local)
{
    u32 first = m_local_first_ref[local];
    if (first == compile::ValueStack::kNone)
        return;
    for (u32 i = first; i < m_stack.height(); ++i) {
        StackEntry& entry = m_stack.at(i);
        if (entry.location == Location::Local && entry.bits == local) {
            if (cached_register(local) != kNotCached)
                store_kind(entry.kind, slot(i), cached_register(local));
            else
                copy_slot(entry.kind, slot(i), local_slot(local));
            entry.location = Location::Stack;
        }
    }
    m_local_first_ref[local] = compile::ValueStack::kNone;
}

Result<void> BaselineCompiler::emit_variable(const Instruction& instruction)
{
    u32 index = instruction.index0;
    switch (instruction.opcode) {
    case Opcode::LocalGet:
        return local_get(index);
    case Opcode::LocalSet:
    case Opcode::LocalTee:
        return local_set(index, instruction.opcode == Opcode::LocalTee);
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
