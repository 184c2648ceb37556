#pragma once

// Code placement shared by every tier (docs/optimizing-compiler.md, "Code alignment").
// Without it a hot loop's position relative to the 32- and 64-byte boundaries the
// front end fetches and caches decoded instructions by changed with the function-level
// ASLR order, and so did its run time (matmul: two modes 50% apart).

#include "base/types.h"
#include "engine/x64/assembler.h"

namespace wk::engine::x64 {

// Every function's code starts at a multiple of this in its code object, whose memory
// is page-aligned: in the module's code (compile_module) and in the tier space
// (CodeObject::link_in_tier_space). A multiple of kLoopAlignment.
inline constexpr u32 kFunctionAlignment = 64;
// align_loop_header puts a header at least kLoopHeaderOffset bytes into its
// kLoopAlignment-byte line: in the second half of a 64-byte line, never at its start.
// NOTE: on the AMD Zen 5 this tier was measured on, a loop whose header's 64-byte line
// held 13 or more of its instructions ran from the decoders instead of the op cache,
// 1.5-1.8x slower (lu's and matmul's inner loops at 0 mod 64); in the second half the
// header's line holds at most 32 bytes of the loop (docs/optimizing-compiler.md, "Code
// alignment").
inline constexpr u32 kLoopAlignment = 64;
inline constexpr u32 kLoopHeaderOffset = 32;
static_assert(kFunctionAlignment % kLoopAlignment == 0 && kLoopHeaderOffset < kLoopAlignment);

// Pads with multi-byte NOPs, when the next instruction (a loop header the caller binds
// next) would start less than kLoopHeaderOffset bytes past a multiple of kLoopAlignment,
// up to that offset (at most kLoopHeaderOffset bytes). NOTE: contract: the assembler
// holds one function from offset 0, which is placed at a multiple of kFunctionAlignment.
// The padding sits in front of the header, so a back edge jumps past it; only a
// fall-through into the loop runs it, once per entry into the loop.
void align_loop_header(Assembler& masm);

// NOTE: the rule of thumb measured on that Zen 5 (docs/optimizing-compiler.md, "Code
// alignment"): a loop is fed by the decoders, not the op cache, when the 64-byte line
// holding its header holds this many of the instructions it runs on every iteration.
inline constexpr u32 kSlowLineInstructions = 13;

// The padding (0 to kLoopAlignment - 1 bytes of NOPs) to put before an innermost loop
// header that would start `phase` bytes into its kLoopAlignment-byte line, chosen from
// the loop as emitted once without it: `header_block_starts` are the offsets of the
// instructions of the header's block (ascending, relative to the header; what runs on
// every iteration before the block's branch), `loop_bytes` the loop's length from the
// header to the end of its last back edge. In order of preference: fewer than
// kSlowLineInstructions of those instructions in the header's line, then the fewest
// lines the loop touches, then the least padding.
u32 loop_header_padding(u32 phase, Span<const u32> header_block_starts, u32 loop_bytes);

} // namespace wk::engine::x64
