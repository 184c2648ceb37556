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
// The boundary align_loop_header pads to.
inline constexpr u32 kLoopAlignment = 32;
static_assert(kFunctionAlignment % kLoopAlignment == 0);

// Pads with multi-byte NOPs so that the next instruction, a loop header the caller binds
// next, starts at a multiple of kLoopAlignment. NOTE: contract: the assembler holds one
// function from offset 0, which is placed at a multiple of kFunctionAlignment. The
// padding sits in front of the header, so a back edge jumps past it; only a fall-through
// into the loop runs it, once per entry into the loop.
void align_loop_header(Assembler& masm);

} // namespace wk::engine::x64
