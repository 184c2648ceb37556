// SIMD sequences shared by both tiers (simd_lowering.h): shifts, constants, splats,
// lane extraction and replacement, tests, and memory accesses. The lane-wise operations
// are in simd_lowering.cpp.

#include "engine/x64/simd_lowering.h"

namespace wk::engine::x64 {

void emit_simd_shift(Assembler& masm, Opcode op, Xmm dst, Gpr count, Xmm scratch, Xmm scratch2)
{
    Xmm a = dst;
    if (op == Opcode::I8x16Shl || op == Opcode::I8x16ShrS || op == Opcode::I8x16ShrU) {
        // No byte shifts in SSE: widen to words, shift, narrow back.
        Xmm t = scratch2;
        masm.and_(count, 7, Size::Dword);
        masm.movaps(t, a);
        if (op == Opcode::I8x16ShrS) {
            masm.punpckhbw(t, t);
            masm.punpcklbw(a, a);
            masm.add(count, 8, Size::Dword);
            masm.movd(scratch, count);
            masm.psraw(t, scratch);
            masm.psraw(a, scratch);
            masm.packsswb(a, t);
        } else {
            masm.pxor(scratch, scratch);
            masm.punpckhbw(t, scratch);
            masm.punpcklbw(a, scratch);
            masm.movd(scratch, count);
            if (op == Opcode::I8x16Shl) {
                masm.psllw(t, scratch);
                masm.psllw(a, scratch);
                masm.pcmpeqw(scratch, scratch);
                masm.psrlw(scratch, 8);
                masm.pand(t, scratch);
                masm.pand(a, scratch);
            } else {
                masm.psrlw(t, scratch);
                masm.psrlw(a, scratch);
            }
            masm.packuswb(a, t);
        }
        return;
    }
    if (op == Opcode::I64x2ShrS) {
        // sar(x, n) = srl(x ^ s, n) ^ s with s the sign mask of each lane.
        Xmm sign = scratch2;
        masm.pxor(sign, sign);
        masm.pcmpgtq(sign, a);
        masm.pxor(a, sign);
        masm.and_(count, 63, Size::Dword);
        masm.movd(scratch, count);
        masm.psrlq(a, scratch);
        masm.pxor(a, sign);
        return;
    }
    u32 bits = (op == Opcode::I16x8Shl || op == Opcode::I16x8ShrS || op == Opcode::I16x8ShrU) ? 16
        : (op == Opcode::I64x2Shl || op == Opcode::I64x2ShrU)                                 ? 64
                                                                                               : 32;
    masm.and_(count, static_cast<i32>(bits - 1), Size::Dword);
    masm.movd(scratch, count);
    switch (op) {
    case Opcode::I16x8Shl: masm.psllw(a, scratch); break;
    case Opcode::I16x8ShrS: masm.psraw(a, scratch); break;
    case Opcode::I16x8ShrU: masm.psrlw(a, scratch); break;
    case Opcode::I32x4Shl: masm.pslld(a, scratch); break;
    case Opcode::I32x4ShrS: masm.psrad(a, scratch); break;
    case Opcode::I32x4ShrU: masm.psrld(a, scratch); break;
    case Opcode::I64x2Shl: masm.psllq(a, scratch); break;
    default: masm.psrlq(a, scratch); break;
    }
}

void load_simd_constant(Assembler& masm, Xmm dst, u64 low, u64 high, Gpr gpr)
{
    if (low == 0 && high == 0) {
        masm.xorps(dst, dst);
        return;
    }
    masm.mov(gpr, static_cast<i64>(low), Size::Qword);
    masm.movq(dst, gpr);
    masm.mov(gpr, static_cast<i64>(high), Size::Qword);
    masm.pinsrq(dst, gpr, 1);
}

void emit_simd_splat(Assembler& masm, Opcode op, Xmm dst, Gpr source, Xmm scratch)
{
    switch (op) {
    case Opcode::I8x16Splat:
        masm.movd(dst, source);
        masm.pxor(scratch, scratch);
        masm.pshufb(dst, scratch);
        return;
    case Opcode::I16x8Splat:
        masm.movd(dst, source);
        masm.pshuflw(dst, dst, 0);
        masm.pshufd(dst, dst, 0);
        return;
    case Opcode::I32x4Splat:
        masm.movd(dst, source);
        masm.pshufd(dst, dst, 0);
        return;
    case Opcode::I64x2Splat:
        masm.movq(dst, source);
        masm.punpcklqdq(dst, dst);
        return;
    case Opcode::F32x4Splat: masm.shufps(dst, dst, 0); return;
    default: masm.unpcklpd(dst, dst); return; // F64x2Splat
    }
}

void emit_simd_extract_int(Assembler& masm, Opcode op, u8 lane, Gpr result, Xmm source)
{
    switch (op) {
    case Opcode::I8x16ExtractLaneS:
        masm.pextrb(result, source, lane);
        masm.movsx8(result, result, Size::Dword);
        return;
    case Opcode::I8x16ExtractLaneU: masm.pextrb(result, source, lane); return;
    case Opcode::I16x8ExtractLaneS:
        masm.pextrw(result, source, lane);
        masm.movsx16(result, result, Size::Dword);
        return;
    case Opcode::I16x8ExtractLaneU: masm.pextrw(result, source, lane); return;
    case Opcode::I32x4ExtractLane: masm.pextrd(result, source, lane); return;
    default: masm.pextrq(result, source, lane); return; // I64x2ExtractLane
    }
}

void emit_simd_extract_float(Assembler& masm, Opcode op, u8 lane, Xmm result, Xmm source)
{
    if (op == Opcode::F32x4ExtractLane)
        masm.pshufd(result, source, lane);
    else if (lane == 1)
        masm.pshufd(result, source, 0xEE);
    else if (result != source)
        masm.movaps(result, source);
}

void emit_simd_replace_int(Assembler& masm, Opcode op, u8 lane, Xmm dst, Gpr value)
{
    switch (op) {
    case Opcode::I8x16ReplaceLane: masm.pinsrb(dst, value, lane); return;
    case Opcode::I16x8ReplaceLane: masm.pinsrw(dst, value, lane); return;
    case Opcode::I32x4ReplaceLane: masm.pinsrd(dst, value, lane); return;
    default: masm.pinsrq(dst, value, lane); return; // I64x2ReplaceLane
    }
}

void emit_simd_replace_float(Assembler& masm, Opcode op, u8 lane, Xmm dst, Xmm value)
{
    if (op == Opcode::F32x4ReplaceLane)
        masm.insertps(dst, value, static_cast<u8>(lane << 4));
    else if (lane == 0)
        masm.movsd(dst, value);
    else
        masm.shufpd(dst, value, 0);
}

void emit_simd_test(Assembler& masm, Opcode op, Gpr result, Xmm source, Xmm scratch)
{
    switch (op) {
    case Opcode::V128AnyTrue:
        masm.ptest(source, source);
        masm.setcc(Condition::NotEqual, result);
        masm.movzx8(result, result, Size::Dword);
        return;
    case Opcode::I8x16AllTrue:
    case Opcode::I16x8AllTrue:
    case Opcode::I32x4AllTrue:
    case Opcode::I64x2AllTrue:
        // No lane equal to zero.
        masm.pxor(scratch, scratch);
        if (op == Opcode::I8x16AllTrue)
            masm.pcmpeqb(scratch, source);
        else if (op == Opcode::I16x8AllTrue)
            masm.pcmpeqw(scratch, source);
        else if (op == Opcode::I32x4AllTrue)
            masm.pcmpeqd(scratch, source);
        else
            masm.pcmpeqq(scratch, source);
        masm.ptest(scratch, scratch);
        masm.setcc(Condition::Equal, result);
        masm.movzx8(result, result, Size::Dword);
        return;
    case Opcode::I8x16Bitmask: masm.pmovmskb(result, source); return;
    case Opcode::I16x8Bitmask:
        masm.movaps(scratch, source);
        masm.packsswb(scratch, scratch);
        masm.pmovmskb(result, scratch);
        masm.and_(result, 0xFF, Size::Dword);
        return;
    case Opcode::I32x4Bitmask: masm.movmskps(result, source); return;
    default: masm.movmskpd(result, source); return; // I64x2Bitmask
    }
}

void emit_simd_load(Assembler& masm, Opcode op, Xmm dst, const Mem& operand, Xmm scratch, Gpr gpr)
{
    switch (op) {
    case Opcode::V128Load: masm.movdqu(dst, operand); return;
    case Opcode::V128Load8x8S: masm.pmovsxbw(dst, operand); return;
    case Opcode::V128Load8x8U: masm.pmovzxbw(dst, operand); return;
    case Opcode::V128Load16x4S: masm.pmovsxwd(dst, operand); return;
    case Opcode::V128Load16x4U: masm.pmovzxwd(dst, operand); return;
    case Opcode::V128Load32x2S: masm.pmovsxdq(dst, operand); return;
    case Opcode::V128Load32x2U: masm.pmovzxdq(dst, operand); return;
    case Opcode::V128Load32Zero: masm.movd(dst, operand); return;
    case Opcode::V128Load64Zero: masm.movq(dst, operand); return;
    case Opcode::V128Load8Splat:
        masm.movzx8(gpr, operand, Size::Dword);
        masm.movd(dst, gpr);
        masm.pxor(scratch, scratch);
        masm.pshufb(dst, scratch);
        return;
    case Opcode::V128Load16Splat:
        masm.movzx16(gpr, operand, Size::Dword);
        masm.movd(dst, gpr);
        masm.pshuflw(dst, dst, 0);
        masm.pshufd(dst, dst, 0);
        return;
    case Opcode::V128Load32Splat:
        masm.movd(dst, operand);
        masm.pshufd(dst, dst, 0);
        return;
    default: // V128Load64Splat
        masm.movq(dst, operand);
        masm.punpcklqdq(dst, dst);
        return;
    }
}

void emit_simd_lane_access(Assembler& masm, Opcode op, u8 lane, Xmm vector, const Mem& operand)
{
    switch (op) {
    case Opcode::V128Load8Lane: masm.pinsrb(vector, operand, lane); return;
    case Opcode::V128Load16Lane: masm.pinsrw(vector, operand, lane); return;
    case Opcode::V128Load32Lane: masm.pinsrd(vector, operand, lane); return;
    case Opcode::V128Load64Lane: masm.pinsrq(vector, operand, lane); return;
    case Opcode::V128Store8Lane: masm.pextrb(operand, vector, lane); return;
    case Opcode::V128Store16Lane: masm.pextrw(operand, vector, lane); return;
    case Opcode::V128Store32Lane: masm.pextrd(operand, vector, lane); return;
    default: masm.pextrq(operand, vector, lane); return; // V128Store64Lane
    }
}

} // namespace wk::engine::x64
