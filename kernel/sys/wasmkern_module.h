#pragma once

#include "base/result.h"
#include "base/string_view.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/store.h"
#include "engine/wasi/wasi_context.h"

namespace wk::kernel::object {
class HandleTable;
}
namespace wk::kernel::proc {
class CallService;
}
namespace wk::kernel::sched {
class Thread;
}
namespace wk::engine::wasi {
class CallLock;
}

namespace wk::kernel::sys {

class KernelWasiSystem;

inline constexpr StringView kWasmkernModuleName = "wasmkern";

// The process a set of wasmkern host functions serves: its pid, the WASI state whose
// memory binding and descriptors the calls use, and its handle table. Must outlive the
// store's use of them.
struct WasmkernCaller {
    u32 pid { 0 };
    KernelWasiSystem* system { nullptr };
    engine::wasi::WasiContext* context { nullptr };
    object::HandleTable* handles { nullptr };
    // Direct calls (kernel/proc/direct_call.h): the process's store and instance (set once it
    // is instantiated), and its service side, made at its first offer (one reference, dropped
    // at its teardown after CallService::shut_down).
    engine::runtime::Store* store { nullptr };
    engine::runtime::Instance* instance { nullptr };
    proc::CallService* service { nullptr };
    // The thread that runs `_start` (set with the instance): the only one that may offer and
    // serve calls. A wasi-threads thread has an instance of its own, and a service's thread
    // must live as long as the process (CallService keeps it).
    sched::Thread* main_thread { nullptr };
};

// The WASI call lock of the caller's process (wasi-threads: docs/process-abi.md, "Threads"), or
// nullptr when it has none. The calls that block (wait, wait_console, wait_many,
// wait_many_until, port_wait, call) and call_serve run without it and take it themselves
// around what uses the handle table, never while they wait: a thread blocked in one must not
// stop the calls of the process's other threads, which may be what it waits for.
engine::wasi::CallLock* call_lock_of(WasmkernCaller& caller);

// Defines the `wasmkern` import module (docs/process-abi.md) in `linker`: spawn, wait, kill,
// ps, meminfo, poweroff, pipe, wait_console, interrupt and the handle calls, as host functions
// of `store` with native entries.
Result<void> define_wasmkern(engine::runtime::Store& store, engine::runtime::Linker& linker, WasmkernCaller& caller);

} // namespace wk::kernel::sys
