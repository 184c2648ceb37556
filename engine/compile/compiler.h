#pragma once

// The compile pipeline: every defined function of a validated module through the
// baseline compiler, the array-call entries and wasm → host trampolines, linked into
// one CodeObject whose entries are handed to the LoadedModule.

#include "base/ref_ptr.h"
#include "base/result.h"
#include "engine/compile/code_object.h"
#include "engine/runtime/loaded_module.h"

namespace wk::engine::compile {

struct CompileStatistics {
    u64 wasm_code_bytes { 0 }; // function bodies compiled
    u64 machine_code_bytes { 0 };
    u32 functions { 0 };
    u32 trap_sites { 0 };
    u32 optimized_functions { 0 };
};

// NOTE: temporary switch until the tier interface lands: compile with the optimising
// tier where it can (falling back to the baseline per function).
void set_default_optimized(bool optimized, void (*on_fallback)(const Error&, u32) = nullptr);

// Compiles and links `module` and sets its function entries. The returned CodeObject
// must outlive every instance of the module (NOTE: LoadedModule has no owner slot for
// it yet; CompiledModule below pairs them). Errors: Unsupported with a named reason
// ("SIMD not implemented", ...) and the byte offset of the instruction; OutOfMemory.
Result<RefPtr<CodeObject>> compile_module(runtime::LoadedModule& module, CompileStatistics* statistics = nullptr);

} // namespace wk::engine::compile
