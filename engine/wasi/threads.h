#pragma once

// wasi-threads (https://github.com/WebAssembly/wasi-threads): the import
// `wasi.thread-spawn (param i32) (result i32)` runs the module's export
// `wasi_thread_start (param i32 i32)` (tid, start_arg) on a new thread, in a new instance of
// the same module (its own globals, tables and store) that imports the same shared memory
// and shares the WasiContext. Environment-neutral: the embedder starts the machine threads
// and ends the whole program when a thread traps or calls proc_exit (ThreadHost).
// docs/wasi.md, "Threads".

#include <optional>

#include "base/lock.h"
#include "base/ref_ptr.h"
#include "base/result.h"
#include "base/vector.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/loaded_module.h"
#include "engine/runtime/store.h"
#include "engine/runtime/trap.h"
#include "engine/wasi/wasi_context.h"

namespace wk::engine::wasi {

inline constexpr StringView kThreadsModuleName = "wasi";
inline constexpr StringView kThreadSpawnName = "thread-spawn";
inline constexpr StringView kThreadStartName = "wasi_thread_start";

// How a spawned thread ended when it did not simply return.
struct ThreadEnd {
    u32 tid { 0 };
    std::optional<u32> exit_status; // proc_exit in this thread or in another one
    std::optional<TrapInfo> trap;   // the thread trapped
    std::optional<Error> error;     // the call could not run (runtime::invoke's error)
};

// What the embedder provides.
class ThreadHost {
public:
    // Starts a machine thread running entry(argument) with a stack for wasm code (as deep
    // as the main thread's). An error makes thread-spawn fail; entry then never runs.
    virtual Result<void> start_thread(void (*entry)(void*), void* argument) = 0;
    // A spawned thread trapped, or proc_exit was called while it ran: the program ends
    // with it (the trap's error, or the status). May not return (hosted: the process
    // exits); when it returns, the thread ends.
    virtual void end_program(const ThreadEnd&) = 0;
    // thread-spawn refused a thread (the limit, or no memory); `reason` says why. Called
    // on the first refusal only, for a diagnostic.
    virtual void spawn_refused(StringView reason) = 0;
    // Defines, for a spawned thread's instance, the embedder's own import modules beside
    // wasi_snapshot_preview1, thread-spawn and the shared memories (the kernel: `wasmkern`),
    // so that every thread links as the main instance did. Nothing by default.
    virtual Result<void> define_thread_imports(runtime::Store&, runtime::Linker&) { return {}; }

protected:
    ~ThreadHost() = default;
};

// The threads of one program. Use: create, define into the main linker before the main
// instance is made (it creates the shared memories the module imports and that nothing
// else defines, and defines thread-spawn), then let the program run. Owns every spawned
// thread's store and instance until that thread ends; must outlive every thread (the
// hosted tool exits the process while they run; see the embedder).
class WasiThreads {
public:
    // At most this many spawned threads run at once; thread-spawn returns -Errno::Again
    // beyond. thread ids are 1..kMaxThreadId, never reused (then -Errno::Again too).
    static constexpr u32 kMaxThreads = 64;
    static constexpr u32 kMaxThreadId = 0x1FFF'FFFF;

    WasiThreads(runtime::LoadedModule& module, WasiContext& context, ThreadHost& host)
        : m_module(module)
        , m_context(context)
        , m_host(host)
    {
    }
    ~WasiThreads() = default;
    WasiThreads(const WasiThreads&) = delete;
    WasiThreads& operator=(const WasiThreads&) = delete;

    // Creates each shared memory the module imports that `linker` does not define and
    // defines it there, and defines wasi.thread-spawn in `store` and `linker`.
    Result<void> define(runtime::Store& store, runtime::Linker& linker);

    // wasi.thread-spawn: the new thread's id, or a negative wasi errno.
    i32 spawn(u32 start_argument);

    // Whether any thread was ever started (the embedder then ends the program as a whole).
    bool started_any() const { return __atomic_load_n(&m_started, __ATOMIC_ACQUIRE); }
    // Spawned threads running now.
    u32 running() const { return __atomic_load_n(&m_running, __ATOMIC_ACQUIRE); }

private:
    struct Thread;
    struct SharedImport {
        StringView module;
        StringView name;
        runtime::Memory* memory;
    };

    Result<void> define_for_thread(runtime::Store& store, runtime::Linker& linker);
    Result<Thread*> make_thread(u32 tid, u32 start_argument);
    static void thread_main(void* argument);
    void refuse(StringView reason);

    runtime::LoadedModule& m_module;
    WasiContext& m_context;
    ThreadHost& m_host;
    runtime::RuntimeLimits m_limits;
    Vector<SharedImport> m_shared; // set by define, read-only after
    u32 m_next_tid { 1 };
    u32 m_running { 0 };
    bool m_refused { false };
    bool m_started { false };
    SpinLock m_instantiate_lock; // one instantiation of the module at a time
};

} // namespace wk::engine::wasi
