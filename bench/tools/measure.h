#pragma once

// What the wk-bench subcommands share: a monotonic clock, medians, module files, and the
// imports a benchmark module may ask for.

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/ref_ptr.h"
#include "base/vector.h"
#include "engine/compile/tier.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/store.h"
#include "engine/wasi/wasi_context.h"
#include "hosted/wasi/posix_system.h"

namespace wk::bench {

using Arguments = std::vector<std::string_view>;

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// CLOCK_MONOTONIC in nanoseconds: wall time, as the benchmark programs measure theirs.
u64 now_ns();

// The median (the upper one of an even count) and the minimum; samples must not be empty.
u64 median(std::vector<u64> samples);
u64 minimum(const std::vector<u64>& samples);

// The whole file, or nothing after printing `PATH: cannot read: REASON` to stderr.
std::optional<std::string> read_file(const char* path);
Vector<u8> to_vector(std::string_view bytes);
// A text module encoded as a binary (for the built-in modules); aborts on a bad text.
std::string wat_module(std::string_view wat);

// Size of the code section (id 10), 0 without one: the numerator of MB/s, the same figure
// the harness takes for V8.
u64 code_section_bytes(std::string_view module);

// `WHAT: message (at byte offset N)` on stderr; returns kExitFailure.
int print_error(const char* what, const Error& error);

// A positive count argument, or `fallback` when absent; nothing when it is not a count.
std::optional<u64> parse_count(const Arguments& args, usize index, u64 fallback);

// Removes `--tier baseline|optimized` (or `--tier=NAME`) from `args` and sets
// options.tier (left as the baseline when absent). False after printing why to stderr:
// a missing or unknown tier name.
bool take_tier_option(Arguments& args, engine::compile::CompileOptions& options);

// A store and a linker holding wasi_snapshot_preview1 (a context without stdio or
// preopens: nothing here runs a program, modules only link against it) and `bench.nop`, a host function that does nothing: every module the
// benchmarks use links against it. bench.nop has both entries (host_function.h) when
// `nop_native_entry`, so compiled code calls it directly; otherwise only the array-call
// entry, reached through the wasm → host trampoline. Not movable: the linker's functions
// point at the context.
class BenchImports {
public:
    static Result<std::unique_ptr<BenchImports>> create(bool nop_native_entry = true);

    engine::runtime::Store& store() { return *m_store; }
    engine::runtime::Linker& linker() { return m_linker; }
    engine::wasi::WasiContext& wasi() { return m_context; }

private:
    BenchImports()
        : m_context(m_system)
    {
    }

    hosted::PosixWasiSystem m_system;
    engine::wasi::WasiContext m_context;
    RefPtr<engine::runtime::Store> m_store;
    engine::runtime::Linker m_linker;
};

} // namespace wk::bench
