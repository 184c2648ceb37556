#pragma once

// Integer sequences shared by both tiers (as float_lowering.h for floats).

#include "engine/x64/assembler.h"

namespace wk::engine::x64 {

// i32/i64.div_s and rem_s up to the idiv: rax holds the dividend and the flags are those of
// `cmp divisor, -1`. A divisor of -1 makes rem 0 (rdx = 0, then a jump to `done`) and div of
// INT_MIN a jump to `overflow` (the hardware would raise the same #DE as for a zero divisor,
// so the trap kinds could not be told apart); otherwise rdx gets the sign of rax, ready for
// the idiv, whose own #DE (a zero divisor) is the caller's trap site.
void emit_signed_division_guard(Assembler& masm, bool wide, bool is_rem, Label& done, Label& overflow, Gpr scratch);

} // namespace wk::engine::x64
