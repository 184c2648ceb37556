#pragma once

#include "base/intrusive_list.h"
#include "base/result.h"
#include "base/types.h"
#include "kernel/mm/memory.h"

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
    void* wasm_activation() const { return m_wasm_activation; }
    void set_wasm_activation(void* activation) { m_wasm_activation = activation; }
    // The process this thread runs (kernel/proc), or nullptr for a kernel thread.
    void* process() const { return m_process; }
    void set_process(void* process) { m_process = process; }
    // Set by kill: blocking calls of the thread return early (WASI `intr`) and the timer
    // redirects it out of wasm code at its next tick there (kernel/proc).
    bool kill_requested() const { return __atomic_load_n(&m_kill_requested, __ATOMIC_ACQUIRE); }

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
    void* m_wasm_activation { nullptr };
    void* m_process { nullptr };
    bool m_kill_requested { false };
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
usize thread_count();
u64 context_switches();

} // namespace wk::kernel::sched
