#pragma once

// A compiled module, and calls into it from the host (the spec runner, `wasmkern run --invoke`).
// A CompiledModule pairs a LoadedModule with its code; keep it alive as long as
// any store holds an instance of it.

#include <optional>

#include "base/ref_ptr.h"
#include "base/result.h"
#include "base/span.h"
#include "base/string_view.h"
#include "base/vector.h"
#include "engine/compile/code_object.h"
#include "engine/compile/compiler.h"
#include "engine/runtime/global.h"
#include "engine/runtime/instance.h"
#include "engine/runtime/memory.h"
#include "engine/runtime/table.h"
#include "engine/runtime/loaded_module.h"
#include "engine/runtime/store.h"
#include "engine/runtime/trap.h"

namespace wk::engine::compile {

struct CompiledModule {
    RefPtr<runtime::LoadedModule> module;
    RefPtr<CodeObject> code;
};

// Decodes, validates and compiles a binary module.
Result<CompiledModule> load_and_compile(Vector<u8>&& wasm, CompileStatistics* statistics = nullptr);
// The same with the front end's `features` (a spec script's, say).
Result<CompiledModule> load_and_compile(Vector<u8>&& wasm, Features const& features,
                                        CompileStatistics* statistics = nullptr);
// The same with the tier and its options (tier.h).
Result<CompiledModule> load_and_compile(Vector<u8>&& wasm, Features const& features, const CompileOptions& options,
                                        CompileStatistics* statistics = nullptr);

struct CallOutcome {
    Vector<runtime::VMVal> results; // empty after a trap
    std::optional<TrapInfo> trap;
    // Function indices (in their own modules) of the wasm frames at the trap, innermost
    // first, from the fault handler's record (TrapInfo::frames).
    Vector<u32> backtrace;
};

// Calls `function` (a funcref of `store`) with `arguments` (one per parameter, VMVal
// encoding) through runtime::invoke. Fails with ErrorKind::Invalid on an argument count
// mismatch, Unsupported for a function without code; a trap is an outcome, not an error.
Result<CallOutcome> invoke(runtime::Store& store, const runtime::VMFuncRef& function,
                             Span<const runtime::VMVal> arguments);
// The same for an exported function of `instance`, by name ("unknown export").
Result<CallOutcome> invoke_export(runtime::Instance& instance, StringView name, Span<const runtime::VMVal> arguments);

// The function index of each pc of a trap's backtrace whose code object is alive.
Result<void> map_backtrace(const TrapInfo& trap, Vector<u32>& functions);

} // namespace wk::engine::compile
