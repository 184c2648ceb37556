#pragma once

#include <optional>

#include "base/ref_ptr.h"
#include "base/string.h"
#include "engine/compile/compiled_module.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/store.h"
#include "engine/wasi/wasi_context.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_stack.h"
#include "kernel/sched/thread.h"
#include "kernel/sys/wasmkern_module.h"

namespace wk::kernel::object {
class HandleTable;
}

// The process record of the table (kernel/proc/process.cpp), for the files of kernel/proc
// that need its fields (the threads of a process, kernel/proc/process_threads.h).
namespace wk::kernel::proc {

class ProcessThreads;

// NOTE: named (not in an anonymous namespace) so that sched::Thread can point at it typed.
class Process {
public:
    u32 pid { 0 };
    u32 parent_pid { 0 };
    bool orphan { false };
    // Process objects alive for it (process_object.h); a process whose parent is a process
    // becomes an orphan when the last goes. The kernel's children are waited for by pid.
    u32 references { 0 };
    bool kernel_child { false };
    char name[32] {};
    String path;
    sched::Thread* thread { nullptr };
    std::optional<ProcessStack> stack; // the thread's, back to the pool after join
    u64 stack_bytes { kDefaultStackBytes }; // wasm frames per thread, chosen at spawn
    engine::compile::CompiledModule module;
    sys::KernelWasiSystem* system { nullptr };
    engine::wasi::WasiContext* context { nullptr };
    engine::runtime::Linker* linker { nullptr };
    RefPtr<engine::runtime::Store> store;
    object::HandleTable* handles { nullptr };
    // wasi-threads (docs/process-abi.md, "Threads"): the threads thread-spawn started.
    ProcessThreads* threads { nullptr };
    sys::WasmkernCaller caller;
    bool exited { false };
    bool kill_requested { false };
    u32 kill_status { kKilledStatus };
    u32 status { 0 };
    sched::WaitQueue exit_waiters;

    // Frees what the process owns, in dependency order: the threads' record (every spawned
    // thread has been joined), instances and memories (the store), the import definitions,
    // then the descriptors (the context closes them in its system) and the system. Runs on
    // the process thread, or in spawn() on failure.
    void release_resources();
};

} // namespace wk::kernel::proc
