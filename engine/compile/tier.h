#pragma once

// The tier boundary (docs/optimizing-compiler.md, "Tier interface"): what the compile
// pipeline (compile_module) needs from a code generator, per function. Every tier
// assembles into the pipeline's one Assembler and records trap sites in its one trap
// table; the ABI they share (call layout, trampolines, relocation symbols) is in
// engine/x64/abi/.

#include <optional>

#include "base/format_sink.h"
#include "base/result.h"
#include "base/span.h"
#include "base/string_view.h"
#include "base/vector.h"
#include "engine/compile/code_object.h"

namespace wk::engine::compile {

enum class Tier : u8 {
    Baseline,  // engine/x64/baseline: single pass, every function
    Optimized, // engine/opt + the optimising back end; a function it cannot take falls back to the baseline
    // Every function starts in the baseline with tier-up counters; hot ones are compiled
    // by the optimising tier later and reached through their jump slots (tier_up.h).
    Tiered,
};

// "baseline", "optimized", "tiered": the spelling of `--tier`.
StringView tier_name(Tier);
std::optional<Tier> parse_tier(StringView);
// `--tier-threshold N`: a decimal in [1, 2^31 - 1].
std::optional<i32> parse_tier_threshold(StringView);

struct CompileOptions {
    Tier tier { Tier::Baseline };
    // With Tier::Optimized: write one line to `log` for each distinct reason a function
    // fell back to the baseline (the first function it happened to, and the reason).
    bool log_fallbacks { false };
    FormatSink* log { nullptr };
    // With Tier::Optimized: use only baseline x86-64 forms (SSE), even where the machine
    // has AVX, BMI or LZCNT (x64/cpu_features.h), so tests run both paths.
    bool baseline_isa { false };
    // With Tier::Tiered: calls plus loop iterations (each counts 1) a function runs in
    // the baseline before it is queued for the optimising tier; at least 1.
    i32 tier_up_threshold { 1000 };
    // With Tier::Tiered: compile and install a hot function on the thread that ran out of
    // budget, inside the builtin (deterministic, for tests), instead of on the background
    // compiler thread.
    bool tier_up_synchronous { false };
    // With Tier::Tiered, when the environment gives the engine no worker thread
    // (platform::start_worker fails): compile hot functions on the thread that ran out of
    // budget (true), or leave them in the baseline (false: the kernel, where that thread is
    // a process's, deep in wasm frames with only its host-call reserve of stack below).
    bool tier_up_inline_without_worker { true };
    // With Tier::Tiered: on-stack replacement at hot loop headers. Off, a hot loop makes its
    // function hot (optimised for its next call) and keeps running in the baseline.
    bool tier_up_osr { true };
    // Function-level ASLR: the defined functions are laid out in a random order in the
    // module's code (from platform::fill_entropy). Tests that compare layouts or code
    // turn it off: index order.
    bool deterministic_layout { false };
    // Function-level ASLR from this seed instead of platform entropy when not 0: the same
    // seed gives the same order (placement experiments; `wasmkern run --layout-seed`).
    u64 layout_seed { 0 };
    // Lazy compilation (docs/baseline-compiler.md, "Lazy compilation"), with Tier::Baseline
    // and Tier::Tiered: the module is validated whole as always, but each function is
    // compiled by the baseline at its first call, through its jump slot. Ignored with
    // Tier::Optimized.
    bool lazy { false };
};

// One tier's code generator for one module. NOTE: contract:
// - compile_function compiles defined function `function_index` (imports first in the
//   index space) into the shared assembler, which is empty on entry; `code_base` is
//   where that code will sit in the module's code (trap and handler offsets are module
//   offsets). Trap sites go straight into the shared trap table, in code order.
// - An error of ErrorKind::Unsupported means "not this function, not in this tier": the
//   pipeline then resets the assembler, drops the trap entries added since the call,
//   calls discard_function() and gives the function to the baseline. Any other error
//   fails the module.
// - discard_function() forgets what the failed call recorded in handlers() and
//   needed_array_trampolines().
// - handlers(): the try_table ranges of the functions compiled so far (module code
//   offsets). needed_array_trampolines(): per type index, whether the code calls that
//   type's wasm → array-call trampoline (empty, or one entry per type of the module).
class FunctionCompiler {
public:
    virtual Result<void> compile_function(u32 function_index, u32 code_base) = 0;
    virtual void discard_function() = 0;
    virtual Span<const HandlerEntry> handlers() const = 0;
    virtual Span<const bool> needed_array_trampolines() const = 0;
    // The stack maps of the call sites compiled so far (module code offsets, ascending:
    // in code order within each function, functions by their code_base) and the bitmaps
    // they index (platform.h, StackMapEntry). A tier that records none leaves its frames
    // without maps: no collection while one is live.
    virtual Span<const StackMapEntry> stack_maps() const { return {}; }
    virtual Span<const u32> stack_map_bits() const { return {}; }

protected:
    // Not deleted through this interface: the pipeline owns each tier by value.
    ~FunctionCompiler() = default;
};

// Merges `tier`'s stack maps into `maps` and appends its bitmaps to `bits` (bitmap indices
// moved past what `bits` held). `maps` and the tier's maps ascend by code offset, and so
// does the result, as LinkInput wants it (CodeObject::link refuses maps out of order).
Result<void> append_stack_maps(const FunctionCompiler& tier, Vector<StackMapEntry>& maps, Vector<u32>& bits);

// Sorts try_table ranges into the order of LinkInput (the unwinder's lookup): by start, and
// of nested ranges with one start the outer first, so the innermost range containing a pc
// is the last one that starts at or before it.
void sort_handlers(Span<HandlerEntry> handlers);

} // namespace wk::engine::compile
