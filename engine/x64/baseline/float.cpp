// f32/f64 constants, arithmetic and comparisons with the spec's NaN semantics, and the
// conversions that involve floats (trapping and saturating truncations included).
//
// SSE arithmetic already gives what the spec allows for NaNs (a NaN operand comes out
// quieted, an invalid operation gives the default NaN, both arithmetic NaNs). min/max
// need care (NaN and signed zeros), rounding uses SSE4.1 roundss/roundsd, and abs, neg,
// copysign are pure bit operations so that NaN payloads pass through.

#include "engine/x64/baseline/baseline_compiler.h"

namespace wk::engine::x64::baseline {

namespace {

constexpr u64 kSign32 = 0x8000'0000u;
constexpr u64 kSign64 = 0x8000'0000'0000'0000u;

} // namespace

// Puts a constant bit pattern into xmm15 (through r11).
static void load_scratch_constant(Assembler& masm, bool is64, u64 bits)
{
    if (is64) {
        masm.mov(kScratch, static_cast<i64>(bits), Size::Qword);
        masm.movq(kScratchXmm, kScratch);
    } else {
        masm.mov(kScratch, static_cast<i64>(static_cast<u32>(bits)), Size::Dword);
        masm.movd(kScratchXmm, kScratch);
    }
}

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
        auto compare = [&](u8 a, u8 b) {
            if (is64)
                m_asm.ucomisd(xmm(a), xmm(b));
            else
                m_asm.ucomiss(xmm(a), xmm(b));
        };
        Opcode base = is64 ? static_cast<Opcode>(static_cast<u16>(op) - static_cast<u16>(Opcode::F64Eq) + static_cast<u16>(Opcode::F32Eq)) : op;
        switch (base) {
        case Opcode::F32Eq:
            // Equal and ordered: ZF = 1, PF = 0.
            compare(lhs, rhs);
            m_asm.setcc(Condition::Equal, gpr(result));
            m_asm.setcc(Condition::NotParity, kScratch);
            m_asm.and_(gpr(result), kScratch, Size::Byte);
            break;
        case Opcode::F32Ne:
            compare(lhs, rhs);
            m_asm.setcc(Condition::NotEqual, gpr(result));
            m_asm.setcc(Condition::Parity, kScratch);
            m_asm.or_(gpr(result), kScratch, Size::Byte);
            break;
        case Opcode::F32Lt:
            compare(rhs, lhs);
            m_asm.setcc(Condition::Above, gpr(result));
            break;
        case Opcode::F32Gt:
            compare(lhs, rhs);
            m_asm.setcc(Condition::Above, gpr(result));
            break;
        case Opcode::F32Le:
            compare(rhs, lhs);
            m_asm.setcc(Condition::AboveOrEqual, gpr(result));
            break;
        default: // Ge
            compare(lhs, rhs);
            m_asm.setcc(Condition::AboveOrEqual, gpr(result));
            break;
        }
        m_asm.movzx8(gpr(result), gpr(result), Size::Dword);
        release(RegClass::Fpr, lhs);
        release(RegClass::Fpr, rhs);
        return push_reg(ValKind::I32, result);
    }

    Opcode base = is64 ? static_cast<Opcode>(static_cast<u16>(op) - static_cast<u16>(Opcode::F64Abs) + static_cast<u16>(Opcode::F32Abs)) : op;
    u64 sign = is64 ? kSign64 : kSign32;
    switch (base) {
    case Opcode::F32Abs:
    case Opcode::F32Neg: {
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        if (base == Opcode::F32Abs) {
            load_scratch_constant(m_asm, is64, ~sign & (is64 ? ~u64 { 0 } : 0xFFFF'FFFFu));
            m_asm.andps(xmm(reg), kScratchXmm);
        } else {
            load_scratch_constant(m_asm, is64, sign);
            m_asm.xorps(xmm(reg), kScratchXmm);
        }
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
        bool is_min = base == Opcode::F32Min;
        Label nan, equal, done;
        is64 ? m_asm.ucomisd(dst, src) : m_asm.ucomiss(dst, src);
        m_asm.jcc(Condition::Parity, nan);
        m_asm.jcc(Condition::Equal, equal);
        if (is_min)
            is64 ? m_asm.minsd(dst, src) : m_asm.minss(dst, src);
        else
            is64 ? m_asm.maxsd(dst, src) : m_asm.maxss(dst, src);
        m_asm.jmp(done);
        m_asm.bind(equal);
        // Equal operands differ at most in the sign of zero: min takes -0, max +0.
        if (is_min)
            m_asm.orps(dst, src);
        else
            m_asm.andps(dst, src);
        m_asm.jmp(done);
        m_asm.bind(nan);
        // A NaN operand: the sum is a quiet NaN.
        is64 ? m_asm.addsd(dst, src) : m_asm.addss(dst, src);
        m_asm.bind(done);
        release(RegClass::Fpr, rhs);
        return push_reg(kind, lhs);
    }
    case Opcode::F32Copysign: {
        u8 rhs = TRY(pop_reg(RegClass::Fpr));
        u8 lhs = TRY(pop_reg(RegClass::Fpr));
        load_scratch_constant(m_asm, is64, sign);
        m_asm.andps(xmm(rhs), kScratchXmm);  // sign of rhs
        m_asm.andnps(kScratchXmm, xmm(lhs)); // magnitude of lhs
        m_asm.orps(kScratchXmm, xmm(rhs));
        m_asm.movaps(xmm(lhs), kScratchXmm);
        release(RegClass::Fpr, rhs);
        return push_reg(kind, lhs);
    }
    default:
        return unsupported("float instruction not implemented");
    }
}

namespace {

struct TruncShape {
    bool from64;
    bool to64;
    bool is_signed;
    bool saturating;
};

TruncShape trunc_shape(Opcode op)
{
    switch (op) {
    case Opcode::I32TruncF32S: return { false, false, true, false };
    case Opcode::I32TruncF32U: return { false, false, false, false };
    case Opcode::I32TruncF64S: return { true, false, true, false };
    case Opcode::I32TruncF64U: return { true, false, false, false };
    case Opcode::I64TruncF32S: return { false, true, true, false };
    case Opcode::I64TruncF32U: return { false, true, false, false };
    case Opcode::I64TruncF64S: return { true, true, true, false };
    case Opcode::I64TruncF64U: return { true, true, false, false };
    case Opcode::I32TruncSatF32S: return { false, false, true, true };
    case Opcode::I32TruncSatF32U: return { false, false, false, true };
    case Opcode::I32TruncSatF64S: return { true, false, true, true };
    case Opcode::I32TruncSatF64U: return { true, false, false, true };
    case Opcode::I64TruncSatF32S: return { false, true, true, true };
    case Opcode::I64TruncSatF32U: return { false, true, false, true };
    case Opcode::I64TruncSatF64S: return { true, true, true, true };
    default: return { true, true, false, true }; // I64TruncSatF64U
    }
}

// Bit patterns of powers of two and -1 in f32/f64.
u64 float_bits(bool is64, int exponent, bool negative)
{
    if (is64)
        return (negative ? kSign64 : 0) | (static_cast<u64>(1023 + exponent) << 52);
    return (negative ? kSign32 : 0) | (static_cast<u64>(127 + exponent) << 23);
}

} // namespace

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
        bool from_signed32 = op == Opcode::F32ConvertI32S || op == Opcode::F64ConvertI32S;
        bool from_u64 = op == Opcode::F32ConvertI64U || op == Opcode::F64ConvertI64U;
        u8 source = TRY(pop_reg(RegClass::Gpr));
        u8 result = TRY(allocate(RegClass::Fpr));
        Xmm dst = xmm(result);
        auto convert = [&](Gpr from, Size size) {
            m_asm.xorps(dst, dst); // no false dependency on the old contents
            to64 ? m_asm.cvtsi2sd(dst, from, size) : m_asm.cvtsi2ss(dst, from, size);
        };
        if (from_signed32) {
            convert(gpr(source), Size::Dword);
        } else if (!from_u64) {
            // i32 unsigned and i64 signed: a zero-extended i32 is a non-negative i64.
            convert(gpr(source), Size::Qword);
        } else {
            Label large, done;
            m_asm.test(gpr(source), gpr(source), Size::Qword);
            m_asm.jcc(Condition::Sign, large);
            convert(gpr(source), Size::Qword);
            m_asm.jmp(done);
            m_asm.bind(large);
            // Halve with the lost bit kept sticky, convert, double: rounds correctly.
            m_asm.mov(kScratch, gpr(source), Size::Qword);
            m_asm.shr(kScratch, 1, Size::Qword);
            m_asm.and_(gpr(source), 1, Size::Dword);
            m_asm.or_(kScratch, gpr(source), Size::Qword);
            convert(kScratch, Size::Qword);
            to64 ? m_asm.addsd(dst, dst) : m_asm.addss(dst, dst);
            m_asm.bind(done);
        }
        release(RegClass::Gpr, source);
        return push_reg(to64 ? ValKind::F64 : ValKind::F32, result);
    }
    default:
        break;
    }

    if (!((op >= Opcode::I32TruncF32S && op <= Opcode::I64TruncF64U) || (op >= Opcode::I32TruncSatF32S && op <= Opcode::I64TruncSatF64U)))
        return unsupported("float conversion not implemented");

    TruncShape shape = trunc_shape(op);
    u8 source = TRY(pop_reg(RegClass::Fpr));
    u8 result = TRY(allocate(RegClass::Gpr));
    Xmm x = xmm(source);
    Gpr r = gpr(result);
    bool f64 = shape.from64;
    auto compare_scratch = [&]() { f64 ? m_asm.ucomisd(x, kScratchXmm) : m_asm.ucomiss(x, kScratchXmm); };
    auto truncate = [&](Gpr dst, Xmm src, Size size) {
        f64 ? m_asm.cvttsd2si(dst, src, size) : m_asm.cvttss2si(dst, src, size);
    };
    u32 bits = shape.to64 ? 64 : 32;
    Label done;

    if (!shape.saturating) {
        Label* invalid = TRY(trap_label(TrapKind::InvalidConversionToInteger));
        Label* overflow = TRY(trap_label(TrapKind::IntegerOverflow));
        f64 ? m_asm.ucomisd(x, x) : m_asm.ucomiss(x, x);
        m_asm.jcc(Condition::Parity, *invalid);
        // Lower bound.
        if (shape.is_signed) {
            if (!shape.to64 && f64) {
                // x > -2^31 - 1 (exactly representable in f64).
                m_asm.mov(kScratch, static_cast<i64>(0xC1E0'0000'0020'0000ull), Size::Qword);
                m_asm.movq(kScratchXmm, kScratch);
                compare_scratch();
                m_asm.jcc(Condition::BelowOrEqual, *overflow);
            } else {
                // x >= -2^(bits-1).
                load_scratch_constant(m_asm, f64, float_bits(f64, static_cast<int>(bits) - 1, true));
                compare_scratch();
                m_asm.jcc(Condition::Below, *overflow);
            }
        } else {
            // x > -1.
            load_scratch_constant(m_asm, f64, float_bits(f64, 0, true));
            compare_scratch();
            m_asm.jcc(Condition::BelowOrEqual, *overflow);
        }
        // Upper bound: x < 2^(bits-1) signed, 2^bits unsigned.
        load_scratch_constant(m_asm, f64, float_bits(f64, static_cast<int>(shape.is_signed ? bits - 1 : bits), false));
        compare_scratch();
        m_asm.jcc(Condition::AboveOrEqual, *overflow);
    } else {
        Label not_nan, in_range;
        f64 ? m_asm.ucomisd(x, x) : m_asm.ucomiss(x, x);
        m_asm.jcc(Condition::NotParity, not_nan);
        m_asm.xor_(r, r, Size::Dword);
        m_asm.jmp(done);
        m_asm.bind(not_nan);
        // Upper saturation.
        load_scratch_constant(m_asm, f64, float_bits(f64, static_cast<int>(shape.is_signed ? bits - 1 : bits), false));
        compare_scratch();
        Label below_max;
        m_asm.jcc(Condition::Below, below_max);
        u64 max = shape.is_signed ? (shape.to64 ? 0x7FFF'FFFF'FFFF'FFFFull : 0x7FFF'FFFFull) : (shape.to64 ? ~0ull : 0xFFFF'FFFFull);
        m_asm.mov(r, static_cast<i64>(max), shape.to64 ? Size::Qword : Size::Dword);
        m_asm.jmp(done);
        m_asm.bind(below_max);
        // Lower saturation.
        if (shape.is_signed) {
            load_scratch_constant(m_asm, f64, float_bits(f64, static_cast<int>(bits) - 1, true));
            compare_scratch();
            m_asm.jcc(Condition::AboveOrEqual, in_range);
            u64 min = shape.to64 ? kSign64 : kSign32;
            m_asm.mov(r, static_cast<i64>(min), shape.to64 ? Size::Qword : Size::Dword);
            m_asm.jmp(done);
        } else {
            // x <= -1 saturates to 0; (-1, 0] truncates to 0 anyway.
            m_asm.xorps(kScratchXmm, kScratchXmm);
            compare_scratch();
            m_asm.jcc(Condition::Above, in_range);
            m_asm.xor_(r, r, Size::Dword);
            m_asm.jmp(done);
        }
        m_asm.bind(in_range);
    }

    // In range: convert.
    if (shape.is_signed) {
        truncate(r, x, shape.to64 ? Size::Qword : Size::Dword);
    } else if (!shape.to64) {
        truncate(r, x, Size::Qword);
        m_asm.mov(r, r, Size::Dword);
    } else {
        // Unsigned 64: values from 2^63 up go through x - 2^63.
        Label small;
        load_scratch_constant(m_asm, f64, float_bits(f64, 63, false));
        compare_scratch();
        m_asm.jcc(Condition::Below, small);
        f64 ? m_asm.subsd(x, kScratchXmm) : m_asm.subss(x, kScratchXmm);
        truncate(r, x, Size::Qword);
        m_asm.mov(kScratch, static_cast<i64>(kSign64), Size::Qword);
        m_asm.xor_(r, kScratch, Size::Qword);
        m_asm.jmp(done);
        m_asm.bind(small);
        truncate(r, x, Size::Qword);
    }
    m_asm.bind(done);
    release(RegClass::Fpr, source);
    return push_reg(shape.to64 ? ValKind::I64 : ValKind::I32, result);
}

} // namespace wk::engine::x64::baseline
