#include "engine/x64/abi/jump_table.h"

namespace wk::engine::x64::abi {

void emit_jump_table(Assembler& masm, Gpr index, u32 count, LabelPool& labels, Span<const u32> targets,
                     u32 retpoline_symbol)
{
    WK_ASSERT(index != kScratch && targets.size() == usize { count } + 1);
    Label table;
    masm.mov(kScratch, static_cast<i64>(count), Size::Dword);
    masm.cmp(index, kScratch, Size::Dword);
    masm.jcc(Condition::AboveOrEqual, labels[targets[count]]);
    // A 32-bit cmov writes its destination either way, so index is zero-extended too.
    masm.cmov(Condition::AboveOrEqual, index, kScratch, Size::Dword);
    masm.lea(kScratch, Mem::rip(table), Size::Qword);
    masm.movsxd(index, Mem(kScratch, index, Scale::Four));
    masm.add(kScratch, index, Size::Qword);
    masm.jmp_relocated(retpoline_symbol);
    masm.align(4);
    masm.bind(table);
    u32 base = table.position();
    for (u32 target : targets)
        masm.emit_label_delta(labels[target], base);
}

} // namespace wk::engine::x64::abi
