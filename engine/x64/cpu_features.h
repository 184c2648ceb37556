#pragma once

// What the processor the code runs on offers beyond baseline x86-64 (SSE2 plus the
// SSE4.1 and POPCNT both tiers assume), read once with CPUID: the optimising tier picks
// instruction forms by it at load time (docs/optimizing-compiler.md, "Lowering").

#include "base/types.h"

namespace wk::engine::x64 {

struct CpuFeatures {
    bool avx { false };   // VEX-encoded three-operand SSE forms (CPUID and XCR0 both say so)
    bool bmi1 { false };  // andn, tzcnt
    bool bmi2 { false };  // shlx, sarx, shrx, rorx
    bool lzcnt { false };
};

// The machine's features (detected on first use; thread-safe: every caller computes the
// same answer).
CpuFeatures const& cpu_features();

} // namespace wk::engine::x64
