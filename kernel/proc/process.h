#pragma once

#include "base/format_sink.h"
#include "base/span.h"
#include "base/string_view.h"
#include "base/types.h"
#include "engine/compile/tier.h"
#include "engine/wasi/wasi_types.h"
#include "kernel/arch/x86_64/interrupts.h"

namespace wk::kernel::sys {
class KernelWasiSystem;
}
namespace wk::kernel::object {
class KernelObject;
}

// Processes (docs/process-abi.md): a process is a wasm instance of a command module plus
// what it owns — its store (memories, tables, host functions), its WASI context and system
// (descriptors), a kernel thread with its own stack, and a reference to the compiled module
// (shared through the module cache). The process thread instantiates the module, runs
// `_start`, then frees all of it before it reports its exit status.
//
// Lifetime: a process stays in the table from spawn until its parent waits for it (or, for
// an orphan, until it has exited and is reaped). Table operations run with interrupts off
// (one CPU); nothing here sleeps with them off except through the scheduler.
namespace wk::kernel::proc {

enum class ProcessState : u32 { Running = 0, Blocked = 1, Exited = 2 };

// At most this many processes exist at once (waited-for processes leave the table);
// spawn beyond is Errno::Again.
inline constexpr u32 kMaxProcesses = 64;
// Exit statuses the kernel gives (as a shell shows signals: 128 + SIGKILL; a trap ends with
// engine::wasi::kTrapExitStatus, 128 + SIGABRT).
inline constexpr u32 kKilledStatus = 137;
// Ended by Ctrl-C (the shell's interrupt through wasmkern.interrupt): 128 + SIGINT.
inline constexpr u32 kInterruptedStatus = 130;
// The module was loaded and compiled but could not be instantiated (unknown import, a
// memory beyond the limits, a trapping start function); the reason goes to its stderr.
inline constexpr u32 kInstantiateFailedStatus = 127;
// Bytes of argv and environment strings (each counted with its NUL) one spawn may copy
// into the new process; beyond is Errno::TooBig (E2BIG), before anything is loaded.
inline constexpr u64 kMaxSpawnArgumentBytes = 256 * 1024;
// Stack a process's wasm frames may use (docs/process-abi.md, "Stack"): chosen at spawn
// within [kMinStackBytes, kMaxStackBytes] (rounded up to a page), kDefaultStackBytes unless
// the spawner asks. It is mapped as it grows (kernel/proc/process_stack.h); the host-call
// reserve and the pages its thread uses outside wasm come on top.
inline constexpr u64 kDefaultStackBytes = u64 { 8 } << 20;
inline constexpr u64 kMinStackBytes = u64 { 64 } << 10;
inline constexpr u64 kMaxStackBytes = u64 { 256 } << 20;

// Where a child's descriptor 0, 1 or 2 comes from: a descriptor of the parent's WASI
// system (`system` non-null), the serial console, or (`null`) an empty input / a sink.
struct StdioSource {
    sys::KernelWasiSystem* system { nullptr };
    i64 handle { -1 };
    bool null { false };
};

// A handle the new process starts with (docs/process-abi.md, "Handles"): a reference to
// `object` with `rights`. The spawner keeps its own reference for the duration of spawn.
struct HandleGrant {
    object::KernelObject* object { nullptr };
    u32 rights { 0 };
};
// At most this many handles are handed to a child at spawn.
inline constexpr u32 kMaxSpawnHandles = 64;

struct SpawnRequest {
    StringView path;                 // resolved from the root of the file system
    Span<const StringView> arguments; // argv[0] first
    Span<const StringView> environment; // "KEY=VALUE"
    StdioSource stdio[3];
    // 0: the kernel, which waits by pid (proc::wait); a process's children are reached
    // through process objects (process_object.h) and become orphans when the last goes.
    u32 parent_pid { 0 };
    // Handles the child finds in its table (wasmkern.handles); at most kMaxSpawnHandles.
    Span<const HandleGrant> handles;
    // Where decoder and validator errors are described (the caller's stderr).
    FormatSink* diagnostics { nullptr };
    // Bytes of stack for wasm frames; outside [kMinStackBytes, kMaxStackBytes] is Inval.
    u64 stack_bytes { kDefaultStackBytes };
    // Non-zero: the child gets a socket listening on this TCP port of the kernel's stack at
    // the descriptor after the preopened "/" (wasmtime's --tcplisten; docs/networking.md).
    u16 tcp_listen_port { 0 };
};
// Connections a --tcplisten socket holds before they are accepted (the stack has 48 in all):
// enough for 32 clients connecting at once (`ab -c 32`).
inline constexpr u16 kTcpListenBacklog = 32;

// Loads (or finds in the module cache), validates and compiles the module at `path`, and
// starts a process running its `_start`. Errors: NoEnt (no such file), NoExec (not a
// regular file, or a malformed, invalid or unlinkable module: the reason goes to `diagnostics`),
// NotSup (a valid module beyond what the compiler handles, such as its size limit),
// Again (kMaxProcesses reached), Inval (stack_bytes out of range), for tcp_listen_port NetDown
// (no network), AddrInUse (listened on already) and NFile (the stack's listeners in use), TooBig (argv and environment beyond
// kMaxSpawnArgumentBytes), NoMem (also: compiling the module would need more memory than
// the process may use, see compile_estimate), BadF (a stdio source that is not open), and
// the file system's errors for the path (NotDir, Loop, NameTooLong).
engine::wasi::Expected<u32> spawn(const SpawnRequest&);

// Blocks until the process `pid`, a child of `caller_pid`, has exited; returns its status
// and removes it from the table. Child when there is no such child (or another waiter
// took it), Intr when the waiting thread is being killed.
engine::wasi::Expected<u32> wait(u32 pid, u32 caller_pid);
// The same, and while the child runs calls `interrupted` about every millisecond (with
// interrupts off; it must not block): once it returns true the wait ends with Canceled and
// the child runs on (wasmkern.wait_console, docs/process-abi.md "Ctrl-C").
engine::wasi::Expected<u32> wait_watching(u32 pid, u32 caller_pid, bool (*interrupted)());

// wait_watching for a holder of a process handle with the wait right: any process may wait,
// the handle is its authority (the parent check of wait() is the kernel's own).
engine::wasi::Expected<u32> wait_handle(u32 pid, bool (*interrupted)());

// Process references held by process objects (process_object.h). add: false when `pid` is
// not in the table. drop: the last reference gone, a process not started by the kernel becomes
// an orphan (reaped once it has exited).
bool add_process_reference(u32 pid);
void drop_process_reference(u32 pid);

// Marks `pid` to die: its blocking calls return, its long calls stop at their next step, the
// native entry of its WASI or wasmkern call unwinds it once the call returned, and the timer
// ends its wasm code at the next tick (no check is compiled into wasm). It then exits with
// `status` (kKilledStatus, or kInterruptedStatus for Ctrl-C), freeing everything it owns;
// the status of the first kill stays. Srch for an unknown pid; Success for one that already
// exited.
engine::wasi::Errno kill(u32 pid, u32 status = kKilledStatus);

struct ProcessInfo {
    u32 pid { 0 };
    u32 parent_pid { 0 };
    ProcessState state { ProcessState::Running };
    u64 memory_bytes { 0 }; // the memory budget used: committed linear memory and table storage
    u64 cpu_ns { 0 };       // on the CPU, measured at context switches
    char name[32] {};       // NUL-padded
};

// Copies up to `out.size()` records (in pid order); returns how many processes exist.
usize list(Span<ProcessInfo> out);
// The record of one process; false when it is not in the table.
bool inspect(u32 pid, ProcessInfo& out);

// The pid of the process running on the calling thread, 0 for a kernel thread.
u32 current_pid();
// The WASI system of the calling process (for wasmkern spawn's stdio), or nullptr.
sys::KernelWasiSystem* current_system();

// How spawn compiles modules (docs/optimizing-compiler.md, "Tier-up in the kernel"): the tier,
// the tier-up threshold and on-stack replacement, set once at boot from the command line
// (`tier=baseline|optimized|tiered`, `tier-threshold=N`, `tier-osr=on|off`; default tiered,
// 1000, on), and lazy compilation (`compile=lazy|eager`, default lazy: each function is
// compiled by the baseline at its first call, on the calling thread). Tier-up never compiles
// on a process's own thread in the kernel: hot functions go to a compile worker or stay in
// the baseline.
void set_compile_options(engine::compile::Tier tier, i32 threshold, bool osr, bool lazy);
engine::compile::CompileOptions compile_options();

// Drops every compiled module from the cache (console `cache drop`, for memory checks).
void drop_module_cache();
// The root file system's observer: the file with this inode number changed or lost a name,
// so a compiled module cached from it leaves the cache. Safe under the file-system lock.
void forget_cached_module(u64 inode);
// Cache statistics for the console.
struct CacheStatistics {
    usize entries { 0 };
    u64 bytes { 0 }; // module bytes and code the entries keep alive
    u64 hits { 0 };
    u64 misses { 0 };
    // Tier-up of the cached modules, summed (engine::compile::TierUpCounts).
    u64 tiered_up { 0 };
    u64 tier_refused { 0 };
    u64 osr_compiled { 0 };
    u64 osr_entered { 0 };
    u64 tier_space_bytes { 0 }; // tier-space pages committed for their optimised code
};
CacheStatistics module_cache_statistics();
// Whether no cached module has a tier-up compile queued or running (console `cache idle`).
bool module_cache_tier_up_idle();

// The timer tick (installed by kernel_main): runs the scheduler, and
// when the thread that resumes here is being killed and was interrupted in wasm code,
// rewrites `frame` to leave that code through its activation's landing.
void on_timer_tick(x86_64::InterruptFrame& frame);

} // namespace wk::kernel::proc
