#pragma once

// The frame header, fixed registers and stack-check constants that every tier's compiled
// functions share (docs/engine-abi.md): the exception walk reads the caller's r14 at
// rbp - 8 of every wasm frame, so both tiers lay out the header alike.

#include "engine/x64/registers.h"

namespace wk::engine::x64::abi {

// [rbp - 8] caller's r14, [rbp - 16] caller's r15, [rbp - 24] results area pointer.
inline constexpr u32 kFrameHeader = 32;
inline constexpr i32 kSavedR14 = -8;
inline constexpr i32 kSavedR15 = -16;
inline constexpr i32 kResultsPointer = -24;
// Return address and saved rbp: what a wasm callee writes before its own check.
inline constexpr u32 kCalleeEntryBytes = 16;
// A call through the retpoline thunk: the return address and the thunk's own call.
inline constexpr u32 kRetpolineCallBytes = 16;
// A jump through it: the thunk's call.
inline constexpr u32 kRetpolineJumpBytes = 8;
inline constexpr Gpr kScratch = Gpr::r11;
inline constexpr Xmm kScratchXmm = Xmm::xmm15;
inline constexpr Gpr kVmctx = Gpr::r14;
inline constexpr Gpr kMemoryBase = Gpr::r15;

} // namespace wk::engine::x64::abi
