#include "engine/x64/assembler.h"

namespace wk::engine::x64 {

namespace {

constexpr bool fits_i8(i64 value) { return value >= -128 && value <= 127; }
constexpr bool fits_i32(i64 value) { return value >= -(i64 { 1 } << 31) && value < (i64 { 1 } << 31); }

// Byte-sized forms use the even opcode, wider ones the next.
constexpr u8 sized(u8 opcode, Size size) { return size == Size::Byte ? opcode : static_cast<u8>(opcode + 1); }

constexpr u8 imm_size(Size size) { return size == Size::Byte ? 1 : size == Size::Word ? 2 : 4; }

void check_imm(i64 imm, Size size)
{
    if (size == Size::Byte)
        WK_ASSERT(imm >= -128 && imm <= 255);
    else if (size == Size::Word)
        WK_ASSERT(imm >= -32768 && imm <= 65535);
}

// The value an immediate has at the operand size, sign-extended (0xFFFF as a Word is -1
// and fits the imm8 form).
constexpr i32 at_size(i32 imm, Size size)
{
    return size == Size::Word ? static_cast<i16>(imm) : imm;
}

} // namespace

void Assembler::put_imm(i32 imm, Size size)
{
    switch (imm_size(size)) {
    case 1:
        put(static_cast<u8>(imm));
        return;
    case 2:
        put16(static_cast<u16>(imm));
        return;
    default:
        put32(static_cast<u32>(imm));
        return;
    }
}

void Assembler::alu_rr(u8 extension, Gpr dst, Gpr src, Size size)
{
    legacy_rr({ 0, 0, sized(static_cast<u8>(extension * 8), size) }, size_flags(size), number(src), number(dst));
    note_flags_result(extension, dst, size);
}

void Assembler::alu_rm(u8 extension, Gpr dst, Mem const& src, Size size)
{
    legacy_rm({ 0, 0, sized(static_cast<u8>(extension * 8 + 2), size) }, size_flags(size), number(dst), src, 0);
    note_flags_result(extension, dst, size);
}

void Assembler::alu_mr(u8 extension, Mem const& dst, Gpr src, Size size)
{
    legacy_rm({ 0, 0, sized(static_cast<u8>(extension * 8), size) }, size_flags(size), number(src), dst, 0);
}

void Assembler::alu_ri(u8 extension, Gpr dst, i32 imm, Size size)
{
    check_imm(imm, size);
    u8 flags = size_flags(size) & ~kByteReg;
    if (size != Size::Byte && fits_i8(at_size(imm, size))) {
        legacy_rr({ 0, 0, 0x83 }, flags, extension, number(dst));
        put(static_cast<u8>(imm));
        note_flags_result(extension, dst, size);
        return;
    }
    if (dst == Gpr::rax)
        legacy_prefix({ 0, 0, sized(static_cast<u8>(extension * 8 + 4), size) }, flags, 0, 0, 0);
    else
        legacy_rr({ 0, 0, sized(0x80, size) }, flags, extension, number(dst));
    put_imm(imm, size);
    note_flags_result(extension, dst, size);
}

void Assembler::alu_mi(u8 extension, Mem const& dst, i32 imm, Size size)
{
    check_imm(imm, size);
    u8 flags = size_flags(size) & ~kByteReg;
    if (size != Size::Byte && fits_i8(at_size(imm, size))) {
        legacy_rm({ 0, 0, 0x83 }, flags, extension, dst, 1);
        put(static_cast<u8>(imm));
        return;
    }
    legacy_rm({ 0, 0, sized(0x80, size) }, flags, extension, dst, imm_size(size));
    put_imm(imm, size);
}

void Assembler::test(Gpr a, Gpr b, Size size)
{
    legacy_rr({ 0, 0, sized(0x84, size) }, size_flags(size), number(b), number(a));
}

void Assembler::test(Mem const& a, Gpr b, Size size)
{
    legacy_rm({ 0, 0, sized(0x84, size) }, size_flags(size), number(b), a, 0);
}

void Assembler::test(Gpr a, i32 imm, Size size)
{
    check_imm(imm, size);
    u8 flags = size_flags(size) & ~kByteReg;
    if (a == Gpr::rax)
        legacy_prefix({ 0, 0, sized(0xA8, size) }, flags, 0, 0, 0);
    else
        legacy_rr({ 0, 0, sized(0xF6, size) }, flags, 0, number(a));
    put_imm(imm, size);
}

void Assembler::test(Mem const& a, i32 imm, Size size)
{
    check_imm(imm, size);
    legacy_rm({ 0, 0, sized(0xF6, size) }, size_flags(size) & ~kByteReg, 0, a, imm_size(size));
    put_imm(imm, size);
}

void Assembler::unary_r(u8 opcode, u8 extension, Gpr reg, Size size)
{
    legacy_rr({ 0, 0, sized(opcode, size) }, size_flags(size) & ~kByteReg, extension, number(reg));
}

void Assembler::unary_m(u8 opcode, u8 extension, Mem const& mem, Size size)
{
    legacy_rm({ 0, 0, sized(opcode, size) }, size_flags(size) & ~kByteReg, extension, mem, 0);
}

void Assembler::shift_ri(u8 extension, Gpr reg, u8 count, Size size)
{
    if (count == 1) {
        unary_r(0xD0, extension, reg, size);
        return;
    }
    unary_r(0xC0, extension, reg, size);
    put(count);
}

void Assembler::shift_mi(u8 extension, Mem const& mem, u8 count, Size size)
{
    if (count == 1) {
        unary_m(0xD0, extension, mem, size);
        return;
    }
    legacy_rm({ 0, 0, sized(0xC0, size) }, size_flags(size) & ~kByteReg, extension, mem, 1);
    put(count);
}

void Assembler::shld(Gpr dst, Gpr src, u8 count, Size size)
{
    legacy_rr({ 0, 1, 0xA4 }, size_flags(size), number(src), number(dst));
    put(count);
}

void Assembler::shld(Mem const& dst, Gpr src, u8 count, Size size)
{
    legacy_rm({ 0, 1, 0xA4 }, size_flags(size), number(src), dst, 1);
    put(count);
}

void Assembler::shld_cl(Gpr dst, Gpr src, Size size) { legacy_rr({ 0, 1, 0xA5 }, size_flags(size), number(src), number(dst)); }
void Assembler::shld_cl(Mem const& dst, Gpr src, Size size) { legacy_rm({ 0, 1, 0xA5 }, size_flags(size), number(src), dst, 0); }

void Assembler::shrd(Gpr dst, Gpr src, u8 count, Size size)
{
    legacy_rr({ 0, 1, 0xAC }, size_flags(size), number(src), number(dst));
    put(count);
}

void Assembler::shrd(Mem const& dst, Gpr src, u8 count, Size size)
{
    legacy_rm({ 0, 1, 0xAC }, size_flags(size), number(src), dst, 1);
    put(count);
}

void Assembler::shrd_cl(Gpr dst, Gpr src, Size size) { legacy_rr({ 0, 1, 0xAD }, size_flags(size), number(src), number(dst)); }
void Assembler::shrd_cl(Mem const& dst, Gpr src, Size size) { legacy_rm({ 0, 1, 0xAD }, size_flags(size), number(src), dst, 0); }

void Assembler::bit_test_rr(u8 opcode, Gpr base, Gpr index, Size size)
{
    legacy_rr({ 0, 1, opcode }, size_flags(size), number(index), number(base));
}

void Assembler::bit_test_mr(u8 opcode, Mem const& base, Gpr index, Size size)
{
    legacy_rm({ 0, 1, opcode }, size_flags(size), number(index), base, 0);
}

void Assembler::bit_test_ri(u8 extension, Gpr base, u8 index, Size size)
{
    legacy_rr({ 0, 1, 0xBA }, size_flags(size), extension, number(base));
    put(index);
}

void Assembler::bit_test_mi(u8 extension, Mem const& base, u8 index, Size size)
{
    legacy_rm({ 0, 1, 0xBA }, size_flags(size), extension, base, 1);
    put(index);
}

void Assembler::gp_rr(u8 prefix, u8 opcode, Gpr dst, Gpr src, Size size)
{
    WK_ASSERT(size != Size::Byte);
    legacy_rr({ prefix, 1, opcode }, size_flags(size), number(dst), number(src));
}

void Assembler::gp_rm(u8 prefix, u8 opcode, Gpr dst, Mem const& src, Size size)
{
    WK_ASSERT(size != Size::Byte);
    legacy_rm({ prefix, 1, opcode }, size_flags(size), number(dst), src, 0);
}

void Assembler::imul(Gpr dst, Gpr src, i32 imm, Size size)
{
    WK_ASSERT(size != Size::Byte);
    check_imm(imm, size);
    if (fits_i8(at_size(imm, size))) {
        legacy_rr({ 0, 0, 0x6B }, size_flags(size), number(dst), number(src));
        put(static_cast<u8>(imm));
        return;
    }
    legacy_rr({ 0, 0, 0x69 }, size_flags(size), number(dst), number(src));
    put_imm(imm, size);
}

void Assembler::imul(Gpr dst, Mem const& src, i32 imm, Size size)
{
    WK_ASSERT(size != Size::Byte);
    check_imm(imm, size);
    if (fits_i8(at_size(imm, size))) {
        legacy_rm({ 0, 0, 0x6B }, size_flags(size), number(dst), src, 1);
        put(static_cast<u8>(imm));
        return;
    }
    legacy_rm({ 0, 0, 0x69 }, size_flags(size), number(dst), src, imm_size(size));
    put_imm(imm, size);
}

void Assembler::cwd() { legacy_prefix({ 0, 0, 0x99 }, kOperandSize, 0, 0, 0); }
void Assembler::cdq() { legacy_prefix({ 0, 0, 0x99 }, 0, 0, 0, 0); }
void Assembler::cqo() { legacy_prefix({ 0, 0, 0x99 }, kRexW, 0, 0, 0); }
void Assembler::cdqe() { legacy_prefix({ 0, 0, 0x98 }, kRexW, 0, 0, 0); }

void Assembler::mov(Gpr dst, Gpr src, Size size)
{
    legacy_rr({ 0, 0, sized(0x88, size) }, size_flags(size), number(src), number(dst));
}

void Assembler::mov(Gpr dst, Mem const& src, Size size)
{
    legacy_rm({ 0, 0, sized(0x8A, size) }, size_flags(size), number(dst), src, 0);
}

void Assembler::mov(Mem const& dst, Gpr src, Size size)
{
    legacy_rm({ 0, 0, sized(0x88, size) }, size_flags(size), number(src), dst, 0);
}

void Assembler::mov(Gpr dst, i64 imm, Size size)
{
    switch (size) {
    case Size::Byte:
        check_imm(imm, size);
        legacy_opreg({ 0, 0, 0xB0 }, size_flags(size), number(dst));
        put(static_cast<u8>(imm));
        return;
    case Size::Word:
        check_imm(imm, size);
        legacy_opreg({ 0, 0, 0xB8 }, size_flags(size), number(dst));
        put16(static_cast<u16>(imm));
        return;
    case Size::Dword:
        WK_ASSERT(imm >= -(i64 { 1 } << 31) && imm <= 0xFFFF'FFFF);
        legacy_opreg({ 0, 0, 0xB8 }, 0, number(dst));
        put32(static_cast<u32>(imm));
        return;
    case Size::Qword:
        if (fits_i32(imm)) {
            legacy_rr({ 0, 0, 0xC7 }, kRexW, 0, number(dst));
            put32(static_cast<u32>(imm));
            return;
        }
        movabs(dst, static_cast<u64>(imm));
        return;
    }
}

void Assembler::mov(Mem const& dst, i32 imm, Size size)
{
    check_imm(imm, size);
    legacy_rm({ 0, 0, sized(0xC6, size) }, size_flags(size) & ~kByteReg, 0, dst, imm_size(size));
    put_imm(imm, size);
}

void Assembler::movabs(Gpr dst, u64 imm)
{
    legacy_opreg({ 0, 0, 0xB8 }, kRexW, number(dst));
    put64(imm);
}

// The byte source of movzx8/movsx8 may be spl..dil, which need a REX prefix.
void Assembler::movzx8(Gpr dst, Gpr src, Size size)
{
    WK_ASSERT(size != Size::Byte);
    legacy_rr({ 0, 1, 0xB6 }, size_flags(size) | kByteRm, number(dst), number(src));
}

void Assembler::movzx8(Gpr dst, Mem const& src, Size size) { gp_rm(0, 0xB6, dst, src, size); }
void Assembler::movzx16(Gpr dst, Gpr src, Size size) { gp_rr(0, 0xB7, dst, src, size); }
void Assembler::movzx16(Gpr dst, Mem const& src, Size size) { gp_rm(0, 0xB7, dst, src, size); }
void Assembler::movsx8(Gpr dst, Gpr src, Size size)
{
    WK_ASSERT(size != Size::Byte);
    legacy_rr({ 0, 1, 0xBE }, size_flags(size) | kByteRm, number(dst), number(src));
}

void Assembler::movsx8(Gpr dst, Mem const& src, Size size) { gp_rm(0, 0xBE, dst, src, size); }
void Assembler::movsx16(Gpr dst, Gpr src, Size size) { gp_rr(0, 0xBF, dst, src, size); }
void Assembler::movsx16(Gpr dst, Mem const& src, Size size) { gp_rm(0, 0xBF, dst, src, size); }
void Assembler::movsxd(Gpr dst, Gpr src) { legacy_rr({ 0, 0, 0x63 }, kRexW, number(dst), number(src)); }
void Assembler::movsxd(Gpr dst, Mem const& src) { legacy_rm({ 0, 0, 0x63 }, kRexW, number(dst), src, 0); }

void Assembler::lea(Gpr dst, Mem const& src, Size size)
{
    WK_ASSERT(size != Size::Byte);
    legacy_rm({ 0, 0, 0x8D }, size_flags(size), number(dst), src, 0);
}

void Assembler::bswap(Gpr reg, Size size)
{
    WK_ASSERT(size == Size::Dword || size == Size::Qword);
    legacy_opreg({ 0, 1, 0xC8 }, size_flags(size), number(reg));
}

void Assembler::setcc(Condition condition, Gpr dst)
{
    legacy_rr({ 0, 1, static_cast<u8>(0x90 | static_cast<u8>(condition)) }, kByteRm, 0, number(dst));
}

void Assembler::setcc(Condition condition, Mem const& dst)
{
    legacy_rm({ 0, 1, static_cast<u8>(0x90 | static_cast<u8>(condition)) }, 0, 0, dst, 0);
}

void Assembler::cmov(Condition condition, Gpr dst, Gpr src, Size size)
{
    gp_rr(0, static_cast<u8>(0x40 | static_cast<u8>(condition)), dst, src, size);
}

void Assembler::cmov(Condition condition, Gpr dst, Mem const& src, Size size)
{
    gp_rm(0, static_cast<u8>(0x40 | static_cast<u8>(condition)), dst, src, size);
}

void Assembler::xchg(Gpr a, Gpr b, Size size)
{
    // The one-byte 90+r form, except for xchg eax, eax: 90 is a nop that does not
    // clear the upper half of rax.
    bool a_is_rax = a == Gpr::rax;
    if (size != Size::Byte && (a_is_rax || b == Gpr::rax) && !(size == Size::Dword && a == b)) {
        legacy_opreg({ 0, 0, 0x90 }, size_flags(size), number(a_is_rax ? b : a));
        return;
    }
    legacy_rr({ 0, 0, sized(0x86, size) }, size_flags(size), number(a), number(b));
}

void Assembler::xchg(Mem const& a, Gpr b, Size size)
{
    legacy_rm({ 0, 0, sized(0x86, size) }, size_flags(size), number(b), a, 0);
}

void Assembler::cmpxchg(Gpr dst, Gpr src, Size size)
{
    legacy_rr({ 0, 1, sized(0xB0, size) }, size_flags(size), number(src), number(dst));
}

void Assembler::cmpxchg(Mem const& dst, Gpr src, Size size)
{
    legacy_rm({ 0, 1, sized(0xB0, size) }, size_flags(size), number(src), dst, 0);
}

void Assembler::xadd(Gpr dst, Gpr src, Size size)
{
    legacy_rr({ 0, 1, sized(0xC0, size) }, size_flags(size), number(src), number(dst));
}

void Assembler::xadd(Mem const& dst, Gpr src, Size size)
{
    legacy_rm({ 0, 1, sized(0xC0, size) }, size_flags(size), number(src), dst, 0);
}

void Assembler::push(Gpr reg) { legacy_opreg({ 0, 0, 0x50 }, 0, number(reg)); }
void Assembler::push(Mem const& mem) { legacy_rm({ 0, 0, 0xFF }, 0, 6, mem, 0); }

void Assembler::push(i32 imm)
{
    note_instruction_start();
    if (fits_i8(imm)) {
        put(0x6A);
        put(static_cast<u8>(imm));
        return;
    }
    put(0x68);
    put32(static_cast<u32>(imm));
}

void Assembler::pop(Gpr reg) { legacy_opreg({ 0, 0, 0x58 }, 0, number(reg)); }
void Assembler::pop(Mem const& mem) { legacy_rm({ 0, 0, 0x8F }, 0, 0, mem, 0); }

void Assembler::jmp(Gpr target) { legacy_rr({ 0, 0, 0xFF }, 0, 4, number(target)); }
void Assembler::jmp(Mem const& target) { legacy_rm({ 0, 0, 0xFF }, 0, 4, target, 0); }
void Assembler::call(Gpr target) { legacy_rr({ 0, 0, 0xFF }, 0, 2, number(target)); }
void Assembler::call(Mem const& target) { legacy_rm({ 0, 0, 0xFF }, 0, 2, target, 0); }
void Assembler::ret()
{
    note_instruction_start();
    put(0xC3);
}

void Assembler::ret(u16 pop_bytes)
{
    note_instruction_start();
    put(0xC2);
    put16(pop_bytes);
}

void Assembler::ud2() { legacy_prefix({ 0, 1, 0x0B }, 0, 0, 0, 0); }
void Assembler::int3()
{
    note_instruction_start();
    put(0xCC);
}
void Assembler::hlt() { put(0xF4); }
void Assembler::nop()
{
    note_instruction_start();
    put(0x90);
}

void Assembler::nop(u32 bytes)
{
    // The recommended multi-byte nops (Intel SDM vol. 2B, NOP), longest first.
    static constexpr u8 kNops[9][9] = {
        { 0x90 },
        { 0x66, 0x90 },
        { 0x0F, 0x1F, 0x00 },
        { 0x0F, 0x1F, 0x40, 0x00 },
        { 0x0F, 0x1F, 0x44, 0x00, 0x00 },
        { 0x66, 0x0F, 0x1F, 0x44, 0x00, 0x00 },
        { 0x0F, 0x1F, 0x80, 0x00, 0x00, 0x00, 0x00 },
        { 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
        { 0x66, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
    };
    while (bytes > 0) {
        u32 chunk = bytes < 9 ? bytes : 9;
        note_instruction_start();
        for (u32 i = 0; i < chunk; ++i)
            put(kNops[chunk - 1][i]);
        bytes -= chunk;
    }
}

void Assembler::mfence() { legacy_rr({ 0, 1, 0xAE }, 0, 6, 0); }
void Assembler::lfence() { legacy_rr({ 0, 1, 0xAE }, 0, 5, 0); }
void Assembler::sfence() { legacy_rr({ 0, 1, 0xAE }, 0, 7, 0); }
void Assembler::pause() { legacy_prefix({ 0xF3, 0, 0x90 }, 0, 0, 0, 0); }
void Assembler::rdtsc() { legacy_prefix({ 0, 1, 0x31 }, 0, 0, 0, 0); }
void Assembler::cpuid() { legacy_prefix({ 0, 1, 0xA2 }, 0, 0, 0, 0); }
void Assembler::rep_movsb() { legacy_prefix({ 0xF3, 0, 0xA4 }, 0, 0, 0, 0); }
void Assembler::rep_movsq() { legacy_prefix({ 0xF3, 0, 0xA5 }, kRexW, 0, 0, 0); }
void Assembler::rep_stosb() { legacy_prefix({ 0xF3, 0, 0xAA }, 0, 0, 0, 0); }
void Assembler::rep_stosq() { legacy_prefix({ 0xF3, 0, 0xAB }, kRexW, 0, 0, 0); }
void Assembler::cld()
{
    note_instruction_start();
    put(0xFC);
}
void Assembler::vzeroupper() { vex_prefix({ 0, 1, 0x77 }, false, false, 0, 0, 0, 0); }

} // namespace wk::engine::x64
