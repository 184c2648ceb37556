// SIMD and relaxed SIMD (v128 values live in xmm registers and 16-byte slots).
//
// What is here: v128.const, v128.load/store, the bitwise operations, lane-wise integer
// add/sub/mul and equality, f32x4/f64x2 add/sub/mul/div/sqrt, i32x4/i64x2 splat and
// extract_lane, v128.any_true. Everything else is "SIMD not implemented" until this
// group is completed (SSE4.1 is assumed, as for scalar rounding).

#include <initializer_list>

#include "engine/x64/baseline/baseline_compiler.h"

namespace wk::engine::x64::baseline {

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

// Operations computed as op(rhs, lhs) into the right operand's register.
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
    default: return nullptr;
    }
}

// One-operand operations, dst = op(src) in place.
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

} // namespace

void BaselineCompiler::load_v128_scratch(const u8 (&bytes)[16])
{
    u64 low;
    u64 high;
    __builtin_memcpy(&low, bytes, 8);
    __builtin_memcpy(&high, bytes + 8, 8);
    m_asm.mov(kScratch, static_cast<i64>(low), Size::Qword);
    m_asm.movq(kScratchXmm, kScratch);
    m_asm.mov(kScratch, static_cast<i64>(high), Size::Qword);
    m_asm.pinsrq(kScratchXmm, kScratch, 1);
}

// Relaxed SIMD: the deterministic choice is the non-relaxed instruction where one
// exists (swizzle, trunc_sat, bitselect, min/max, q15mulr_sat), unfused multiply-add,
// and x86's pmaddubsw reading of the i7 operand as unsigned bytes.
static Opcode deterministic_relaxed(Opcode op)
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

Result<void> BaselineCompiler::emit_simd(const Instruction& original)
{
    Instruction instruction = original;
    instruction.opcode = deterministic_relaxed(original.opcode);
    Opcode op = instruction.opcode;
    if (BinaryOp binary = simple_binary(op)) {
        u8 rhs = TRY(pop_reg(RegClass::Fpr));
        u8 lhs = TRY(pop_reg(RegClass::Fpr));
        (m_asm.*binary)(xmm(lhs), xmm(rhs));
        release(RegClass::Fpr, rhs);
        return push_reg(ValKind::V128, lhs);
    }
    if (BinaryOp binary = swapped_binary(op)) {
        u8 rhs = TRY(pop_reg(RegClass::Fpr));
        u8 lhs = TRY(pop_reg(RegClass::Fpr));
        (m_asm.*binary)(xmm(rhs), xmm(lhs));
        release(RegClass::Fpr, lhs);
        return push_reg(ValKind::V128, rhs);
    }
    if (BinaryOp unary = simple_unary(op)) {
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        (m_asm.*unary)(xmm(reg), xmm(reg));
        return push_reg(ValKind::V128, reg);
    }
    if (BinaryOp unary = extend_high(op)) {
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        m_asm.psrldq(xmm(reg), 8);
        (m_asm.*unary)(xmm(reg), xmm(reg));
        return push_reg(ValKind::V128, reg);
    }
    switch (op) {
    case Opcode::I8x16Ne:
    case Opcode::I16x8Ne:
    case Opcode::I32x4Ne:
    case Opcode::I64x2Ne: {
        u8 rhs = TRY(pop_reg(RegClass::Fpr));
        u8 lhs = TRY(pop_reg(RegClass::Fpr));
        if (op == Opcode::I8x16Ne)
            m_asm.pcmpeqb(xmm(lhs), xmm(rhs));
        else if (op == Opcode::I16x8Ne)
            m_asm.pcmpeqw(xmm(lhs), xmm(rhs));
        else if (op == Opcode::I32x4Ne)
            m_asm.pcmpeqd(xmm(lhs), xmm(rhs));
        else
            m_asm.pcmpeqq(xmm(lhs), xmm(rhs));
        m_asm.pcmpeqd(kScratchXmm, kScratchXmm);
        m_asm.pxor(xmm(lhs), kScratchXmm);
        release(RegClass::Fpr, rhs);
        return push_reg(ValKind::V128, lhs);
    }
    case Opcode::I8x16Neg:
    case Opcode::I16x8Neg:
    case Opcode::I32x4Neg:
    case Opcode::I64x2Neg: {
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        m_asm.pxor(kScratchXmm, kScratchXmm);
        if (op == Opcode::I8x16Neg)
            m_asm.psubb(kScratchXmm, xmm(reg));
        else if (op == Opcode::I16x8Neg)
            m_asm.psubw(kScratchXmm, xmm(reg));
        else if (op == Opcode::I32x4Neg)
            m_asm.psubd(kScratchXmm, xmm(reg));
        else
            m_asm.psubq(kScratchXmm, xmm(reg));
        m_asm.movaps(xmm(reg), kScratchXmm);
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::F32x4Abs:
    case Opcode::F32x4Neg:
    case Opcode::F64x2Abs:
    case Opcode::F64x2Neg: {
        // Sign masks from all-ones: pure bit operations, NaN payloads pass through.
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        m_asm.pcmpeqd(kScratchXmm, kScratchXmm);
        bool is64 = op == Opcode::F64x2Abs || op == Opcode::F64x2Neg;
        bool abs = op == Opcode::F32x4Abs || op == Opcode::F64x2Abs;
        if (abs) {
            is64 ? m_asm.psrlq(kScratchXmm, 1) : m_asm.psrld(kScratchXmm, 1);
            m_asm.andps(xmm(reg), kScratchXmm);
        } else {
            is64 ? m_asm.psllq(kScratchXmm, 63) : m_asm.pslld(kScratchXmm, 31);
            m_asm.xorps(xmm(reg), kScratchXmm);
        }
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::V128Bitselect: {
        u8 mask = TRY(pop_reg(RegClass::Fpr));
        u8 if_false = TRY(pop_reg(RegClass::Fpr));
        u8 if_true = TRY(pop_reg(RegClass::Fpr));
        m_asm.pand(xmm(if_true), xmm(mask));
        m_asm.pandn(xmm(mask), xmm(if_false));
        m_asm.por(xmm(if_true), xmm(mask));
        release(RegClass::Fpr, mask);
        release(RegClass::Fpr, if_false);
        return push_reg(ValKind::V128, if_true);
    }
    case Opcode::I8x16AllTrue:
    case Opcode::I16x8AllTrue:
    case Opcode::I32x4AllTrue:
    case Opcode::I64x2AllTrue: {
        // No lane equal to zero.
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        u8 result = TRY(allocate(RegClass::Gpr));
        m_asm.pxor(kScratchXmm, kScratchXmm);
        if (op == Opcode::I8x16AllTrue)
            m_asm.pcmpeqb(kScratchXmm, xmm(reg));
        else if (op == Opcode::I16x8AllTrue)
            m_asm.pcmpeqw(kScratchXmm, xmm(reg));
        else if (op == Opcode::I32x4AllTrue)
            m_asm.pcmpeqd(kScratchXmm, xmm(reg));
        else
            m_asm.pcmpeqq(kScratchXmm, xmm(reg));
        m_asm.ptest(kScratchXmm, kScratchXmm);
        m_asm.setcc(Condition::Equal, gpr(result));
        m_asm.movzx8(gpr(result), gpr(result), Size::Dword);
        release(RegClass::Fpr, reg);
        return push_reg(ValKind::I32, result);
    }
    case Opcode::I8x16Bitmask:
    case Opcode::I16x8Bitmask:
    case Opcode::I32x4Bitmask:
    case Opcode::I64x2Bitmask: {
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        u8 result = TRY(allocate(RegClass::Gpr));
        if (op == Opcode::I8x16Bitmask) {
            m_asm.pmovmskb(gpr(result), xmm(reg));
        } else if (op == Opcode::I16x8Bitmask) {
            m_asm.movaps(kScratchXmm, xmm(reg));
            m_asm.packsswb(kScratchXmm, kScratchXmm);
            m_asm.pmovmskb(gpr(result), kScratchXmm);
            m_asm.and_(gpr(result), 0xFF, Size::Dword);
        } else if (op == Opcode::I32x4Bitmask) {
            m_asm.movmskps(gpr(result), xmm(reg));
        } else {
            m_asm.movmskpd(gpr(result), xmm(reg));
        }
        release(RegClass::Fpr, reg);
        return push_reg(ValKind::I32, result);
    }
    case Opcode::F32x4Eq: case Opcode::F32x4Ne: case Opcode::F32x4Lt:
    case Opcode::F32x4Gt: case Opcode::F32x4Le: case Opcode::F32x4Ge:
    case Opcode::F64x2Eq: case Opcode::F64x2Ne: case Opcode::F64x2Lt:
    case Opcode::F64x2Gt: case Opcode::F64x2Le: case Opcode::F64x2Ge: {
        bool is64 = op >= Opcode::F64x2Eq;
        Opcode base = is64 ? static_cast<Opcode>(static_cast<u16>(op) - static_cast<u16>(Opcode::F64x2Eq) + static_cast<u16>(Opcode::F32x4Eq)) : op;
        u8 rhs = TRY(pop_reg(RegClass::Fpr));
        u8 lhs = TRY(pop_reg(RegClass::Fpr));
        // cmpps predicates: 0 eq, 1 lt, 2 le, 4 neq (unordered true). gt/ge swap.
        bool swap = base == Opcode::F32x4Gt || base == Opcode::F32x4Ge;
        u8 predicate = base == Opcode::F32x4Eq ? 0 : base == Opcode::F32x4Ne ? 4
            : (base == Opcode::F32x4Lt || base == Opcode::F32x4Gt) ? 1 : 2;
        u8 dst = swap ? rhs : lhs;
        u8 src = swap ? lhs : rhs;
        is64 ? m_asm.cmppd(xmm(dst), xmm(src), predicate) : m_asm.cmpps(xmm(dst), xmm(src), predicate);
        release(RegClass::Fpr, src);
        return push_reg(ValKind::V128, dst);
    }
    case Opcode::F32x4Ceil: case Opcode::F32x4Floor: case Opcode::F32x4Trunc: case Opcode::F32x4Nearest:
    case Opcode::F64x2Ceil: case Opcode::F64x2Floor: case Opcode::F64x2Trunc: case Opcode::F64x2Nearest: {
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        bool is64 = op == Opcode::F64x2Ceil || op == Opcode::F64x2Floor || op == Opcode::F64x2Trunc || op == Opcode::F64x2Nearest;
        u8 mode = (op == Opcode::F32x4Nearest || op == Opcode::F64x2Nearest) ? 0
            : (op == Opcode::F32x4Floor || op == Opcode::F64x2Floor)       ? 1
            : (op == Opcode::F32x4Ceil || op == Opcode::F64x2Ceil)         ? 2
                                                                           : 3;
        is64 ? m_asm.roundpd(xmm(reg), xmm(reg), mode | 8) : m_asm.roundps(xmm(reg), xmm(reg), mode | 8);
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::I16x8Shl: case Opcode::I16x8ShrS: case Opcode::I16x8ShrU:
    case Opcode::I32x4Shl: case Opcode::I32x4ShrS: case Opcode::I32x4ShrU:
    case Opcode::I64x2Shl: case Opcode::I64x2ShrU: {
        u8 count = TRY(pop_reg(RegClass::Gpr));
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        u32 bits = (op == Opcode::I16x8Shl || op == Opcode::I16x8ShrS || op == Opcode::I16x8ShrU) ? 16
            : (op == Opcode::I64x2Shl || op == Opcode::I64x2ShrU)                                 ? 64
                                                                                                   : 32;
        m_asm.and_(gpr(count), static_cast<i32>(bits - 1), Size::Dword);
        m_asm.movd(kScratchXmm, gpr(count));
        switch (op) {
        case Opcode::I16x8Shl: m_asm.psllw(xmm(reg), kScratchXmm); break;
        case Opcode::I16x8ShrS: m_asm.psraw(xmm(reg), kScratchXmm); break;
        case Opcode::I16x8ShrU: m_asm.psrlw(xmm(reg), kScratchXmm); break;
        case Opcode::I32x4Shl: m_asm.pslld(xmm(reg), kScratchXmm); break;
        case Opcode::I32x4ShrS: m_asm.psrad(xmm(reg), kScratchXmm); break;
        case Opcode::I32x4ShrU: m_asm.psrld(xmm(reg), kScratchXmm); break;
        case Opcode::I64x2Shl: m_asm.psllq(xmm(reg), kScratchXmm); break;
        default: m_asm.psrlq(xmm(reg), kScratchXmm); break;
        }
        release(RegClass::Gpr, count);
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::I8x16GtU: case Opcode::I8x16LtU: case Opcode::I8x16GeU: case Opcode::I8x16LeU:
    case Opcode::I16x8GtU: case Opcode::I16x8LtU: case Opcode::I16x8GeU: case Opcode::I16x8LeU:
    case Opcode::I32x4GtU: case Opcode::I32x4LtU: case Opcode::I32x4GeU: case Opcode::I32x4LeU:
    case Opcode::I8x16GeS: case Opcode::I8x16LeS: case Opcode::I16x8GeS: case Opcode::I16x8LeS:
    case Opcode::I32x4GeS: case Opcode::I32x4LeS: case Opcode::I64x2GeS: case Opcode::I64x2LeS: {
        // Unsigned: a >= b is max_u(a, b) == a, a <= b is min_u(a, b) == a; gt/lt are
        // their negations. Signed ge/le are the negations of lt/gt.
        u8 rhs = TRY(pop_reg(RegClass::Fpr));
        u8 lhs = TRY(pop_reg(RegClass::Fpr));
        Xmm a = xmm(lhs);
        Xmm b = xmm(rhs);
        auto one_of = [op](std::initializer_list<Opcode> ops) {
            for (Opcode candidate : ops) {
                if (candidate == op)
                    return true;
            }
            return false;
        };
        u32 width = one_of({ Opcode::I8x16GtU, Opcode::I8x16LtU, Opcode::I8x16GeU, Opcode::I8x16LeU, Opcode::I8x16GeS, Opcode::I8x16LeS }) ? 1
            : one_of({ Opcode::I16x8GtU, Opcode::I16x8LtU, Opcode::I16x8GeU, Opcode::I16x8LeU, Opcode::I16x8GeS, Opcode::I16x8LeS }) ? 2
            : one_of({ Opcode::I64x2GeS, Opcode::I64x2LeS }) ? 8
                                                           : 4;
        bool is_signed = op == Opcode::I8x16GeS || op == Opcode::I8x16LeS || op == Opcode::I16x8GeS || op == Opcode::I16x8LeS
            || op == Opcode::I32x4GeS || op == Opcode::I32x4LeS || op == Opcode::I64x2GeS || op == Opcode::I64x2LeS;
        bool negate = true;
        if (is_signed) {
            // ge_s(a, b) = !(b > a); le_s(a, b) = !(a > b).
            bool ge = op == Opcode::I8x16GeS || op == Opcode::I16x8GeS || op == Opcode::I32x4GeS || op == Opcode::I64x2GeS;
            if (ge) {
                m_asm.movaps(kScratchXmm, b);
                b = a;
                a = kScratchXmm;
            } else {
                m_asm.movaps(kScratchXmm, a);
                a = kScratchXmm;
            }
            switch (width) {
            case 1: m_asm.pcmpgtb(a, b); break;
            case 2: m_asm.pcmpgtw(a, b); break;
            case 4: m_asm.pcmpgtd(a, b); break;
            default: m_asm.pcmpgtq(a, b); break;
            }
            m_asm.movaps(xmm(lhs), kScratchXmm);
        } else {
            bool use_max = op == Opcode::I8x16GeU || op == Opcode::I16x8GeU || op == Opcode::I32x4GeU
                || op == Opcode::I8x16LtU || op == Opcode::I16x8LtU || op == Opcode::I32x4LtU;
            negate = op == Opcode::I8x16GtU || op == Opcode::I16x8GtU || op == Opcode::I32x4GtU
                || op == Opcode::I8x16LtU || op == Opcode::I16x8LtU || op == Opcode::I32x4LtU;
            m_asm.movaps(kScratchXmm, a);
            switch (width) {
            case 1: use_max ? m_asm.pmaxub(kScratchXmm, b) : m_asm.pminub(kScratchXmm, b); m_asm.pcmpeqb(a, kScratchXmm); break;
            case 2: use_max ? m_asm.pmaxuw(kScratchXmm, b) : m_asm.pminuw(kScratchXmm, b); m_asm.pcmpeqw(a, kScratchXmm); break;
            default: use_max ? m_asm.pmaxud(kScratchXmm, b) : m_asm.pminud(kScratchXmm, b); m_asm.pcmpeqd(a, kScratchXmm); break;
            }
        }
        if (negate) {
            m_asm.pcmpeqd(kScratchXmm, kScratchXmm);
            m_asm.pxor(xmm(lhs), kScratchXmm);
        }
        release(RegClass::Fpr, rhs);
        return push_reg(ValKind::V128, lhs);
    }
    case Opcode::I8x16Splat:
    case Opcode::I16x8Splat: {
        u8 source = TRY(pop_reg(RegClass::Gpr));
        u8 reg = TRY(allocate(RegClass::Fpr));
        m_asm.movd(xmm(reg), gpr(source));
        if (op == Opcode::I8x16Splat) {
            m_asm.pxor(kScratchXmm, kScratchXmm);
            m_asm.pshufb(xmm(reg), kScratchXmm);
        } else {
            m_asm.pshuflw(xmm(reg), xmm(reg), 0);
            m_asm.pshufd(xmm(reg), xmm(reg), 0);
        }
        release(RegClass::Gpr, source);
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::F32x4Splat:
    case Opcode::F64x2Splat: {
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        if (op == Opcode::F32x4Splat)
            m_asm.shufps(xmm(reg), xmm(reg), 0);
        else
            m_asm.unpcklpd(xmm(reg), xmm(reg));
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::I8x16ExtractLaneS:
    case Opcode::I8x16ExtractLaneU:
    case Opcode::I16x8ExtractLaneS:
    case Opcode::I16x8ExtractLaneU: {
        u8 source = TRY(pop_reg(RegClass::Fpr));
        u8 result = TRY(allocate(RegClass::Gpr));
        bool bytes = op == Opcode::I8x16ExtractLaneS || op == Opcode::I8x16ExtractLaneU;
        if (bytes)
            m_asm.pextrb(gpr(result), xmm(source), instruction.lane);
        else
            m_asm.pextrw(gpr(result), xmm(source), instruction.lane);
        if (op == Opcode::I8x16ExtractLaneS)
            m_asm.movsx8(gpr(result), gpr(result), Size::Dword);
        else if (op == Opcode::I16x8ExtractLaneS)
            m_asm.movsx16(gpr(result), gpr(result), Size::Dword);
        release(RegClass::Fpr, source);
        return push_reg(ValKind::I32, result);
    }
    case Opcode::F32x4ExtractLane:
    case Opcode::F64x2ExtractLane: {
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        if (op == Opcode::F32x4ExtractLane)
            m_asm.pshufd(xmm(reg), xmm(reg), instruction.lane);
        else if (instruction.lane == 1)
            m_asm.pshufd(xmm(reg), xmm(reg), 0xEE);
        return push_reg(op == Opcode::F32x4ExtractLane ? ValKind::F32 : ValKind::F64, reg);
    }
    case Opcode::I8x16ReplaceLane:
    case Opcode::I16x8ReplaceLane:
    case Opcode::I32x4ReplaceLane:
    case Opcode::I64x2ReplaceLane: {
        u8 value = TRY(pop_reg(RegClass::Gpr));
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        switch (op) {
        case Opcode::I8x16ReplaceLane: m_asm.pinsrb(xmm(reg), gpr(value), instruction.lane); break;
        case Opcode::I16x8ReplaceLane: m_asm.pinsrw(xmm(reg), gpr(value), instruction.lane); break;
        case Opcode::I32x4ReplaceLane: m_asm.pinsrd(xmm(reg), gpr(value), instruction.lane); break;
        default: m_asm.pinsrq(xmm(reg), gpr(value), instruction.lane); break;
        }
        release(RegClass::Gpr, value);
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::F32x4ReplaceLane:
    case Opcode::F64x2ReplaceLane: {
        u8 value = TRY(pop_reg(RegClass::Fpr));
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        if (op == Opcode::F32x4ReplaceLane)
            m_asm.insertps(xmm(reg), xmm(value), static_cast<u8>(instruction.lane << 4));
        else if (instruction.lane == 0)
            m_asm.movsd(xmm(reg), xmm(value));
        else
            m_asm.shufpd(xmm(reg), xmm(value), 0);
        release(RegClass::Fpr, value);
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::V128Load8x8S: case Opcode::V128Load8x8U: case Opcode::V128Load16x4S: case Opcode::V128Load16x4U:
    case Opcode::V128Load32x2S: case Opcode::V128Load32x2U: case Opcode::V128Load8Splat: case Opcode::V128Load16Splat:
    case Opcode::V128Load32Splat: case Opcode::V128Load64Splat: case Opcode::V128Load32Zero: case Opcode::V128Load64Zero: {
        u32 memory_index = instruction.memarg.memory;
        if (memory_index >= m_module.memories.size())
            return unsupported("memory instruction without a memory");
        u8 address = TRY(pop_reg(RegClass::Gpr));
        u8 reg = TRY(allocate(RegClass::Fpr));
        u32 bytes = (op == Opcode::V128Load8Splat) ? 1 : (op == Opcode::V128Load16Splat) ? 2
            : (op == Opcode::V128Load32Splat || op == Opcode::V128Load32Zero) ? 4 : 8;
        Mem operand = TRY(memory_operand(memory_index, instruction.memarg.offset, bytes, address));
        TRY(record_trap_here(TrapKind::MemoryOutOfBounds));
        switch (op) {
        case Opcode::V128Load8x8S: m_asm.pmovsxbw(xmm(reg), operand); break;
        case Opcode::V128Load8x8U: m_asm.pmovzxbw(xmm(reg), operand); break;
        case Opcode::V128Load16x4S: m_asm.pmovsxwd(xmm(reg), operand); break;
        case Opcode::V128Load16x4U: m_asm.pmovzxwd(xmm(reg), operand); break;
        case Opcode::V128Load32x2S: m_asm.pmovsxdq(xmm(reg), operand); break;
        case Opcode::V128Load32x2U: m_asm.pmovzxdq(xmm(reg), operand); break;
        case Opcode::V128Load32Zero: m_asm.movd(xmm(reg), operand); break;
        case Opcode::V128Load64Zero: m_asm.movq(xmm(reg), operand); break;
        // NOTE: the first instruction after record_trap_here must be the access.
        case Opcode::V128Load8Splat:
            m_asm.movzx8(kScratch, operand, Size::Dword);
            m_asm.movd(xmm(reg), kScratch);
            m_asm.pxor(kScratchXmm, kScratchXmm);
            m_asm.pshufb(xmm(reg), kScratchXmm);
            break;
        case Opcode::V128Load16Splat:
            m_asm.movzx16(kScratch, operand, Size::Dword);
            m_asm.movd(xmm(reg), kScratch);
            m_asm.pshuflw(xmm(reg), xmm(reg), 0);
            m_asm.pshufd(xmm(reg), xmm(reg), 0);
            break;
        case Opcode::V128Load32Splat:
            m_asm.movd(xmm(reg), operand);
            m_asm.pshufd(xmm(reg), xmm(reg), 0);
            break;
        default:
            m_asm.movq(xmm(reg), operand);
            m_asm.punpcklqdq(xmm(reg), xmm(reg));
            break;
        }
        release(RegClass::Gpr, address);
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::I8x16Swizzle: {
        // pshufb zeroes a lane whose index has bit 7 set: indices 16..255 saturate there.
        u8 index = TRY(pop_reg(RegClass::Fpr));
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        m_asm.mov(kScratch, 0x7070'7070, Size::Dword);
        m_asm.movd(kScratchXmm, kScratch);
        m_asm.pshufd(kScratchXmm, kScratchXmm, 0);
        m_asm.paddusb(kScratchXmm, xmm(index));
        m_asm.pshufb(xmm(reg), kScratchXmm);
        release(RegClass::Fpr, index);
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::I8x16Shl:
    case Opcode::I8x16ShrS:
    case Opcode::I8x16ShrU: {
        // No byte shifts in SSE: widen to words, shift, narrow back.
        u8 count = TRY(pop_reg(RegClass::Gpr));
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        u8 high = TRY(allocate(RegClass::Fpr));
        Xmm a = xmm(reg);
        Xmm t = xmm(high);
        m_asm.and_(gpr(count), 7, Size::Dword);
        m_asm.movaps(t, a);
        if (op == Opcode::I8x16ShrS) {
            m_asm.punpckhbw(t, t);
            m_asm.punpcklbw(a, a);
            m_asm.add(gpr(count), 8, Size::Dword);
            m_asm.movd(kScratchXmm, gpr(count));
            m_asm.psraw(t, kScratchXmm);
            m_asm.psraw(a, kScratchXmm);
            m_asm.packsswb(a, t);
        } else {
            m_asm.pxor(kScratchXmm, kScratchXmm);
            m_asm.punpckhbw(t, kScratchXmm);
            m_asm.punpcklbw(a, kScratchXmm);
            m_asm.movd(kScratchXmm, gpr(count));
            if (op == Opcode::I8x16Shl) {
                m_asm.psllw(t, kScratchXmm);
                m_asm.psllw(a, kScratchXmm);
                m_asm.pcmpeqw(kScratchXmm, kScratchXmm);
                m_asm.psrlw(kScratchXmm, 8);
                m_asm.pand(t, kScratchXmm);
                m_asm.pand(a, kScratchXmm);
            } else {
                m_asm.psrlw(t, kScratchXmm);
                m_asm.psrlw(a, kScratchXmm);
            }
            m_asm.packuswb(a, t);
        }
        release(RegClass::Fpr, high);
        release(RegClass::Gpr, count);
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::F32x4ConvertI32x4U: {
        // Exact halves: high 16 bits (halved, doubled back as a float) plus low 16 bits.
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        Xmm a = xmm(reg);
        m_asm.movaps(kScratchXmm, a);
        m_asm.pslld(kScratchXmm, 16);
        m_asm.psrld(kScratchXmm, 16);
        m_asm.psubd(a, kScratchXmm);
        m_asm.psrld(a, 1);
        m_asm.cvtdq2ps(a, a);
        m_asm.addps(a, a);
        m_asm.cvtdq2ps(kScratchXmm, kScratchXmm);
        m_asm.addps(a, kScratchXmm);
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::I64x2Abs: {
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        m_asm.pxor(kScratchXmm, kScratchXmm);
        m_asm.pcmpgtq(kScratchXmm, xmm(reg)); // lanes below zero
        m_asm.pxor(xmm(reg), kScratchXmm);
        m_asm.psubq(xmm(reg), kScratchXmm);
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::I32x4TruncSatF32x4S: {
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        Xmm a = xmm(reg);
        // NaN lanes to 0.
        m_asm.movaps(kScratchXmm, a);
        m_asm.cmpps(kScratchXmm, kScratchXmm, 0);
        m_asm.pand(a, kScratchXmm);
        // Top bit set where the input is >= 0.
        m_asm.pxor(kScratchXmm, a);
        m_asm.cvttps2dq(a, a);
        // Lanes that were >= 0 but came out negative overflowed: make them INT_MAX.
        m_asm.pand(kScratchXmm, a);
        m_asm.psrad(kScratchXmm, 31);
        m_asm.pxor(a, kScratchXmm);
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::F32x4Min:
    case Opcode::F64x2Min:
    case Opcode::F32x4Max:
    case Opcode::F64x2Max: {
        // minps/maxps return their second operand for NaNs and equal zeros: compute both
        // orders, merge (propagating -0/+0 and NaNs), then canonicalise NaN lanes.
        bool is64 = op == Opcode::F64x2Min || op == Opcode::F64x2Max;
        bool is_min = op == Opcode::F32x4Min || op == Opcode::F64x2Min;
        u8 rhs = TRY(pop_reg(RegClass::Fpr));
        u8 lhs = TRY(pop_reg(RegClass::Fpr));
        Xmm a = xmm(lhs);
        Xmm b = xmm(rhs);
        Xmm t = kScratchXmm;
        m_asm.movaps(t, b);
        if (is_min) {
            is64 ? m_asm.minpd(t, a) : m_asm.minps(t, a);
            is64 ? m_asm.minpd(a, b) : m_asm.minps(a, b);
            m_asm.orps(t, a);
            is64 ? m_asm.cmppd(a, t, 3) : m_asm.cmpps(a, t, 3);
            m_asm.orps(t, a);
        } else {
            is64 ? m_asm.maxpd(t, a) : m_asm.maxps(t, a);
            is64 ? m_asm.maxpd(a, b) : m_asm.maxps(a, b);
            m_asm.xorps(a, t);
            m_asm.orps(t, a);
            is64 ? m_asm.subpd(t, a) : m_asm.subps(t, a);
            is64 ? m_asm.cmppd(a, t, 3) : m_asm.cmpps(a, t, 3);
        }
        is64 ? m_asm.psrlq(a, 13) : m_asm.psrld(a, 10);
        m_asm.andnps(a, t);
        release(RegClass::Fpr, rhs);
        return push_reg(ValKind::V128, lhs);
    }
    case Opcode::I8x16Shuffle: {
        // Each input picked with pshufb (0x80 zeroes a lane), the halves merged.
        u8 rhs = TRY(pop_reg(RegClass::Fpr));
        u8 lhs = TRY(pop_reg(RegClass::Fpr));
        u8 from_lhs[16];
        u8 from_rhs[16];
        for (u32 i = 0; i < 16; ++i) {
            u8 lane = instruction.v128[i] & 31;
            from_lhs[i] = lane < 16 ? lane : 0x80;
            from_rhs[i] = lane >= 16 ? static_cast<u8>(lane - 16) : 0x80;
        }
        load_v128_scratch(from_lhs);
        m_asm.pshufb(xmm(lhs), kScratchXmm);
        load_v128_scratch(from_rhs);
        m_asm.pshufb(xmm(rhs), kScratchXmm);
        m_asm.por(xmm(lhs), xmm(rhs));
        release(RegClass::Fpr, rhs);
        return push_reg(ValKind::V128, lhs);
    }
    case Opcode::V128Load8Lane: case Opcode::V128Load16Lane: case Opcode::V128Load32Lane: case Opcode::V128Load64Lane:
    case Opcode::V128Store8Lane: case Opcode::V128Store16Lane: case Opcode::V128Store32Lane: case Opcode::V128Store64Lane: {
        u32 memory_index = instruction.memarg.memory;
        if (memory_index >= m_module.memories.size())
            return unsupported("memory instruction without a memory");
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        u8 address = TRY(pop_reg(RegClass::Gpr));
        bool is_load = op == Opcode::V128Load8Lane || op == Opcode::V128Load16Lane || op == Opcode::V128Load32Lane || op == Opcode::V128Load64Lane;
        u32 bytes = (op == Opcode::V128Load8Lane || op == Opcode::V128Store8Lane) ? 1
            : (op == Opcode::V128Load16Lane || op == Opcode::V128Store16Lane)   ? 2
            : (op == Opcode::V128Load32Lane || op == Opcode::V128Store32Lane)   ? 4
                                                                                 : 8;
        Mem operand = TRY(memory_operand(memory_index, instruction.memarg.offset, bytes, address));
        TRY(record_trap_here(TrapKind::MemoryOutOfBounds));
        u8 lane = instruction.lane;
        switch (bytes) {
        case 1: is_load ? m_asm.pinsrb(xmm(reg), operand, lane) : m_asm.pextrb(operand, xmm(reg), lane); break;
        case 2: is_load ? m_asm.pinsrw(xmm(reg), operand, lane) : m_asm.pextrw(operand, xmm(reg), lane); break;
        case 4: is_load ? m_asm.pinsrd(xmm(reg), operand, lane) : m_asm.pextrd(operand, xmm(reg), lane); break;
        default: is_load ? m_asm.pinsrq(xmm(reg), operand, lane) : m_asm.pextrq(operand, xmm(reg), lane); break;
        }
        release(RegClass::Gpr, address);
        if (is_load)
            return push_reg(ValKind::V128, reg);
        release(RegClass::Fpr, reg);
        return {};
    }
    case Opcode::I64x2Mul: {
        // lo*lo + ((hi_a*lo_b + lo_a*hi_b) << 32), from 32x32->64 multiplies.
        u8 rhs = TRY(pop_reg(RegClass::Fpr));
        u8 lhs = TRY(pop_reg(RegClass::Fpr));
        u8 temp = TRY(allocate(RegClass::Fpr));
        Xmm a = xmm(lhs);
        Xmm b = xmm(rhs);
        Xmm t = xmm(temp);
        m_asm.movaps(t, a);
        m_asm.psrlq(t, 32);
        m_asm.pmuludq(t, b);
        m_asm.movaps(kScratchXmm, b);
        m_asm.psrlq(kScratchXmm, 32);
        m_asm.pmuludq(kScratchXmm, a);
        m_asm.paddq(t, kScratchXmm);
        m_asm.psllq(t, 32);
        m_asm.pmuludq(a, b);
        m_asm.paddq(a, t);
        release(RegClass::Fpr, temp);
        release(RegClass::Fpr, rhs);
        return push_reg(ValKind::V128, lhs);
    }
    case Opcode::I64x2ShrS: {
        // sar(x, n) = srl(x ^ s, n) ^ s with s the sign mask of each lane.
        u8 count = TRY(pop_reg(RegClass::Gpr));
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        u8 sign = TRY(allocate(RegClass::Fpr));
        m_asm.pxor(xmm(sign), xmm(sign));
        m_asm.pcmpgtq(xmm(sign), xmm(reg));
        m_asm.pxor(xmm(reg), xmm(sign));
        m_asm.and_(gpr(count), 63, Size::Dword);
        m_asm.movd(kScratchXmm, gpr(count));
        m_asm.psrlq(xmm(reg), kScratchXmm);
        m_asm.pxor(xmm(reg), xmm(sign));
        release(RegClass::Fpr, sign);
        release(RegClass::Gpr, count);
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::I16x8ExtmulLowI8x16S: case Opcode::I16x8ExtmulHighI8x16S:
    case Opcode::I16x8ExtmulLowI8x16U: case Opcode::I16x8ExtmulHighI8x16U:
    case Opcode::I32x4ExtmulLowI16x8S: case Opcode::I32x4ExtmulHighI16x8S:
    case Opcode::I32x4ExtmulLowI16x8U: case Opcode::I32x4ExtmulHighI16x8U:
    case Opcode::I64x2ExtmulLowI32x4S: case Opcode::I64x2ExtmulHighI32x4S:
    case Opcode::I64x2ExtmulLowI32x4U: case Opcode::I64x2ExtmulHighI32x4U: {
        // Widen both halves, then multiply at the wider width.
        u8 rhs = TRY(pop_reg(RegClass::Fpr));
        u8 lhs = TRY(pop_reg(RegClass::Fpr));
        bool high = op == Opcode::I16x8ExtmulHighI8x16S || op == Opcode::I16x8ExtmulHighI8x16U || op == Opcode::I32x4ExtmulHighI16x8S
            || op == Opcode::I32x4ExtmulHighI16x8U || op == Opcode::I64x2ExtmulHighI32x4S || op == Opcode::I64x2ExtmulHighI32x4U;
        bool is_signed = op == Opcode::I16x8ExtmulLowI8x16S || op == Opcode::I16x8ExtmulHighI8x16S || op == Opcode::I32x4ExtmulLowI16x8S
            || op == Opcode::I32x4ExtmulHighI16x8S || op == Opcode::I64x2ExtmulLowI32x4S || op == Opcode::I64x2ExtmulHighI32x4S;
        u32 to = (op >= Opcode::I16x8ExtmulLowI8x16S && op <= Opcode::I16x8ExtmulHighI8x16U) ? 16
            : (op >= Opcode::I32x4ExtmulLowI16x8S && op <= Opcode::I32x4ExtmulHighI16x8U)   ? 32
                                                                                             : 64;
        for (u8 reg : { lhs, rhs }) {
            if (high)
                m_asm.psrldq(xmm(reg), 8);
            if (to == 16)
                is_signed ? m_asm.pmovsxbw(xmm(reg), xmm(reg)) : m_asm.pmovzxbw(xmm(reg), xmm(reg));
            else if (to == 32)
                is_signed ? m_asm.pmovsxwd(xmm(reg), xmm(reg)) : m_asm.pmovzxwd(xmm(reg), xmm(reg));
            else
                is_signed ? m_asm.pmovsxdq(xmm(reg), xmm(reg)) : m_asm.pmovzxdq(xmm(reg), xmm(reg));
        }
        if (to == 16)
            m_asm.pmullw(xmm(lhs), xmm(rhs));
        else if (to == 32)
            m_asm.pmulld(xmm(lhs), xmm(rhs));
        else
            is_signed ? m_asm.pmuldq(xmm(lhs), xmm(rhs)) : m_asm.pmuludq(xmm(lhs), xmm(rhs));
        release(RegClass::Fpr, rhs);
        return push_reg(ValKind::V128, lhs);
    }
    case Opcode::I16x8ExtaddPairwiseI8x16S:
    case Opcode::I16x8ExtaddPairwiseI8x16U:
    case Opcode::I32x4ExtaddPairwiseI16x8S:
    case Opcode::I32x4ExtaddPairwiseI16x8U: {
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        Xmm a = xmm(reg);
        if (op == Opcode::I16x8ExtaddPairwiseI8x16S || op == Opcode::I16x8ExtaddPairwiseI8x16U) {
            // pmaddubsw multiplies unsigned bytes (first operand) by signed bytes.
            m_asm.mov(kScratch, 0x0101'0101, Size::Dword);
            m_asm.movd(kScratchXmm, kScratch);
            m_asm.pshufd(kScratchXmm, kScratchXmm, 0);
            if (op == Opcode::I16x8ExtaddPairwiseI8x16S) {
                m_asm.pmaddubsw(kScratchXmm, a);
                m_asm.movaps(a, kScratchXmm);
            } else {
                m_asm.pmaddubsw(a, kScratchXmm);
            }
        } else {
            // Allocate before xmm15 holds anything: a spill may go through it.
            u8 bias = op == Opcode::I32x4ExtaddPairwiseI16x8U ? TRY(allocate(RegClass::Fpr)) : 0;
            m_asm.mov(kScratch, 0x0001'0001, Size::Dword);
            m_asm.movd(kScratchXmm, kScratch);
            m_asm.pshufd(kScratchXmm, kScratchXmm, 0);
            if (op == Opcode::I32x4ExtaddPairwiseI16x8U) {
                // Bias to signed, add pairs, unbias by 2 * 32768.
                m_asm.mov(kScratch, 0x8000'8000, Size::Dword);
                m_asm.movd(xmm(bias), kScratch);
                m_asm.pshufd(xmm(bias), xmm(bias), 0);
                m_asm.pxor(a, xmm(bias));
                m_asm.pmaddwd(a, kScratchXmm);
                m_asm.mov(kScratch, 0x0001'0000, Size::Dword);
                m_asm.movd(xmm(bias), kScratch);
                m_asm.pshufd(xmm(bias), xmm(bias), 0);
                m_asm.paddd(a, xmm(bias));
                release(RegClass::Fpr, bias);
            } else {
                m_asm.pmaddwd(a, kScratchXmm);
            }
        }
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::I16x8Q15mulrSatS: {
        // pmulhrsw overflows only for 0x8000 * 0x8000 (gives 0x8000): flip those to 0x7FFF.
        u8 rhs = TRY(pop_reg(RegClass::Fpr));
        u8 lhs = TRY(pop_reg(RegClass::Fpr));
        m_asm.pmulhrsw(xmm(lhs), xmm(rhs));
        m_asm.mov(kScratch, 0x8000'8000, Size::Dword);
        m_asm.movd(kScratchXmm, kScratch);
        m_asm.pshufd(kScratchXmm, kScratchXmm, 0);
        m_asm.pcmpeqw(kScratchXmm, xmm(lhs));
        m_asm.pxor(xmm(lhs), kScratchXmm);
        release(RegClass::Fpr, rhs);
        return push_reg(ValKind::V128, lhs);
    }
    case Opcode::I8x16Popcnt: {
        // Per-nibble lookup with pshufb.
        static constexpr u8 kNibbleCounts[16] = { 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4 };
        static constexpr u8 kLowNibbles[16] = { 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15 };
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        u8 high = TRY(allocate(RegClass::Fpr));
        u8 counts = TRY(allocate(RegClass::Fpr));
        Xmm a = xmm(reg);
        m_asm.movaps(xmm(high), a);
        m_asm.psrlw(xmm(high), 4);
        load_v128_scratch(kLowNibbles);
        m_asm.pand(a, kScratchXmm);
        m_asm.pand(xmm(high), kScratchXmm);
        load_v128_scratch(kNibbleCounts);
        m_asm.movaps(xmm(counts), kScratchXmm);
        m_asm.pshufb(xmm(counts), a);
        m_asm.pshufb(kScratchXmm, xmm(high));
        m_asm.paddb(xmm(counts), kScratchXmm);
        m_asm.movaps(a, xmm(counts));
        release(RegClass::Fpr, high);
        release(RegClass::Fpr, counts);
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::I32x4TruncSatF32x4U: {
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        u8 temp = TRY(allocate(RegClass::Fpr));
        Xmm a = xmm(reg);
        Xmm t = xmm(temp);
        // NaN and negative lanes to 0 (maxps returns its second operand for NaN).
        m_asm.xorps(kScratchXmm, kScratchXmm);
        m_asm.maxps(a, kScratchXmm);
        // 2^31 as float in every lane.
        m_asm.pcmpeqd(kScratchXmm, kScratchXmm);
        m_asm.psrld(kScratchXmm, 1);
        m_asm.cvtdq2ps(kScratchXmm, kScratchXmm);
        // t: the part at or above 2^31, converted; saturate lanes at or above 2^32.
        m_asm.movaps(t, a);
        m_asm.subps(t, kScratchXmm);
        m_asm.cmpps(kScratchXmm, t, 2); // 2^31 <= t: overflow
        m_asm.cvttps2dq(t, t);
        m_asm.pxor(t, kScratchXmm);
        m_asm.pxor(kScratchXmm, kScratchXmm);
        m_asm.pmaxsd(t, kScratchXmm);
        // Lanes from 2^31 convert to 0x80000000; adding t completes them.
        m_asm.cvttps2dq(a, a);
        m_asm.paddd(a, t);
        release(RegClass::Fpr, temp);
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::I32x4TruncSatF64x2SZero: {
        static constexpr u8 kMax[16] = { 0x00, 0x00, 0xC0, 0xFF, 0xFF, 0xFF, 0xDF, 0x41, 0x00, 0x00, 0xC0, 0xFF, 0xFF, 0xFF, 0xDF, 0x41 };
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        u8 temp = TRY(allocate(RegClass::Fpr));
        Xmm a = xmm(reg);
        // t = 2147483647.0 in non-NaN lanes, 0 in NaN lanes; min(a, t) clamps and
        // turns NaN into 0 (minpd returns its second operand for NaN).
        m_asm.movaps(xmm(temp), a);
        m_asm.cmppd(xmm(temp), a, 0);
        load_v128_scratch(kMax);
        m_asm.andps(xmm(temp), kScratchXmm);
        m_asm.minpd(a, xmm(temp));
        m_asm.cvttpd2dq(a, a);
        release(RegClass::Fpr, temp);
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::I32x4TruncSatF64x2UZero: {
        static constexpr u8 kMax[16] = { 0x00, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xEF, 0x41, 0x00, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xEF, 0x41 };
        static constexpr u8 kTwo52[16] = { 0, 0, 0, 0, 0, 0, 0x30, 0x43, 0, 0, 0, 0, 0, 0, 0x30, 0x43 };
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        Xmm a = xmm(reg);
        m_asm.xorpd(kScratchXmm, kScratchXmm);
        m_asm.maxpd(a, kScratchXmm); // NaN and negatives to 0
        load_v128_scratch(kMax);
        m_asm.minpd(a, kScratchXmm); // 4294967295.0 at most
        m_asm.roundpd(a, a, 3 | 8);
        // 2^52 + n has n in its low 32 bits.
        load_v128_scratch(kTwo52);
        m_asm.addpd(a, kScratchXmm);
        m_asm.xorps(kScratchXmm, kScratchXmm);
        m_asm.shufps(a, kScratchXmm, 0x88);
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::F64x2ConvertLowI32x4U: {
        // Each u32 n becomes the double 2^52 + n (exponent bits beside it), minus 2^52.
        static constexpr u8 kHigh[16] = { 0, 0, 0x30, 0x43, 0, 0, 0x30, 0x43, 0, 0, 0x30, 0x43, 0, 0, 0x30, 0x43 };
        static constexpr u8 kTwo52[16] = { 0, 0, 0, 0, 0, 0, 0x30, 0x43, 0, 0, 0, 0, 0, 0, 0x30, 0x43 };
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        Xmm a = xmm(reg);
        load_v128_scratch(kHigh);
        m_asm.unpcklps(a, kScratchXmm);
        load_v128_scratch(kTwo52);
        m_asm.subpd(a, kScratchXmm);
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::F32x4RelaxedMadd:
    case Opcode::F32x4RelaxedNmadd:
    case Opcode::F64x2RelaxedMadd:
    case Opcode::F64x2RelaxedNmadd: {
        // a * b + c (nmadd: c - a * b), rounded twice.
        bool is64 = op == Opcode::F64x2RelaxedMadd || op == Opcode::F64x2RelaxedNmadd;
        bool negate = op == Opcode::F32x4RelaxedNmadd || op == Opcode::F64x2RelaxedNmadd;
        u8 c = TRY(pop_reg(RegClass::Fpr));
        u8 b = TRY(pop_reg(RegClass::Fpr));
        u8 a = TRY(pop_reg(RegClass::Fpr));
        is64 ? m_asm.mulpd(xmm(a), xmm(b)) : m_asm.mulps(xmm(a), xmm(b));
        if (negate) {
            is64 ? m_asm.subpd(xmm(c), xmm(a)) : m_asm.subps(xmm(c), xmm(a));
            m_asm.movaps(xmm(a), xmm(c));
        } else {
            is64 ? m_asm.addpd(xmm(a), xmm(c)) : m_asm.addps(xmm(a), xmm(c));
        }
        release(RegClass::Fpr, b);
        release(RegClass::Fpr, c);
        return push_reg(ValKind::V128, a);
    }
    case Opcode::I16x8RelaxedDotI8x16I7x16S: {
        u8 rhs = TRY(pop_reg(RegClass::Fpr));
        u8 lhs = TRY(pop_reg(RegClass::Fpr));
        m_asm.pmaddubsw(xmm(rhs), xmm(lhs)); // rhs bytes unsigned, lhs bytes signed
        release(RegClass::Fpr, lhs);
        return push_reg(ValKind::V128, rhs);
    }
    case Opcode::I32x4RelaxedDotI8x16I7x16AddS: {
        u8 accumulator = TRY(pop_reg(RegClass::Fpr));
        u8 rhs = TRY(pop_reg(RegClass::Fpr));
        u8 lhs = TRY(pop_reg(RegClass::Fpr));
        m_asm.pmaddubsw(xmm(rhs), xmm(lhs));
        m_asm.mov(kScratch, 0x0001'0001, Size::Dword);
        m_asm.movd(kScratchXmm, kScratch);
        m_asm.pshufd(kScratchXmm, kScratchXmm, 0);
        m_asm.pmaddwd(xmm(rhs), kScratchXmm);
        m_asm.paddd(xmm(rhs), xmm(accumulator));
        release(RegClass::Fpr, lhs);
        release(RegClass::Fpr, accumulator);
        return push_reg(ValKind::V128, rhs);
    }
    case Opcode::V128Const: {
        u8 reg = TRY(allocate(RegClass::Fpr));
        u64 low;
        u64 high;
        __builtin_memcpy(&low, instruction.v128, 8);
        __builtin_memcpy(&high, instruction.v128 + 8, 8);
        if (low == 0 && high == 0) {
            m_asm.xorps(xmm(reg), xmm(reg));
        } else {
            m_asm.mov(kScratch, static_cast<i64>(low), Size::Qword);
            m_asm.movq(xmm(reg), kScratch);
            m_asm.mov(kScratch, static_cast<i64>(high), Size::Qword);
            m_asm.pinsrq(xmm(reg), kScratch, 1);
        }
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::V128Load:
    case Opcode::V128Store: {
        u32 memory_index = instruction.memarg.memory;
        if (memory_index >= m_module.memories.size())
            return unsupported("memory instruction without a memory");
        u8 value = 0;
        if (op == Opcode::V128Store)
            value = TRY(pop_reg(RegClass::Fpr));
        u8 address = TRY(pop_reg(RegClass::Gpr));
        if (op == Opcode::V128Load)
            value = TRY(allocate(RegClass::Fpr));
        Mem operand = TRY(memory_operand(memory_index, instruction.memarg.offset, 16, address));
        TRY(record_trap_here(TrapKind::MemoryOutOfBounds));
        if (op == Opcode::V128Load) {
            m_asm.movdqu(xmm(value), operand);
            release(RegClass::Gpr, address);
            return push_reg(ValKind::V128, value);
        }
        m_asm.movdqu(operand, xmm(value));
        release(RegClass::Gpr, address);
        release(RegClass::Fpr, value);
        return {};
    }
    case Opcode::V128Not: {
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        m_asm.pcmpeqd(kScratchXmm, kScratchXmm);
        m_asm.pxor(xmm(reg), kScratchXmm);
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::V128Andnot: {
        // a & ~b: pandn computes ~dst & src.
        u8 rhs = TRY(pop_reg(RegClass::Fpr));
        u8 lhs = TRY(pop_reg(RegClass::Fpr));
        m_asm.pandn(xmm(rhs), xmm(lhs));
        release(RegClass::Fpr, lhs);
        return push_reg(ValKind::V128, rhs);
    }
    case Opcode::V128AnyTrue: {
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        u8 result = TRY(allocate(RegClass::Gpr));
        m_asm.ptest(xmm(reg), xmm(reg));
        m_asm.setcc(Condition::NotEqual, gpr(result));
        m_asm.movzx8(gpr(result), gpr(result), Size::Dword);
        release(RegClass::Fpr, reg);
        return push_reg(ValKind::I32, result);
    }
    case Opcode::F32x4Sqrt:
    case Opcode::F64x2Sqrt: {
        u8 reg = TRY(pop_reg(RegClass::Fpr));
        if (op == Opcode::F32x4Sqrt)
            m_asm.sqrtps(xmm(reg), xmm(reg));
        else
            m_asm.sqrtpd(xmm(reg), xmm(reg));
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::I32x4Splat:
    case Opcode::I64x2Splat: {
        u8 source = TRY(pop_reg(RegClass::Gpr));
        u8 reg = TRY(allocate(RegClass::Fpr));
        if (op == Opcode::I32x4Splat) {
            m_asm.movd(xmm(reg), gpr(source));
            m_asm.pshufd(xmm(reg), xmm(reg), 0);
        } else {
            m_asm.movq(xmm(reg), gpr(source));
            m_asm.punpcklqdq(xmm(reg), xmm(reg));
        }
        release(RegClass::Gpr, source);
        return push_reg(ValKind::V128, reg);
    }
    case Opcode::I32x4ExtractLane:
    case Opcode::I64x2ExtractLane: {
        u8 source = TRY(pop_reg(RegClass::Fpr));
        u8 result = TRY(allocate(RegClass::Gpr));
        if (op == Opcode::I32x4ExtractLane)
            m_asm.pextrd(gpr(result), xmm(source), instruction.lane);
        else
            m_asm.pextrq(gpr(result), xmm(source), instruction.lane);
        release(RegClass::Fpr, source);
        return push_reg(op == Opcode::I32x4ExtractLane ? ValKind::I32 : ValKind::I64, result);
    }
    default:
        return unsupported("SIMD not implemented");
    }
}

} // namespace wk::engine::x64::baseline
