#pragma once

#include "base/types.h"

// The kernel's worker threads for the engine (engine/platform.h, "worker threads"): tier-up's
// background compiler. Each worker is a kernel thread of its own, scheduled like any other
// (round robin, the same 10 ms slice as process threads: a compile never keeps the CPU from a
// process for longer than a slice, and the console's short-burst turn applies), on a stack of
// kCompileWorkerStackBytes with an unmapped guard below it.
//
// NOTE: at most kMaxCompileWorkers exist at once (one per tiered module with a hot function,
// for as long as that module lives: its processes and its module-cache entry). Beyond that
// start_worker fails, and the module's hot functions stay in the baseline
// (docs/optimizing-compiler.md, "Tier-up in the kernel").
namespace wk::platform {

inline constexpr u32 kMaxCompileWorkers = 16;
inline constexpr u64 kCompileWorkerStackBytes = 256 * 1024;

struct CompileWorkerStatistics {
    u32 running { 0 };          // workers alive now
    u64 started { 0 };          // since boot
    u64 refused { 0 };          // start_worker calls that failed (limit or memory)
    u64 stack_high_water { 0 }; // most stack bytes a joined worker used
};

CompileWorkerStatistics compile_worker_statistics();

} // namespace wk::platform
