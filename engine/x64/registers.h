#pragma once

#include "base/types.h"

namespace wk::engine::x64 {

// Hardware register numbers. Numbers 8..15 need a REX or VEX extension bit.
// As a byte register, numbers 4..7 are spl, bpl, sil, dil (never ah..bh).
enum class Gpr : u8 {
    rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi,
    r8, r9, r10, r11, r12, r13, r14, r15,
};

enum class Xmm : u8 {
    xmm0, xmm1, xmm2, xmm3, xmm4, xmm5, xmm6, xmm7,
    xmm8, xmm9, xmm10, xmm11, xmm12, xmm13, xmm14, xmm15,
};

enum class Ymm : u8 {
    ymm0, ymm1, ymm2, ymm3, ymm4, ymm5, ymm6, ymm7,
    ymm8, ymm9, ymm10, ymm11, ymm12, ymm13, ymm14, ymm15,
};

// Operand size of a general-purpose instruction, in bytes.
enum class Size : u8 {
    Byte = 1,
    Word = 2,
    Dword = 4,
    Qword = 8,
};

// The condition-code nibble of jcc, setcc and cmovcc.
enum class Condition : u8 {
    Overflow = 0x0,
    NoOverflow = 0x1,
    Below = 0x2, // carry
    AboveOrEqual = 0x3, // no carry
    Equal = 0x4,
    NotEqual = 0x5,
    BelowOrEqual = 0x6,
    Above = 0x7,
    Sign = 0x8,
    NotSign = 0x9,
    Parity = 0xa,
    NotParity = 0xb,
    Less = 0xc,
    GreaterOrEqual = 0xd,
    LessOrEqual = 0xe,
    Greater = 0xf,
};

// Flipping the low bit of a condition code yields its negation.
constexpr Condition negate(Condition condition)
{
    return static_cast<Condition>(static_cast<u8>(condition) ^ 1);
}

constexpr u8 number(Gpr reg) { return static_cast<u8>(reg); }
constexpr u8 number(Xmm reg) { return static_cast<u8>(reg); }
constexpr u8 number(Ymm reg) { return static_cast<u8>(reg); }
constexpr Xmm as_xmm(Ymm reg) { return static_cast<Xmm>(reg); }
constexpr Ymm as_ymm(Xmm reg) { return static_cast<Ymm>(reg); }

} // namespace wk::engine::x64
