#pragma once

#include "base/intrusive_list.h"
#include "base/result.h"
#include "base/types.h"
#include "kernel/mm/memory.h"

namespace wk::engine {
struct Activation;
}
namespace wk::kernel::proc {
class Process;
class CallService;
struct DirectCall;
}

namespace wk::kernel::sched {

enum class ThreadState : u8 { Runnable, Running, Sleeping, Blocked, Dead };

class WaitQueue;

using ThreadEntry = i64 (*)(void* argument);

// A kernel thread: its own stack (with a guard page), its saved stack pointer while not
// running, and its place in at most one queue (run, sleep or a wait queue) at a time.
// All scheduler state is changed with interrupts off (one CPU for now).
class Thread {
public:
    static constexpr usize kStackSize = 64 * 1024;
    static constexpr usize kNameSize = 32;

    u64 id() const { return m_id; }
    const char* name() const { return m_name; }
    ThreadState state() const { return m_state; }
    // Lowest usable address of this thread's stack (a guard page lies below it).
    u64 stack_bottom() const { return m_stack.bottom; }
    // A process thread's stack grows down (kernel/proc/process_stack.h): the new lowest
    // mapped address, below the old one.
    void set_stack_bottom(u64 bottom) { m_stack.bottom = bottom; }
    // The innermost wasm activation running on this thread (engine/platform.h).
    engine::Activation* wasm_activation() const { return m_wasm_activation; }
    void set_wasm_activation(engine::Activation* activation) { m_wasm_activation = activation; }
    // The process this thread runs (kernel/proc), or nullptr for a kernel thread.
    proc::Process* process() const { return m_process; }
    void set_process(proc::Process* process) { m_process = process; }
    // Set by kill: blocking calls of the thread return early (WASI `intr`) and the timer
    // redirects it out of wasm code at its next tick there (kernel/proc). Also true while the
    // direct call the thread is in is being aborted (its service was killed: abort_call), so
    // that the same paths end the call's activation.
    bool kill_requested() const
    {
        return __atomic_load_n(&m_kill_requested, __ATOMIC_ACQUIRE) || __atomic_load_n(&m_call_aborted, __ATOMIC_ACQUIRE);
    }
    // Killed itself, not only in an aborted direct call.
    bool own_kill_requested() const { return __atomic_load_n(&m_kill_requested, __ATOMIC_ACQUIRE); }
    // Direct calls (kernel/proc/direct_call.h): the service whose gate this thread waits for
    // (deadlock detection), changed with interrupts off by the thread itself.
    proc::CallService* call_waiting_for() const { return m_call_waiting_for; }
    void set_call_waiting_for(proc::CallService* service) { m_call_waiting_for = service; }
    // The direct call the thread is in (nullptr outside one); calls do not nest.
    proc::DirectCall* direct_call() const { return m_direct_call; }
    void set_direct_call(proc::DirectCall* call) { m_direct_call = call; }

    IntrusiveListNode m_queue_node;

private:
    friend class Scheduler;

    u64 m_id { 0 };
    char m_name[kNameSize] {};
    ThreadState m_state { ThreadState::Runnable };
    mm::KernelStack m_stack {};
    bool m_owns_stack { false };
    u64 m_saved_rsp { 0 };
    u64 m_wake_at_ns { 0 };
    u64 m_cpu_ns { 0 };        // time on the CPU up to its last switch away
    u64 m_last_burst_ns { 0 }; // how long it ran before that switch
    bool m_short_burst_waiting { false }; // queued after a wake, having run < 1 ms before
    ThreadEntry m_entry { nullptr };
    void* m_argument { nullptr };
    i64 m_exit_status { 0 };
    Thread* m_joiner { nullptr };
    bool m_joined { false };
    engine::Activation* m_wasm_activation { nullptr };
    proc::Process* m_process { nullptr };
    bool m_kill_requested { false };
    bool m_call_aborted { false };
    proc::CallService* m_call_waiting_for { nullptr };
    proc::DirectCall* m_direct_call { nullptr };
    WaitQueue* m_blocked_on { nullptr };
    // The engine's parker (engine/platform.h, park/unpark): a token and whether the thread
    // sleeps in park(), where unpark may wake it before its deadline.
    bool m_park_token { false };
    bool m_parked { false };
};

using ThreadList = IntrusiveList<Thread, &Thread::m_queue_node>;

// Threads blocked until someone wakes them.
class WaitQueue {
public:
    bool is_empty() const { return m_waiters.is_empty(); }

private:
    friend class Scheduler;
    ThreadList m_waiters;
};

// Makes the running boot context the first thread and creates the idle thread.
void initialize();
// Creates a runnable thread that calls entry(argument); its return value is its exit status.
// `stack_size` (a multiple of the page size) defaults to Thread::kStackSize.
Result<Thread*> spawn(const char* name, ThreadEntry entry, void* argument, usize stack_size = Thread::kStackSize);
// The same on a stack the caller allocated (mm::allocate_kernel_stack) and keeps: the thread
// does not free it; the caller may reuse it once join() returned.
Result<Thread*> spawn_on_stack(const char* name, ThreadEntry entry, void* argument, mm::KernelStack stack);
// Waits until `thread` has exited, frees it, and returns its status. Each thread is joined
// once, by one thread, and never joins itself.
Result<i64> join(Thread* thread);
Thread* current();
void yield();
void sleep_for(u64 nanoseconds);
[[noreturn]] void exit_current(i64 status);
void block_on(WaitQueue& queue);
void wake_all(WaitQueue& queue);
bool wake_one(WaitQueue& queue);
// Ends `thread`'s sleep_for early if it is sleeping (else nothing). Interrupt handlers may
// call it (a device interrupt waking the thread that waits for the device).
void wake_sleeping(Thread* thread);
// Called by the timer interrupt after its EOI: wakes sleepers and preempts the running thread
// when its time slice (10 ms on the clock) is used up and another thread can run, or after
// 1 ms while a thread that had run less than 1 ms before it slept or blocked waits in the
// run queue since its wake (docs/boot-and-machine-state.md, "Scheduling, long calls and the file-system
// lock").
void on_tick();
// The same preemption, for kernel code between two bounded steps of a long call (no lock
// held): gives the CPU away when on_tick would.
// Once the thread has run 1 ms it also wakes the sleepers that are due. NOTE: a tick that arrived
// while interrupts were off already preempts when they come back on; this also covers the
// ticks that never arrived (the APIC holds one, the others are lost).
void preemption_point();
// Time `thread` has spent on the CPU (measured at context switches, plus the running stretch).
u64 cpu_nanoseconds(const Thread& thread);
// engine/platform.h's parking: sleeps until `deadline_ns` (time since boot; ~0 = none),
// unpark(thread) or a kill, unless the token is set already; consumes the token. Returns
// whether the token was set.
bool park_current(u64 deadline_ns);
// Sets the token of `thread` and wakes it if it sleeps in park_current.
void unpark(Thread* thread);
void clear_park_token(Thread* thread);
// Marks `thread` for killing (Thread::kill_requested) and, when it waits on a WaitQueue or
// sleeps, makes it runnable so that its blocking call can return. Threads in join() stay put.
void request_kill(Thread* thread);
// The same for the direct call `thread` is in (its service is being killed): kill_requested
// is true until end_call_abort, and a blocked or sleeping thread is woken.
void abort_call(Thread* thread);
void end_call_abort(Thread* thread);
usize thread_count();
u64 context_switches();

} // namespace wk::kernel::sched
