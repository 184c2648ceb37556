// Float sequences shared by the baseline and the optimising tier (float_lowering.h).
// SSE arithmetic already gives what the spec allows for NaNs; min/max need care (NaN
// and signed zeros), abs, neg and copysign are bit operations, and the float → integer
// conversions check their range explicitly (cvtt* gives the "integer indefinite" value
// instead of trapping).

#include "engine/x64/float_lowering.h"

namespace wk::engine::x64 {

void load_float_constant(Assembler& masm, bool is64, u64 bits, Xmm dst, Gpr scratch)
{
    if (bits == 0) {
        masm.xorps(dst, dst);
    } else if (is64) {
        masm.mov(scratch, static_cast<i64>(bits), Size::Qword);
        masm.movq(dst, scratch);
    } else {
        masm.mov(scratch, static_cast<i64>(static_cast<u32>(bits)), Size::Dword);
        masm.movd(dst, scratch);
    }
}

void emit_float_compare(Assembler& masm, Opcode op, Gpr result, Xmm lhs, Xmm rhs, Gpr scratch)
{
    bool is64 = op >= Opcode::F64Eq && op <= Opcode::F64Ge;
    Opcode base = is64 ? static_cast<Opcode>(static_cast<u16>(op) - static_cast<u16>(Opcode::F64Eq) + static_cast<u16>(Opcode::F32Eq)) : op;
    auto compare = [&](Xmm a, Xmm b) { is64 ? masm.ucomisd(a, b) : masm.ucomiss(a, b); };
    switch (base) {
    case Opcode::F32Eq:
        // Equal and ordered: ZF = 1, PF = 0.
        compare(lhs, rhs);
        masm.setcc(Condition::Equal, result);
        masm.setcc(Condition::NotParity, scratch);
        masm.and_(result, scratch, Size::Byte);
        break;
    case Opcode::F32Ne:
        compare(lhs, rhs);
        masm.setcc(Condition::NotEqual, result);
        masm.setcc(Condition::Parity, scratch);
        masm.or_(result, scratch, Size::Byte);
        break;
    case Opcode::F32Lt:
        compare(rhs, lhs);
        masm.setcc(Condition::Above, result);
        break;
    case Opcode::F32Gt:
        compare(lhs, rhs);
        masm.setcc(Condition::Above, result);
        break;
    case Opcode::F32Le:
        compare(rhs, lhs);
        masm.setcc(Condition::AboveOrEqual, result);
        break;
    default: // Ge
        compare(lhs, rhs);
        masm.setcc(Condition::AboveOrEqual, result);
        break;
    }
    masm.movzx8(result, result, Size::Dword);
}

void emit_float_min_max(Assembler& masm, bool is64, bool is_min, Xmm dst, Xmm src)
{
    Label nan, equal, done;
    is64 ? masm.ucomisd(dst, src) : masm.ucomiss(dst, src);
    masm.jcc(Condition::Parity, nan);
    masm.jcc(Condition::Equal, equal);
    if (is_min)
        is64 ? masm.minsd(dst, src) : masm.minss(dst, src);
    else
        is64 ? masm.maxsd(dst, src) : masm.maxss(dst, src);
    masm.jmp(done);
    masm.bind(equal);
    // Equal operands differ at most in the sign of zero: min takes -0, max +0.
    if (is_min)
        masm.orps(dst, src);
    else
        masm.andps(dst, src);
    masm.jmp(done);
    masm.bind(nan);
    // A NaN operand: the sum is a quiet NaN.
    is64 ? masm.addsd(dst, src) : masm.addss(dst, src);
    masm.bind(done);
}

void emit_float_copysign(Assembler& masm, bool is64, Xmm dst, Xmm src, Xmm scratch, Gpr gpr_scratch)
{
    load_float_constant(masm, is64, is64 ? kFloatSign64 : kFloatSign32, scratch, gpr_scratch);
    masm.andps(src, scratch);  // sign of src
    masm.andnps(scratch, dst); // magnitude of dst
    masm.orps(scratch, src);
    masm.movaps(dst, scratch);
}

void emit_float_abs_neg(Assembler& masm, bool is64, bool is_abs, Xmm dst, Xmm scratch, Gpr gpr_scratch)
{
    u64 sign = is64 ? kFloatSign64 : kFloatSign32;
    if (is_abs) {
        load_float_constant(masm, is64, ~sign & (is64 ? ~u64 { 0 } : 0xFFFF'FFFFu), scratch, gpr_scratch);
        masm.andps(dst, scratch);
    } else {
        load_float_constant(masm, is64, sign, scratch, gpr_scratch);
        masm.xorps(dst, scratch);
    }
}

void emit_int_to_float(Assembler& masm, Opcode op, Xmm dst, Gpr source, Gpr scratch)
{
    bool to64 = op >= Opcode::F64ConvertI32S;
    bool from_signed32 = op == Opcode::F32ConvertI32S || op == Opcode::F64ConvertI32S;
    bool from_u64 = op == Opcode::F32ConvertI64U || op == Opcode::F64ConvertI64U;
    auto convert = [&](Gpr from, Size size) {
        masm.xorps(dst, dst); // no false dependency on the old contents
        to64 ? masm.cvtsi2sd(dst, from, size) : masm.cvtsi2ss(dst, from, size);
    };
    if (from_signed32) {
        convert(source, Size::Dword);
    } else if (!from_u64) {
        // i32 unsigned and i64 signed: a zero-extended i32 is a non-negative i64.
        convert(source, Size::Qword);
    } else {
        Label large, done;
        masm.test(source, source, Size::Qword);
        masm.jcc(Condition::Sign, large);
        convert(source, Size::Qword);
        masm.jmp(done);
        masm.bind(large);
        // Halve with the lost bit kept sticky, convert, double: rounds correctly.
        masm.mov(scratch, source, Size::Qword);
        masm.shr(scratch, 1, Size::Qword);
        masm.and_(source, 1, Size::Dword);
        masm.or_(scratch, source, Size::Qword);
        convert(scratch, Size::Qword);
        to64 ? masm.addsd(dst, dst) : masm.addss(dst, dst);
        masm.bind(done);
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
        return (negative ? kFloatSign64 : 0) | (static_cast<u64>(1023 + exponent) << 52);
    return (negative ? kFloatSign32 : 0) | (static_cast<u64>(127 + exponent) << 23);
}

} // namespace

bool is_trapping_float_to_int(Opcode op) { return op >= Opcode::I32TruncF32S && op <= Opcode::I64TruncF64U && op != Opcode::I64ExtendI32S && op != Opcode::I64ExtendI32U; }

bool is_float_to_int(Opcode op)
{
    return is_trapping_float_to_int(op) || (op >= Opcode::I32TruncSatF32S && op <= Opcode::I64TruncSatF64U);
}

void emit_float_to_int(Assembler& masm, Opcode op, Gpr r, Xmm x, Xmm scratch, Gpr gpr_scratch, Label* invalid,
                       Label* overflow)
{
    TruncShape shape = trunc_shape(op);
    bool f64 = shape.from64;
    auto load = [&](u64 bits) { load_float_constant(masm, f64, bits, scratch, gpr_scratch); };
    auto compare_scratch = [&]() { f64 ? masm.ucomisd(x, scratch) : masm.ucomiss(x, scratch); };
    auto truncate = [&](Gpr dst, Xmm src, Size size) {
        f64 ? masm.cvttsd2si(dst, src, size) : masm.cvttss2si(dst, src, size);
    };
    u32 bits = shape.to64 ? 64 : 32;
    Label done;

    if (!shape.saturating) {
        f64 ? masm.ucomisd(x, x) : masm.ucomiss(x, x);
        masm.jcc(Condition::Parity, *invalid);
        // Lower bound.
        if (shape.is_signed) {
            if (!shape.to64 && f64) {
                // x > -2^31 - 1 (exactly representable in f64).
                load(0xC1E0'0000'0020'0000ull);
                compare_scratch();
                masm.jcc(Condition::BelowOrEqual, *overflow);
            } else {
                // x >= -2^(bits-1).
                load(float_bits(f64, static_cast<int>(bits) - 1, true));
                compare_scratch();
                masm.jcc(Condition::Below, *overflow);
            }
        } else {
            // x > -1.
            load(float_bits(f64, 0, true));
            compare_scratch();
            masm.jcc(Condition::BelowOrEqual, *overflow);
        }
        // Upper bound: x < 2^(bits-1) signed, 2^bits unsigned.
        load(float_bits(f64, static_cast<int>(shape.is_signed ? bits - 1 : bits), false));
        compare_scratch();
        masm.jcc(Condition::AboveOrEqual, *overflow);
    } else {
        Label not_nan, in_range;
        f64 ? masm.ucomisd(x, x) : masm.ucomiss(x, x);
        masm.jcc(Condition::NotParity, not_nan);
        masm.xor_(r, r, Size::Dword);
        masm.jmp(done);
        masm.bind(not_nan);
        // Upper saturation.
        load(float_bits(f64, static_cast<int>(shape.is_signed ? bits - 1 : bits), false));
        compare_scratch();
        Label below_max;
        masm.jcc(Condition::Below, below_max);
        u64 max = shape.is_signed ? (shape.to64 ? 0x7FFF'FFFF'FFFF'FFFFull : 0x7FFF'FFFFull) : (shape.to64 ? ~0ull : 0xFFFF'FFFFull);
        masm.mov(r, static_cast<i64>(max), shape.to64 ? Size::Qword : Size::Dword);
        masm.jmp(done);
        masm.bind(below_max);
        // Lower saturation.
        if (shape.is_signed) {
            load(float_bits(f64, static_cast<int>(bits) - 1, true));
            compare_scratch();
            masm.jcc(Condition::AboveOrEqual, in_range);
            u64 min = shape.to64 ? kFloatSign64 : kFloatSign32;
            masm.mov(r, static_cast<i64>(min), shape.to64 ? Size::Qword : Size::Dword);
            masm.jmp(done);
        } else {
            // x <= -1 saturates to 0; (-1, 0] truncates to 0 anyway.
            masm.xorps(scratch, scratch);
            compare_scratch();
            masm.jcc(Condition::Above, in_range);
            masm.xor_(r, r, Size::Dword);
            masm.jmp(done);
        }
        masm.bind(in_range);
    }

    // In range: convert.
    if (shape.is_signed) {
        truncate(r, x, shape.to64 ? Size::Qword : Size::Dword);
    } else if (!shape.to64) {
        truncate(r, x, Size::Qword);
        masm.mov(r, r, Size::Dword);
    } else {
        // Unsigned 64: values from 2^63 up go through x - 2^63.
        Label small;
        load(float_bits(f64, 63, false));
        compare_scratch();
        masm.jcc(Condition::Below, small);
        f64 ? masm.subsd(x, scratch) : masm.subss(x, scratch);
        truncate(r, x, Size::Qword);
        masm.mov(gpr_scratch, static_cast<i64>(kFloatSign64), Size::Qword);
        masm.xor_(r, gpr_scratch, Size::Qword);
        masm.jmp(done);
        masm.bind(small);
        truncate(r, x, Size::Qword);
    }
    masm.bind(done);
}

} // namespace wk::engine::x64
