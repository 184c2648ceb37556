#pragma once

// Float instruction sequences shared by both tiers (docs/baseline-compiler.md, "Floats";
// docs/optimizing-compiler.md): each takes its operands in registers chosen by the
// caller, so the baseline's value stack and the optimising tier's allocator emit the
// same, tested, sequences. `is64` selects f64 (else f32) forms.

#include "engine/opcode.h"
#include "engine/x64/assembler.h"

namespace wk::engine::x64 {

inline constexpr u64 kFloatSign32 = 0x8000'0000u;
inline constexpr u64 kFloatSign64 = 0x8000'0000'0000'0000u;

// Puts a bit pattern into `dst` through the general register `scratch`.
void load_float_constant(Assembler& masm, bool is64, u64 bits, Xmm dst, Gpr scratch);

// result = (lhs op rhs) as 0 or 1, with the spec's NaN rules; `op` is one of f32.eq ..
// f32.ge or f64.eq .. f64.ge. `scratch` must differ from `result`.
void emit_float_compare(Assembler& masm, Opcode op, Gpr result, Xmm lhs, Xmm rhs, Gpr scratch);

// dst = min(dst, src) or max(dst, src): NaN in, NaN out; -0 < +0.
void emit_float_min_max(Assembler& masm, bool is64, bool is_min, Xmm dst, Xmm src);

// dst = copysign(dst, src); `src` is clobbered, `scratch` (≠ both) holds the mask.
void emit_float_copysign(Assembler& masm, bool is64, Xmm dst, Xmm src, Xmm scratch, Gpr gpr_scratch);

// dst = abs(dst) or neg(dst) (bit operations: NaN payloads pass through).
void emit_float_abs_neg(Assembler& masm, bool is64, bool is_abs, Xmm dst, Xmm scratch, Gpr gpr_scratch);

// f32/f64.convert_i32/i64_s/u: dst = float(source). `source` is clobbered for the
// unsigned 64-bit forms; `scratch` must differ from it.
void emit_int_to_float(Assembler& masm, Opcode op, Xmm dst, Gpr source, Gpr scratch);

// The trapping (i32.trunc_f32_s ..) and saturating (i32.trunc_sat_f32_s ..)
// float → integer conversions: result = trunc(source). `source` is clobbered by the
// unsigned 64-bit forms. Trapping forms jump to `invalid` (NaN) or `overflow`; the
// saturating ones ignore both labels (which may be null).
void emit_float_to_int(Assembler& masm, Opcode op, Gpr result, Xmm source, Xmm scratch, Gpr gpr_scratch,
                       Label* invalid, Label* overflow);

// Whether `op` is one of the float → integer conversions emit_float_to_int handles,
// and whether it can trap.
bool is_float_to_int(Opcode op);
bool is_trapping_float_to_int(Opcode op);

} // namespace wk::engine::x64
