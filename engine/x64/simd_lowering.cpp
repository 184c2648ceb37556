// SIMD sequences shared by the baseline (baseline/simd.cpp) and the optimising tier
// (opt/lower_simd.cpp); the contract is in simd_lowering.h.

#include <initializer_list>

#include "engine/x64/simd_lowering.h"

namespace wk::engine::x64 {

namespace {

using BinaryOp = void (Assembler::*)(Xmm, Xmm);

// Lane-wise operations that are one SSE instruction, dst = dst op src.
BinaryOp simple_binary(Opcode op)
{
    switch (op) {
    case Opcode::V128And: return &Assembler::pand;
    case Opcode::V128Or: return &Assembler::por;
    case Opcode::V128Xor: return &Assembler::pxor;
    case Opcode::I8x16Add: return &Assembler::paddb;
    case Opcode::I16x8Add: return &Assembler::paddw;
    case Opcode::I32x4Add: return &Assembler::paddd;
    case Opcode::I64x2Add: return &Assembler::paddq;
    case Opcode::I8x16Sub: return &Assembler::psubb;
    case Opcode::I16x8Sub: return &Assembler::psubw;
    case Opcode::I32x4Sub: return &Assembler::psubd;
    case Opcode::I64x2Sub: return &Assembler::psubq;
    case Opcode::I16x8Mul: return &Assembler::pmullw;
    case Opcode::I32x4Mul: return &Assembler::pmulld;
    case Opcode::I8x16AddSatS: return &Assembler::paddsb;
    case Opcode::I8x16AddSatU: return &Assembler::paddusb;
    case Opcode::I16x8AddSatS: return &Assembler::paddsw;
    case Opcode::I16x8AddSatU: return &Assembler::paddusw;
    case Opcode::I8x16SubSatS: return &Assembler::psubsb;
    case Opcode::I8x16SubSatU: return &Assembler::psubusb;
    case Opcode::I16x8SubSatS: return &Assembler::psubsw;
    case Opcode::I16x8SubSatU: return &Assembler::psubusw;
    case Opcode::I8x16Eq: return &Assembler::pcmpeqb;
    case Opcode::I16x8Eq: return &Assembler::pcmpeqw;
    case Opcode::I32x4Eq: return &Assembler::pcmpeqd;
    case Opcode::I64x2Eq: return &Assembler::pcmpeqq;
    case Opcode::F32x4Add: return &Assembler::addps;
    case Opcode::F32x4Sub: return &Assembler::subps;
    case Opcode::F32x4Mul: return &Assembler::mulps;
    case Opcode::F32x4Div: return &Assembler::divps;
    case Opcode::F64x2Add: return &Assembler::addpd;
    case Opcode::F64x2Sub: return &Assembler::subpd;
    case Opcode::F64x2Mul: return &Assembler::mulpd;
    case Opcode::F64x2Div: return &Assembler::divpd;
    case Opcode::I8x16MinS: return &Assembler::pminsb;
    case Opcode::I8x16MinU: return &Assembler::pminub;
    case Opcode::I8x16MaxS: return &Assembler::pmaxsb;
    case Opcode::I8x16MaxU: return &Assembler::pmaxub;
    case Opcode::I16x8MinS: return &Assembler::pminsw;
    case Opcode::I16x8MinU: return &Assembler::pminuw;
    case Opcode::I16x8MaxS: return &Assembler::pmaxsw;
    case Opcode::I16x8MaxU: return &Assembler::pmaxuw;
    case Opcode::I32x4MinS: return &Assembler::pminsd;
    case Opcode::I32x4MinU: return &Assembler::pminud;
    case Opcode::I32x4MaxS: return &Assembler::pmaxsd;
    case Opcode::I32x4MaxU: return &Assembler::pmaxud;
    case Opcode::I8x16AvgrU: return &Assembler::pavgb;
    case Opcode::I16x8AvgrU: return &Assembler::pavgw;
    case Opcode::I8x16NarrowI16x8S: return &Assembler::packsswb;
    case Opcode::I8x16NarrowI16x8U: return &Assembler::packuswb;
    case Opcode::I16x8NarrowI32x4S: return &Assembler::packssdw;
    case Opcode::I16x8NarrowI32x4U: return &Assembler::packusdw;
    case Opcode::I32x4DotI16x8S: return &Assembler::pmaddwd;
    case Opcode::I8x16GtS: return &Assembler::pcmpgtb;
    case Opcode::I16x8GtS: return &Assembler::pcmpgtw;
    case Opcode::I32x4GtS: return &Assembler::pcmpgtd;
    case Opcode::I64x2GtS: return &Assembler::pcmpgtq;
    default: return nullptr;
    }
}

// Operations computed as op(rhs, lhs).
BinaryOp swapped_binary(Opcode op)
{
    switch (op) {
    case Opcode::I8x16LtS: return &Assembler::pcmpgtb;
    case Opcode::I16x8LtS: return &Assembler::pcmpgtw;
    case Opcode::I32x4LtS: return &Assembler::pcmpgtd;
    case Opcode::I64x2LtS: return &Assembler::pcmpgtq;
    case Opcode::F32x4Pmin: return &Assembler::minps;
    case Opcode::F32x4Pmax: return &Assembler::maxps;
    case Opcode::F64x2Pmin: return &Assembler::minpd;
    case Opcode::F64x2Pmax: return &Assembler::maxpd;
    case Opcode::V128Andnot: return &Assembler::pandn; // a & ~b: pandn computes ~dst & src
    case Opcode::I16x8RelaxedDotI8x16I7x16S: return &Assembler::pmaddubsw; // rhs bytes unsigned
    default: return nullptr;
    }
}

// One-operand operations, dst = op(dst).
BinaryOp simple_unary(Opcode op)
{
    switch (op) {
    case Opcode::I8x16Abs: return &Assembler::pabsb;
    case Opcode::I16x8Abs: return &Assembler::pabsw;
    case Opcode::I32x4Abs: return &Assembler::pabsd;
    case Opcode::F32x4ConvertI32x4S: return &Assembler::cvtdq2ps;
    case Opcode::F64x2ConvertLowI32x4S: return &Assembler::cvtdq2pd;
    case Opcode::F32x4DemoteF64x2Zero: return &Assembler::cvtpd2ps;
    case Opcode::F64x2PromoteLowF32x4: return &Assembler::cvtps2pd;
    case Opcode::I16x8ExtendLowI8x16S: return &Assembler::pmovsxbw;
    case Opcode::I16x8ExtendLowI8x16U: return &Assembler::pmovzxbw;
    case Opcode::I32x4ExtendLowI16x8S: return &Assembler::pmovsxwd;
    case Opcode::I32x4ExtendLowI16x8U: return &Assembler::pmovzxwd;
    case Opcode::I64x2ExtendLowI32x4S: return &Assembler::pmovsxdq;
    case Opcode::I64x2ExtendLowI32x4U: return &Assembler::pmovzxdq;
    case Opcode::F32x4Sqrt: return &Assembler::sqrtps;
    case Opcode::F64x2Sqrt: return &Assembler::sqrtpd;
    default: return nullptr;
    }
}

// extend_high: the same after moving the high half down.
BinaryOp extend_high(Opcode op)
{
    switch (op) {
    case Opcode::I16x8ExtendHighI8x16S: return &Assembler::pmovsxbw;
    case Opcode::I16x8ExtendHighI8x16U: return &Assembler::pmovzxbw;
    case Opcode::I32x4ExtendHighI16x8S: return &Assembler::pmovsxwd;
    case Opcode::I32x4ExtendHighI16x8U: return &Assembler::pmovzxwd;
    case Opcode::I64x2ExtendHighI32x4S: return &Assembler::pmovsxdq;
    case Opcode::I64x2ExtendHighI32x4U: return &Assembler::pmovzxdq;
    default: return nullptr;
    }
}

bool one_of(Opcode op, std::initializer_list<Opcode> ops)
{
    for (Opcode candidate : ops) {
        if (candidate == op)
            return true;
    }
    return false;
}

// The same 32-bit pattern in every lane of dst.
void splat32(Assembler& masm, Xmm dst, u32 bits, Gpr gpr)
{
    masm.mov(gpr, static_cast<i64>(bits), Size::Dword);
    masm.movd(dst, gpr);
    masm.pshufd(dst, dst, 0);
}

void load_bytes(Assembler& masm, Xmm dst, const u8 (&bytes)[16], Gpr gpr)
{
    u64 low;
    u64 high;
    __builtin_memcpy(&low, bytes, 8);
    __builtin_memcpy(&high, bytes + 8, 8);
    load_simd_constant(masm, dst, low, high, gpr);
}

// Integer comparisons SSE lacks: unsigned ones and signed ge/le.
void emit_int_compare(Assembler& masm, Opcode op, const SimdRegs& r)
{
    // Unsigned: a >= b is max_u(a, b) == a, a <= b is min_u(a, b) == a; gt/lt are
    // their negations. Signed ge/le are the negations of lt/gt.
    u32 width = one_of(op, { Opcode::I8x16GtU, Opcode::I8x16LtU, Opcode::I8x16GeU, Opcode::I8x16LeU, Opcode::I8x16GeS, Opcode::I8x16LeS }) ? 1
        : one_of(op, { Opcode::I16x8GtU, Opcode::I16x8LtU, Opcode::I16x8GeU, Opcode::I16x8LeU, Opcode::I16x8GeS, Opcode::I16x8LeS }) ? 2
        : one_of(op, { Opcode::I64x2GeS, Opcode::I64x2LeS }) ? 8
                                                            : 4;
    bool is_signed = one_of(op, { Opcode::I8x16GeS, Opcode::I8x16LeS, Opcode::I16x8GeS, Opcode::I16x8LeS, Opcode::I32x4GeS,
                                  Opcode::I32x4LeS, Opcode::I64x2GeS, Opcode::I64x2LeS });
    bool negate = true;
    auto greater = [&](Xmm dst, Xmm src) {
        switch (width) {
        case 1: masm.pcmpgtb(dst, src); break;
        case 2: masm.pcmpgtw(dst, src); break;
        case 4: masm.pcmpgtd(dst, src); break;
        default: masm.pcmpgtq(dst, src); break;
        }
    };
    if (is_signed) {
        // ge_s(a, b) = !(b > a); le_s(a, b) = !(a > b).
        if (one_of(op, { Opcode::I8x16GeS, Opcode::I16x8GeS, Opcode::I32x4GeS, Opcode::I64x2GeS })) {
            masm.movaps(r.scratch, r.b);
            greater(r.scratch, r.dst);
            masm.movaps(r.dst, r.scratch);
        } else {
            greater(r.dst, r.b);
        }
    } else {
        bool use_max = one_of(op, { Opcode::I8x16GeU, Opcode::I16x8GeU, Opcode::I32x4GeU, Opcode::I8x16LtU, Opcode::I16x8LtU,
                                    Opcode::I32x4LtU });
        negate = one_of(op, { Opcode::I8x16GtU, Opcode::I16x8GtU, Opcode::I32x4GtU, Opcode::I8x16LtU, Opcode::I16x8LtU,
                              Opcode::I32x4LtU });
        masm.movaps(r.scratch, r.dst);
        switch (width) {
        case 1: use_max ? masm.pmaxub(r.scratch, r.b) : masm.pminub(r.scratch, r.b); masm.pcmpeqb(r.dst, r.scratch); break;
        case 2: use_max ? masm.pmaxuw(r.scratch, r.b) : masm.pminuw(r.scratch, r.b); masm.pcmpeqw(r.dst, r.scratch); break;
        default: use_max ? masm.pmaxud(r.scratch, r.b) : masm.pminud(r.scratch, r.b); masm.pcmpeqd(r.dst, r.scratch); break;
        }
    }
    if (negate) {
        masm.pcmpeqd(r.scratch, r.scratch);
        masm.pxor(r.dst, r.scratch);
    }
}

void emit_float_compare_lanes(Assembler& masm, Opcode op, const SimdRegs& r)
{
    bool is64 = op >= Opcode::F64x2Eq;
    Opcode base = is64 ? static_cast<Opcode>(static_cast<u16>(op) - static_cast<u16>(Opcode::F64x2Eq) + static_cast<u16>(Opcode::F32x4Eq)) : op;
    // cmpps predicates: 0 eq, 1 lt, 2 le, 4 neq (unordered true). gt/ge swap.
    bool swap = base == Opcode::F32x4Gt || base == Opcode::F32x4Ge;
    u8 predicate = base == Opcode::F32x4Eq ? 0 : base == Opcode::F32x4Ne ? 4
        : (base == Opcode::F32x4Lt || base == Opcode::F32x4Gt) ? 1 : 2;
    if (swap) {
        masm.movaps(r.scratch, r.b);
        is64 ? masm.cmppd(r.scratch, r.dst, predicate) : masm.cmpps(r.scratch, r.dst, predicate);
        masm.movaps(r.dst, r.scratch);
    } else {
        is64 ? masm.cmppd(r.dst, r.b, predicate) : masm.cmpps(r.dst, r.b, predicate);
    }
}

void emit_extmul(Assembler& masm, Opcode op, const SimdRegs& r)
{
    // Widen both halves, then multiply at the wider width.
    bool high = one_of(op, { Opcode::I16x8ExtmulHighI8x16S, Opcode::I16x8ExtmulHighI8x16U, Opcode::I32x4ExtmulHighI16x8S,
                             Opcode::I32x4ExtmulHighI16x8U, Opcode::I64x2ExtmulHighI32x4S, Opcode::I64x2ExtmulHighI32x4U });
    bool is_signed = one_of(op, { Opcode::I16x8ExtmulLowI8x16S, Opcode::I16x8ExtmulHighI8x16S, Opcode::I32x4ExtmulLowI16x8S,
                                  Opcode::I32x4ExtmulHighI16x8S, Opcode::I64x2ExtmulLowI32x4S, Opcode::I64x2ExtmulHighI32x4S });
    u32 to = (op >= Opcode::I16x8ExtmulLowI8x16S && op <= Opcode::I16x8ExtmulHighI8x16U) ? 16
        : (op >= Opcode::I32x4ExtmulLowI16x8S && op <= Opcode::I32x4ExtmulHighI16x8U)   ? 32
                                                                                         : 64;
    masm.movaps(r.scratch, r.b);
    for (Xmm reg : { r.dst, r.scratch }) {
        if (high)
            masm.psrldq(reg, 8);
        if (to == 16)
            is_signed ? masm.pmovsxbw(reg, reg) : masm.pmovzxbw(reg, reg);
        else if (to == 32)
            is_signed ? masm.pmovsxwd(reg, reg) : masm.pmovzxwd(reg, reg);
        else
            is_signed ? masm.pmovsxdq(reg, reg) : masm.pmovzxdq(reg, reg);
    }
    if (to == 16)
        masm.pmullw(r.dst, r.scratch);
    else if (to == 32)
        masm.pmulld(r.dst, r.scratch);
    else
        is_signed ? masm.pmuldq(r.dst, r.scratch) : masm.pmuludq(r.dst, r.scratch);
}

void emit_float_min_max_lanes(Assembler& masm, Opcode op, const SimdRegs& r)
{
    // minps/maxps return their second operand for NaNs and equal zeros: compute both
    // orders, merge (propagating -0/+0 and NaNs), then canonicalise NaN lanes.
    bool is64 = op == Opcode::F64x2Min || op == Opcode::F64x2Max;
    bool is_min = op == Opcode::F32x4Min || op == Opcode::F64x2Min;
    Xmm a = r.dst;
    Xmm b = r.b;
    Xmm t = r.scratch;
    masm.movaps(t, b);
    if (is_min) {
        is64 ? masm.minpd(t, a) : masm.minps(t, a);
        is64 ? masm.minpd(a, b) : masm.minps(a, b);
        masm.orps(t, a);
        is64 ? masm.cmppd(a, t, 3) : masm.cmpps(a, t, 3);
        masm.orps(t, a);
    } else {
        is64 ? masm.maxpd(t, a) : masm.maxps(t, a);
        is64 ? masm.maxpd(a, b) : masm.maxps(a, b);
        masm.xorps(a, t);
        masm.orps(t, a);
        is64 ? masm.subpd(t, a) : masm.subps(t, a);
        is64 ? masm.cmppd(a, t, 3) : masm.cmpps(a, t, 3);
    }
    is64 ? masm.psrlq(a, 13) : masm.psrld(a, 10);
    masm.andnps(a, t);
}

// Conversions between integer and float lanes.
bool emit_conversion_sequence(Assembler& masm, Opcode op, const SimdRegs& r)
{
    Xmm a = r.dst;
    Xmm s = r.scratch;
    switch (op) {
    case Opcode::I32x4TruncSatF32x4S:
        // NaN lanes to 0.
        masm.movaps(s, a);
        masm.cmpps(s, s, 0);
        masm.pand(a, s);
        // Top bit set where the input is >= 0.
        masm.pxor(s, a);
        masm.cvttps2dq(a, a);
        // Lanes that were >= 0 but came out negative overflowed: make them INT_MAX.
        masm.pand(s, a);
        masm.psrad(s, 31);
        masm.pxor(a, s);
        return true;
    case Opcode::I32x4TruncSatF32x4U: {
        Xmm t = r.scratch2;
        // NaN and negative lanes to 0 (maxps returns its second operand for NaN).
        masm.xorps(s, s);
        masm.maxps(a, s);
        // 2^31 as float in every lane.
        masm.pcmpeqd(s, s);
        masm.psrld(s, 1);
        masm.cvtdq2ps(s, s);
        // t: the part at or above 2^31, converted; saturate lanes at or above 2^32.
        masm.movaps(t, a);
        masm.subps(t, s);
        masm.cmpps(s, t, 2); // 2^31 <= t: overflow
        masm.cvttps2dq(t, t);
        masm.pxor(t, s);
        masm.pxor(s, s);
        masm.pmaxsd(t, s);
        // Lanes from 2^31 convert to 0x80000000; adding t completes them.
        masm.cvttps2dq(a, a);
        masm.paddd(a, t);
        return true;
    }
    case Opcode::I32x4TruncSatF64x2SZero: {
        static constexpr u8 kMax[16] = { 0x00, 0x00, 0xC0, 0xFF, 0xFF, 0xFF, 0xDF, 0x41, 0x00, 0x00, 0xC0, 0xFF, 0xFF, 0xFF, 0xDF, 0x41 };
        Xmm t = r.scratch2;
        // t = 2147483647.0 in non-NaN lanes, 0 in NaN lanes; min(a, t) clamps and
        // turns NaN into 0 (minpd returns its second operand for NaN).
        masm.movaps(t, a);
        masm.cmppd(t, a, 0);
        load_bytes(masm, s, kMax, r.gpr);
        masm.andps(t, s);
        masm.minpd(a, t);
        masm.cvttpd2dq(a, a);
        return true;
    }
    case Opcode::I32x4TruncSatF64x2UZero: {
        static constexpr u8 kMax[16] = { 0x00, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xEF, 0x41, 0x00, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xEF, 0x41 };
        static constexpr u8 kTwo52[16] = { 0, 0, 0, 0, 0, 0, 0x30, 0x43, 0, 0, 0, 0, 0, 0, 0x30, 0x43 };
        masm.xorpd(s, s);
        masm.maxpd(a, s); // NaN and negatives to 0
        load_bytes(masm, s, kMax, r.gpr);
        masm.minpd(a, s); // 4294967295.0 at most
        masm.roundpd(a, a, 3 | 8);
        // 2^52 + n has n in its low 32 bits.
        load_bytes(masm, s, kTwo52, r.gpr);
        masm.addpd(a, s);
        masm.xorps(s, s);
        masm.shufps(a, s, 0x88);
        return true;
    }
    case Opcode::F64x2ConvertLowI32x4U: {
        // Each u32 n becomes the double 2^52 + n (exponent bits beside it), minus 2^52.
        static constexpr u8 kHigh[16] = { 0, 0, 0x30, 0x43, 0, 0, 0x30, 0x43, 0, 0, 0x30, 0x43, 0, 0, 0x30, 0x43 };
        static constexpr u8 kTwo52[16] = { 0, 0, 0, 0, 0, 0, 0x30, 0x43, 0, 0, 0, 0, 0, 0, 0x30, 0x43 };
        load_bytes(masm, s, kHigh, r.gpr);
        masm.unpcklps(a, s);
        load_bytes(masm, s, kTwo52, r.gpr);
        masm.subpd(a, s);
        return true;
    }
    case Opcode::F32x4ConvertI32x4U:
        // Exact halves: high 16 bits (halved, doubled back as a float) plus low 16 bits.
        masm.movaps(s, a);
        masm.pslld(s, 16);
        masm.psrld(s, 16);
        masm.psubd(a, s);
        masm.psrld(a, 1);
        masm.cvtdq2ps(a, a);
        masm.addps(a, a);
        masm.cvtdq2ps(s, s);
        masm.addps(a, s);
        return true;
    default: return false;
    }
}

// The one-operand sequences; conversions are in emit_conversion_sequence.
bool emit_unary_sequence(Assembler& masm, Opcode op, const SimdRegs& r)
{
    Xmm a = r.dst;
    Xmm s = r.scratch;
    switch (op) {
    case Opcode::V128Not:
        masm.pcmpeqd(s, s);
        masm.pxor(a, s);
        return true;
    case Opcode::I8x16Neg:
    case Opcode::I16x8Neg:
    case Opcode::I32x4Neg:
    case Opcode::I64x2Neg:
        masm.pxor(s, s);
        if (op == Opcode::I8x16Neg)
            masm.psubb(s, a);
        else if (op == Opcode::I16x8Neg)
            masm.psubw(s, a);
        else if (op == Opcode::I32x4Neg)
            masm.psubd(s, a);
        else
            masm.psubq(s, a);
        masm.movaps(a, s);
        return true;
    case Opcode::F32x4Abs:
    case Opcode::F32x4Neg:
    case Opcode::F64x2Abs:
    case Opcode::F64x2Neg: {
        // Sign masks from all-ones: pure bit operations, NaN payloads pass through.
        masm.pcmpeqd(s, s);
        bool is64 = op == Opcode::F64x2Abs || op == Opcode::F64x2Neg;
        if (op == Opcode::F32x4Abs || op == Opcode::F64x2Abs) {
            is64 ? masm.psrlq(s, 1) : masm.psrld(s, 1);
            masm.andps(a, s);
        } else {
            is64 ? masm.psllq(s, 63) : masm.pslld(s, 31);
            masm.xorps(a, s);
        }
        return true;
    }
    case Opcode::F32x4Ceil: case Opcode::F32x4Floor: case Opcode::F32x4Trunc: case Opcode::F32x4Nearest:
    case Opcode::F64x2Ceil: case Opcode::F64x2Floor: case Opcode::F64x2Trunc: case Opcode::F64x2Nearest: {
        bool is64 = one_of(op, { Opcode::F64x2Ceil, Opcode::F64x2Floor, Opcode::F64x2Trunc, Opcode::F64x2Nearest });
        u8 mode = (op == Opcode::F32x4Nearest || op == Opcode::F64x2Nearest) ? 0
            : (op == Opcode::F32x4Floor || op == Opcode::F64x2Floor)       ? 1
            : (op == Opcode::F32x4Ceil || op == Opcode::F64x2Ceil)         ? 2
                                                                           : 3;
        is64 ? masm.roundpd(a, a, mode | 8) : masm.roundps(a, a, mode | 8);
        return true;
    }
    case Opcode::I16x8ExtaddPairwiseI8x16S:
        // pmaddubsw multiplies unsigned bytes (first operand) by signed bytes.
        splat32(masm, s, 0x0101'0101, r.gpr);
        masm.pmaddubsw(s, a);
        masm.movaps(a, s);
        return true;
    case Opcode::I16x8ExtaddPairwiseI8x16U:
        splat32(masm, s, 0x0101'0101, r.gpr);
        masm.pmaddubsw(a, s);
        return true;
    case Opcode::I32x4ExtaddPairwiseI16x8S:
        splat32(masm, s, 0x0001'0001, r.gpr);
        masm.pmaddwd(a, s);
        return true;
    case Opcode::I32x4ExtaddPairwiseI16x8U:
        // Bias to signed, add pairs, unbias by 2 * 32768.
        splat32(masm, s, 0x8000'8000, r.gpr);
        masm.pxor(a, s);
        splat32(masm, s, 0x0001'0001, r.gpr);
        masm.pmaddwd(a, s);
        splat32(masm, s, 0x0001'0000, r.gpr);
        masm.paddd(a, s);
        return true;
    case Opcode::I8x16Popcnt: {
        // Per-nibble lookup with pshufb.
        static constexpr u8 kNibbleCounts[16] = { 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4 };
        Xmm high = r.scratch2;
        masm.movaps(high, a);
        masm.psrlw(high, 4);
        splat32(masm, s, 0x0F0F'0F0F, r.gpr);
        masm.pand(a, s);
        masm.pand(high, s);
        load_bytes(masm, s, kNibbleCounts, r.gpr);
        masm.pshufb(s, a);
        load_bytes(masm, a, kNibbleCounts, r.gpr);
        masm.pshufb(a, high);
        masm.paddb(a, s);
        return true;
    }
    case Opcode::I64x2Abs:
        masm.pxor(s, s);
        masm.pcmpgtq(s, a); // lanes below zero
        masm.pxor(a, s);
        masm.psubq(a, s);
        return true;
    default: return emit_conversion_sequence(masm, op, r);
    }
}

// Two- and three-operand sequences.
bool emit_binary_sequence(Assembler& masm, Opcode op, const SimdRegs& r)
{
    Xmm a = r.dst;
    Xmm b = r.b;
    Xmm s = r.scratch;
    switch (op) {
    case Opcode::I8x16Ne:
    case Opcode::I16x8Ne:
    case Opcode::I32x4Ne:
    case Opcode::I64x2Ne:
        if (op == Opcode::I8x16Ne)
            masm.pcmpeqb(a, b);
        else if (op == Opcode::I16x8Ne)
            masm.pcmpeqw(a, b);
        else if (op == Opcode::I32x4Ne)
            masm.pcmpeqd(a, b);
        else
            masm.pcmpeqq(a, b);
        masm.pcmpeqd(s, s);
        masm.pxor(a, s);
        return true;
    case Opcode::V128Bitselect:
        // ((a ^ b) & mask) ^ b: a where the mask is 1, b where it is 0.
        masm.pxor(a, b);
        masm.pand(a, r.c);
        masm.pxor(a, b);
        return true;
    case Opcode::F32x4Eq: case Opcode::F32x4Ne: case Opcode::F32x4Lt:
    case Opcode::F32x4Gt: case Opcode::F32x4Le: case Opcode::F32x4Ge:
    case Opcode::F64x2Eq: case Opcode::F64x2Ne: case Opcode::F64x2Lt:
    case Opcode::F64x2Gt: case Opcode::F64x2Le: case Opcode::F64x2Ge:
        emit_float_compare_lanes(masm, op, r);
        return true;
    case Opcode::I8x16GtU: case Opcode::I8x16LtU: case Opcode::I8x16GeU: case Opcode::I8x16LeU:
    case Opcode::I16x8GtU: case Opcode::I16x8LtU: case Opcode::I16x8GeU: case Opcode::I16x8LeU:
    case Opcode::I32x4GtU: case Opcode::I32x4LtU: case Opcode::I32x4GeU: case Opcode::I32x4LeU:
    case Opcode::I8x16GeS: case Opcode::I8x16LeS: case Opcode::I16x8GeS: case Opcode::I16x8LeS:
    case Opcode::I32x4GeS: case Opcode::I32x4LeS: case Opcode::I64x2GeS: case Opcode::I64x2LeS:
        emit_int_compare(masm, op, r);
        return true;
    case Opcode::I16x8ExtmulLowI8x16S: case Opcode::I16x8ExtmulHighI8x16S:
    case Opcode::I16x8ExtmulLowI8x16U: case Opcode::I16x8ExtmulHighI8x16U:
    case Opcode::I32x4ExtmulLowI16x8S: case Opcode::I32x4ExtmulHighI16x8S:
    case Opcode::I32x4ExtmulLowI16x8U: case Opcode::I32x4ExtmulHighI16x8U:
    case Opcode::I64x2ExtmulLowI32x4S: case Opcode::I64x2ExtmulHighI32x4S:
    case Opcode::I64x2ExtmulLowI32x4U: case Opcode::I64x2ExtmulHighI32x4U:
        emit_extmul(masm, op, r);
        return true;
    case Opcode::I16x8Q15mulrSatS:
        // pmulhrsw overflows only for 0x8000 * 0x8000 (gives 0x8000): flip those to 0x7FFF.
        masm.pmulhrsw(a, b);
        splat32(masm, s, 0x8000'8000, r.gpr);
        masm.pcmpeqw(s, a);
        masm.pxor(a, s);
        return true;
    case Opcode::F32x4Min:
    case Opcode::F64x2Min:
    case Opcode::F32x4Max:
    case Opcode::F64x2Max:
        emit_float_min_max_lanes(masm, op, r);
        return true;
    case Opcode::I8x16Swizzle:
        // pshufb zeroes a lane whose index has bit 7 set: indices 16..255 saturate there.
        splat32(masm, s, 0x7070'7070, r.gpr);
        masm.paddusb(s, b);
        masm.pshufb(a, s);
        return true;
    case Opcode::I64x2Mul: {
        // lo*lo + ((hi_a*lo_b + lo_a*hi_b) << 32), from 32x32->64 multiplies.
        Xmm t = r.scratch2;
        masm.movaps(t, a);
        masm.psrlq(t, 32);
        masm.pmuludq(t, b);
        masm.movaps(s, b);
        masm.psrlq(s, 32);
        masm.pmuludq(s, a);
        masm.paddq(t, s);
        masm.psllq(t, 32);
        masm.pmuludq(a, b);
        masm.paddq(a, t);
        return true;
    }
    case Opcode::F32x4RelaxedMadd:
    case Opcode::F32x4RelaxedNmadd:
    case Opcode::F64x2RelaxedMadd:
    case Opcode::F64x2RelaxedNmadd: {
        // a * b + c (nmadd: c - a * b), rounded twice.
        bool is64 = op == Opcode::F64x2RelaxedMadd || op == Opcode::F64x2RelaxedNmadd;
        is64 ? masm.mulpd(a, b) : masm.mulps(a, b);
        if (op == Opcode::F32x4RelaxedNmadd || op == Opcode::F64x2RelaxedNmadd) {
            masm.movaps(s, r.c);
            is64 ? masm.subpd(s, a) : masm.subps(s, a);
            masm.movaps(a, s);
        } else {
            is64 ? masm.addpd(a, r.c) : masm.addps(a, r.c);
        }
        return true;
    }
    case Opcode::I32x4RelaxedDotI8x16I7x16AddS:
        masm.movaps(s, b);
        masm.pmaddubsw(s, a); // b's bytes unsigned, a's signed
        splat32(masm, a, 0x0001'0001, r.gpr);
        masm.pmaddwd(s, a);
        masm.movaps(a, s);
        masm.paddd(a, r.c);
        return true;
    default: return false;
    }
}

} // namespace

Opcode simd_deterministic(Opcode op)
{
    switch (op) {
    case Opcode::I8x16RelaxedSwizzle: return Opcode::I8x16Swizzle;
    case Opcode::I32x4RelaxedTruncF32x4S: return Opcode::I32x4TruncSatF32x4S;
    case Opcode::I32x4RelaxedTruncF32x4U: return Opcode::I32x4TruncSatF32x4U;
    case Opcode::I32x4RelaxedTruncF64x2SZero: return Opcode::I32x4TruncSatF64x2SZero;
    case Opcode::I32x4RelaxedTruncF64x2UZero: return Opcode::I32x4TruncSatF64x2UZero;
    case Opcode::I8x16RelaxedLaneselect:
    case Opcode::I16x8RelaxedLaneselect:
    case Opcode::I32x4RelaxedLaneselect:
    case Opcode::I64x2RelaxedLaneselect: return Opcode::V128Bitselect;
    case Opcode::F32x4RelaxedMin: return Opcode::F32x4Min;
    case Opcode::F32x4RelaxedMax: return Opcode::F32x4Max;
    case Opcode::F64x2RelaxedMin: return Opcode::F64x2Min;
    case Opcode::F64x2RelaxedMax: return Opcode::F64x2Max;
    case Opcode::I16x8RelaxedQ15mulrS: return Opcode::I16x8Q15mulrSatS;
    default: return op;
    }
}

bool simd_needs_scratch2(Opcode op)
{
    return op == Opcode::I8x16Popcnt || op == Opcode::I32x4TruncSatF32x4U || op == Opcode::I32x4TruncSatF64x2SZero
        || op == Opcode::I64x2Mul;
}

bool is_simd_lanewise(Opcode op)
{
    if (simple_binary(op) || swapped_binary(op) || simple_unary(op) || extend_high(op))
        return true;
    const OpcodeInfo& info = opcode_info(op);
    if (info.feature != Feature::Simd && info.feature != Feature::RelaxedSimd)
        return false;
    if (!info.has_signature || info.result_count != 1 || info.results[0] != SigType::V128 || info.param_count == 0
        || info.imm != ImmKind::None)
        return false;
    for (u32 k = 0; k < info.param_count; ++k) {
        if (info.params[k] != SigType::V128)
            return false;
    }
    return true;
}

void emit_simd_lanewise(Assembler& masm, Opcode op, const SimdRegs& regs)
{
    if (BinaryOp binary = simple_binary(op)) {
        (masm.*binary)(regs.dst, regs.b);
        return;
    }
    if (BinaryOp binary = swapped_binary(op)) {
        masm.movaps(regs.scratch, regs.b);
        (masm.*binary)(regs.scratch, regs.dst);
        masm.movaps(regs.dst, regs.scratch);
        return;
    }
    if (BinaryOp unary = simple_unary(op)) {
        (masm.*unary)(regs.dst, regs.dst);
        return;
    }
    if (BinaryOp unary = extend_high(op)) {
        masm.psrldq(regs.dst, 8);
        (masm.*unary)(regs.dst, regs.dst);
        return;
    }
    if (emit_unary_sequence(masm, op, regs))
        return;
    bool done = emit_binary_sequence(masm, op, regs);
    WK_ASSERT(done);
}

void emit_simd_shuffle(Assembler& masm, const u8 (&lanes)[16], Xmm dst, Xmm b, Xmm scratch, Xmm scratch2, Gpr gpr)
{
    // Each input picked with pshufb (0x80 zeroes a lane), the halves merged.
    u8 from_lhs[16];
    u8 from_rhs[16];
    for (u32 i = 0; i < 16; ++i) {
        u8 lane = lanes[i] & 31;
        from_lhs[i] = lane < 16 ? lane : 0x80;
        from_rhs[i] = lane >= 16 ? static_cast<u8>(lane - 16) : 0x80;
    }
    load_bytes(masm, scratch, from_lhs, gpr);
    masm.pshufb(dst, scratch);
    masm.movaps(scratch2, b);
    load_bytes(masm, scratch, from_rhs, gpr);
    masm.pshufb(scratch2, scratch);
    masm.por(dst, scratch2);
}

} // namespace wk::engine::x64
