#pragma once

// SIMD (v128) instruction sequences shared by both tiers (docs/baseline-compiler.md,
// docs/optimizing-compiler.md, "SIMD"): each takes its operands in registers chosen by
// the caller, so the baseline's value stack and the optimising tier's allocator emit
// the same, tested, sequences. SSE4.1 (and SSSE3's pshufb/pabs/pmaddubsw) is assumed,
// as for scalar rounding.
//
// Contract of every function here: `dst` holds the first v128 operand and receives the
// result (in place); the other operands are only read, and must be registers other than
// `dst` and the scratch registers; the scratch registers are clobbered.

#include "engine/opcode.h"
#include "engine/x64/assembler.h"

namespace wk::engine::x64 {

// Relaxed SIMD: the deterministic choice is the non-relaxed instruction where one
// exists (swizzle, trunc_sat, bitselect, min/max, q15mulr_sat); the rest keep their
// opcode (unfused multiply-add, x86's pmaddubsw reading of the i7 operand as unsigned).
Opcode simd_deterministic(Opcode op);

// Registers of a lane-wise operation: operands and result all v128.
struct SimdRegs {
    Xmm dst;      // the first operand, and the result
    Xmm b;        // the second operand (binary and ternary ops)
    Xmm c;        // the third operand (ternary ops)
    Xmm scratch;  // always clobbered
    Xmm scratch2; // clobbered by the ops simd_needs_scratch2 names; else unused
    Gpr gpr;      // clobbered (constants are built through it)
};

// Whether `op` (after simd_deterministic) is one emit_simd_lanewise takes, and whether
// it needs `scratch2`.
bool is_simd_lanewise(Opcode op);
bool simd_needs_scratch2(Opcode op);
// Emits a lane-wise op (is_simd_lanewise): dst = op(dst, b, c).
void emit_simd_lanewise(Assembler& masm, Opcode op, const SimdRegs& regs);

// i8x16.shuffle: dst = shuffle(dst, b) by the 16 lane indices.
void emit_simd_shuffle(Assembler& masm, const u8 (&lanes)[16], Xmm dst, Xmm b, Xmm scratch, Xmm scratch2, Gpr gpr);

// Shifts of every lane by an i32 count (i8x16.shl .. i64x2.shr_u): `count` is clobbered.
void emit_simd_shift(Assembler& masm, Opcode op, Xmm dst, Gpr count, Xmm scratch, Xmm scratch2);

// dst = the 16 bytes (low 8 bytes first), through `gpr`.
void load_simd_constant(Assembler& masm, Xmm dst, u64 low, u64 high, Gpr gpr);

// Splats: the integer forms read `source`, the float forms take their scalar already
// in `dst` (f32/f64 in the low lane).
void emit_simd_splat(Assembler& masm, Opcode op, Xmm dst, Gpr source, Xmm scratch);

// Integer lane extraction (i8x16 .. i64x2 extract_lane*): result = lane of source.
void emit_simd_extract_int(Assembler& masm, Opcode op, u8 lane, Gpr result, Xmm source);
// f32x4/f64x2.extract_lane: result (low lane) = lane of source; result may be source.
void emit_simd_extract_float(Assembler& masm, Opcode op, u8 lane, Xmm result, Xmm source);
// replace_lane: lane of dst = value (a Gpr for integer shapes, an Xmm for float ones).
void emit_simd_replace_int(Assembler& masm, Opcode op, u8 lane, Xmm dst, Gpr value);
void emit_simd_replace_float(Assembler& masm, Opcode op, u8 lane, Xmm dst, Xmm value);

// v128.any_true, *.all_true, *.bitmask: result (i32) from source.
void emit_simd_test(Assembler& masm, Opcode op, Gpr result, Xmm source, Xmm scratch);

// Loads other than v128.load and the lane loads (extending, splat, zero): dst from
// `operand`. NOTE: the first instruction emitted is the access (its trap site).
void emit_simd_load(Assembler& masm, Opcode op, Xmm dst, const Mem& operand, Xmm scratch, Gpr gpr);
// Lane loads and stores (v128.load8_lane .. v128.store64_lane): one instruction.
void emit_simd_lane_access(Assembler& masm, Opcode op, u8 lane, Xmm vector, const Mem& operand);

} // namespace wk::engine::x64
