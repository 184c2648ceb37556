#pragma once

// br_table dispatch through a jump table, shared by both tiers (docs/baseline-compiler.md,
// "Speculation"; docs/optimizing-compiler.md, "Lowering").

#include "base/span.h"
#include "engine/x64/abi/trap_stubs.h"
#include "engine/x64/assembler.h"

namespace wk::engine::x64::abi {

// A br_table whose compare tree would have more cases than this (the baseline counts
// entries, the optimising tier runs of equal targets) jumps through a table instead.
// NOTE: the table's jump goes through the retpoline thunk, which costs a mispredicted
// return on every dispatch (about 25-40 cycles): below this many cases a binary search
// of compares and conditional branches is faster, and needs no clamp (every target a
// misprediction can reach is one of the br_table's).
inline constexpr u32 kMaxCompareTreeCases = 64;

// Jumps to labels[targets[index]] when the 32-bit `index` is below `count`, else to
// labels[targets[count]] (the default; `targets` has count + 1 entries). Clobbers `index`
// (which must not be r11) and r11; the caller counts kRetpolineJumpBytes below its frame.
// The table is `count + 1` rel32 offsets from its own start, placed right after the jump,
// inside the code (read-only, and position-independent: the function may be placed
// anywhere). Spectre v1: past a mispredicted bounds branch the index is clamped to
// `count`, so the load reads the default's entry, never past the table.
void emit_jump_table(Assembler& masm, Gpr index, u32 count, LabelPool& labels, Span<const u32> targets,
                     u32 retpoline_symbol);

} // namespace wk::engine::x64::abi
