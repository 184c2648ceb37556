// The optimising tier's second scratch registers, shared by its lowering files (the
// first ones are abi's kScratch and kScratchXmm, frame.h).
//
// NOTE: the allocator never hands these out (kAllocatableGprs and kAllocatableXmms,
// regalloc.h), so lowering code may clobber them between any two instructions.
#pragma once

#include "engine/x64/registers.h"

namespace wk::engine::x64::opt {

inline constexpr Gpr kScratch2 = Gpr::r10;
inline constexpr Xmm kScratchXmm2 = Xmm::xmm14;

} // namespace wk::engine::x64::opt
