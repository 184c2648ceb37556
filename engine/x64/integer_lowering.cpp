#include "engine/x64/integer_lowering.h"

namespace wk::engine::x64 {

void emit_signed_division_guard(Assembler& masm, bool wide, bool is_rem, Label& done, Label& overflow, Gpr scratch)
{
    Label normal;
    masm.jcc(Condition::NotEqual, normal);
    if (is_rem) {
        masm.xor_(Gpr::rdx, Gpr::rdx, Size::Dword);
        masm.jmp(done);
    } else {
        if (wide) {
            masm.mov(scratch, static_cast<i64>(u64 { 1 } << 63), Size::Qword);
            masm.cmp(Gpr::rax, scratch, Size::Qword);
        } else {
            masm.cmp(Gpr::rax, static_cast<i32>(0x8000'0000u), Size::Dword);
        }
        masm.jcc(Condition::Equal, overflow);
    }
    masm.bind(normal);
    wide ? masm.cqo() : masm.cdq();
}

} // namespace wk::engine::x64
