#pragma once

// The compile pipeline: every defined function of a validated module through a tier
// (tier.h: the baseline, or the optimising tier with the baseline as its fallback), the
// array-call entries and wasm → host trampolines, linked into one CodeObject whose
// entries are handed to the LoadedModule.

#include "base/ref_ptr.h"
#include "base/result.h"
#include "engine/compile/code_object.h"
#include "engine/compile/tier.h"
#include "engine/runtime/loaded_module.h"

namespace wk::engine::compile {

struct CompileStatistics {
    u64 wasm_code_bytes { 0 }; // function bodies compiled
    u64 machine_code_bytes { 0 };
    u32 functions { 0 };
    u32 trap_sites { 0 };
    // With Tier::Optimized: functions the optimising tier compiled, and those it left to
    // the baseline (ErrorKind::Unsupported); together they are `functions`. With
    // Tier::Baseline both are 0.
    u32 optimized_functions { 0 };
    u32 baseline_fallbacks { 0 };
};

// Compiles and links `module` and sets its function entries. The returned CodeObject
// must outlive every instance of the module (NOTE: LoadedModule has no owner slot for
// it; CompiledModule in invoke.h pairs them). Errors: Unsupported with a named reason
// and the byte offset of an instruction no tier compiles; OutOfMemory.
// `options` pick the tier; a function the optimising tier refuses (Unsupported) is
// compiled by the baseline instead, and only the baseline's errors fail the module.
Result<RefPtr<CodeObject>> compile_module(runtime::LoadedModule& module, CompileStatistics* statistics = nullptr,
                                          const CompileOptions& options = {});

} // namespace wk::engine::compile
