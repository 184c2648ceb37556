#pragma once

#include "base/result.h"
#include "base/string_view.h"
#include "base/types.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/store.h"
#include "engine/wasi/threads.h"
#include "kernel/proc/process_stack.h"

namespace wk::kernel::sched {
class Thread;
}

// wasi-threads in the OS (docs/process-abi.md, "Threads"): the engine's WasiThreads
// (engine/wasi/threads.h) with a ThreadHost whose threads are kernel threads of the
// process. Each spawned thread runs on a process stack of its own (as deep as the main
// thread's, charged to the same memory budget as it grows), points at the process
// (sched::Thread::process), and is scheduled, preempted and killed like the main thread.
//
// Ending: the first of a trap or proc_exit in a spawned thread (end_program), the main
// thread's _start returning (finish) or a kill (kill_all) marks every thread of the process
// for killing; the main thread then joins them all (finish) before the process's store,
// memories and descriptors go.
//
// Locking: the member slots change with interrupts off (one CPU); a slot is joined by the one
// thread that claimed it.
namespace wk::kernel::proc {

class Process;

// Spawned threads alive in the whole system at once (the growable-stack region has 2048
// slots, and each thread keeps 128 KiB of stack mapped); beyond, thread-spawn returns -6.
inline constexpr u32 kMaxSystemThreads = 256;

class ProcessThreads final : public engine::wasi::ThreadHost {
public:
    explicit ProcessThreads(Process& process);
    ~ProcessThreads();
    ProcessThreads(const ProcessThreads&) = delete;
    ProcessThreads& operator=(const ProcessThreads&) = delete;

    // Defines thread-spawn and the shared memories the module imports into the main
    // linker (WasiThreads::define).
    Result<void> define(engine::runtime::Store& store, engine::runtime::Linker& linker);

    Result<void> start_thread(void (*entry)(void*), void* argument) override;
    void end_program(const engine::wasi::ThreadEnd& end) override;
    void spawn_refused(StringView reason) override;
    Result<void> define_thread_imports(engine::runtime::Store& store, engine::runtime::Linker& linker) override;

    // Marks every spawned thread for killing and refuses new ones. Interrupts off.
    // Marks the process ending and asks every running member but the caller to end;
    // `spare_ender`: not the thread that ended the program either (a kill from outside,
    // kill(), passes false).
    void kill_all_locked(bool spare_ender = true);
    // The main thread, once its _start has ended: kills every spawned thread and joins them
    // all, returning their stacks. Interrupts on.
    void finish();
    // The stack of `thread` when it is one of the spawned threads, else nullptr.
    ProcessStack* stack_of(const sched::Thread& thread);
    // CPU time of the spawned threads alive now. Interrupts off.
    u64 cpu_nanoseconds_locked() const;
    // Spawned threads not yet joined.
    u32 count() const;

private:
    enum class SlotState : u8 { Free, Starting, Running, Ended, Joining };
    struct Member {
        ProcessThreads* owner { nullptr };
        sched::Thread* thread { nullptr };
        ProcessStack stack;
        void (*entry)(void*) { nullptr };
        void* argument { nullptr };
        SlotState state { SlotState::Free };
        // From the thread's start until it leaves its entry (set by the thread itself, with
        // interrupts off, as its last act): a kill can reach it only meanwhile.
        bool running { false };
    };
    // Slots: the running threads, and room for those that ended but are not yet joined.
    static constexpr u32 kSlots = engine::wasi::WasiThreads::kMaxThreads + 16;

    static i64 member_main(void* argument);
    // Joins the threads that ended on their own (a spawn reuses their slots).
    void reap_ended();
    // Joins the claimed member's thread and frees its slot.
    void release(Member& member);
    // Makes the calling (spawned) thread the one that ends the program; false when it is
    // ending already. Marks every other thread for killing (never the caller, so that its
    // report is written whole), the main one with `status`.
    bool claim_end(u32 status);
    void report(StringView text);

    Process& m_process;
    engine::wasi::WasiThreads m_threads;
    Member m_members[kSlots];
    bool m_ending { false };
    sched::Thread* m_ender { nullptr }; // the spawned thread that ended the program, if one did
};

} // namespace wk::kernel::proc
