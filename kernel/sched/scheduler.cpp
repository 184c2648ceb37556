#include <new>

#include "base/fixed_string.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/smp.h"
#include "kernel/debug/panic.h"
#include "kernel/sched/thread.h"
#include "kernel/time/clock.h"

extern "C" {
extern char boot_stack_bottom[], boot_stack_top[];
void switch_context(wk::u64* save_rsp, wk::u64 load_rsp);
void thread_entry_trampoline();
void thread_entry(wk::kernel::sched::Thread* thread);
}

namespace wk::kernel::sched {

using x86_64::InterruptDisabler;

class Scheduler {
public:
    // NOTE: measured on the clock (TSC), not in delivered ticks: a thread that keeps interrupts
    // off for a while (the file-system lock) loses ticks, and its slice must not stretch.
    static constexpr u64 kTimeSliceNanoseconds = 10'000'000;
    // While a thread that ran less than this before it slept or blocked waits in the run
    // queue after its wake, each thread that gets the CPU is preempted once it has run this
    // long: a process that mostly waits (the console, a sleeper) answers within about a
    // millisecond per busy thread queued before it. The queue stays first in, first out, so
    // no thread starves, and a thread that runs longer per wake gets no such turn.
    static constexpr u64 kShortBurstNanoseconds = 1'000'000;

    static void initialize();
    static Result<Thread*> spawn(const char* name, ThreadEntry entry, void* argument, usize stack_size);
    static void request_kill(Thread* thread);
    static void abort_call(Thread* thread);
    static void end_call_abort(Thread* thread) { __atomic_store_n(&thread->m_call_aborted, false, __ATOMIC_RELEASE); }
    static Result<Thread*> spawn_on_stack(const char* name, ThreadEntry entry, void* argument, mm::KernelStack stack);
    static Result<i64> join(Thread* thread);
    static void yield();
    static void sleep_for(u64 nanoseconds);
    [[noreturn]] static void exit_current(i64 status);
    static void block_on(WaitQueue& queue);
    static bool park_current(u64 deadline_ns);
    static void unpark(Thread* thread);
    static void clear_park_token(Thread* thread)
    {
        InterruptDisabler guard;
        thread->m_park_token = false;
    }
    static bool wake_one(WaitQueue& queue);
    static void wake_all(WaitQueue& queue);
    static void wake_sleeping(Thread* thread);
    static void on_tick();
    static void preemption_point();
    static u64 cpu_nanoseconds(const Thread& thread);
    static void run_thread(Thread* thread);

    // The thread running on this CPU: per CPU (x86_64::Cpu::thread), written only by its CPU.
    static Thread* current_thread() { return x86_64::Cpu::current().thread; }
    static usize s_thread_count;
    static u64 s_switches;

private:
    static void make_runnable(Thread& thread);
    // Takes a blocked or sleeping thread out of its queue (kill, call abort). Interrupts off.
    static void wake_blocked(Thread& thread);
    // For a thread leaving a sleep or a wait queue.
    static void make_woken_runnable(Thread& thread);
    static bool should_preempt(u64 now);
    // Picks the next thread and switches to it; the caller has interrupts off and has already
    // put the current thread where it belongs (run queue, sleep list, wait queue, or nowhere).
    static void reschedule();
    static void free_thread(Thread* thread);
    static void wake_sleepers(u64 now);
    [[noreturn]] static i64 idle_loop(void*);

    static ThreadList s_run_queue;
    static ThreadList s_sleepers;
    static Thread* s_idle;
    static u64 s_slice_start_ns; // when the current thread got the CPU
    static usize s_short_waiting; // short-burst threads queued since their wake
    static u64 s_next_id;
};

usize Scheduler::s_thread_count;
u64 Scheduler::s_switches;
constinit ThreadList Scheduler::s_run_queue;
constinit ThreadList Scheduler::s_sleepers;
Thread* Scheduler::s_idle;
u64 Scheduler::s_slice_start_ns;
usize Scheduler::s_short_waiting;
u64 Scheduler::s_next_id = 1;

void Scheduler::initialize()
{
    auto* boot = new Thread;
    boot->m_id = s_next_id++;
    copy_truncated(boot->m_name, "kernel-main");
    boot->m_state = ThreadState::Running;
    boot->m_stack = { reinterpret_cast<u64>(boot_stack_bottom), reinterpret_cast<u64>(boot_stack_top) };
    x86_64::Cpu::current().thread = boot;
    s_thread_count = 1;
    s_slice_start_ns = time::nanoseconds_since_boot();
    auto idle = spawn("idle", &Scheduler::idle_loop, nullptr, Thread::kStackSize);
    if (!idle)
        debug::panic("cannot create the idle thread: {}", idle.error().message());
    InterruptDisabler guard;
    s_run_queue.remove(**idle); // the idle thread runs only when nothing else can
    (*idle)->m_state = ThreadState::Runnable;
    s_idle = *idle;
}

i64 Scheduler::idle_loop(void*)
{
    for (;;)
        x86_64::sti_hlt();
}

Result<Thread*> Scheduler::spawn(const char* name, ThreadEntry entry, void* argument, usize stack_size)
{
    auto stack = [&] {
        InterruptDisabler guard;
        return mm::allocate_kernel_stack(stack_size);
    }();
    if (!stack)
        return stack.error();
    auto thread = spawn_on_stack(name, entry, argument, *stack);
    if (!thread) {
        InterruptDisabler guard;
        mm::free_kernel_stack(*stack);
        return thread.error();
    }
    (*thread)->m_owns_stack = true;
    return thread;
}

Result<Thread*> Scheduler::spawn_on_stack(const char* name, ThreadEntry entry, void* argument, mm::KernelStack stack)
{
    auto* thread = new (std::nothrow) Thread;
    if (!thread)
        return Error::out_of_memory();
    thread->m_stack = stack;
    thread->m_owns_stack = false;
    thread->m_entry = entry;
    thread->m_argument = argument;
    copy_truncated(thread->m_name, name ? StringView(name) : StringView());

    // The frame switch_context pops: MXCSR/x87 control, r15..r12, rbx, rbp, return address.
    auto* top = reinterpret_cast<u64*>(stack.top);
    *--top = 0;                                          // padding (the trampoline aligns rsp)
    *--top = reinterpret_cast<u64>(&thread_entry_trampoline);
    *--top = 0;                                          // rbp
    *--top = 0;                                          // rbx
    *--top = reinterpret_cast<u64>(thread);              // r12: the trampoline's argument
    *--top = 0;                                          // r13
    *--top = 0;                                          // r14
    *--top = 0;                                          // r15
    *--top = 0x1F80ull | (0x037Full << 32);              // default MXCSR, x87 control word
    thread->m_saved_rsp = reinterpret_cast<u64>(top);

    InterruptDisabler guard;
    thread->m_id = s_next_id++;
    ++s_thread_count;
    make_runnable(*thread);
    return thread;
}

void Scheduler::make_runnable(Thread& thread)
{
    thread.m_state = ThreadState::Runnable;
    s_run_queue.push_back(thread);
}

void Scheduler::make_woken_runnable(Thread& thread)
{
    make_runnable(thread);
    if (thread.m_last_burst_ns < kShortBurstNanoseconds) {
        thread.m_short_burst_waiting = true;
        ++s_short_waiting;
    }
}

bool Scheduler::should_preempt(u64 now)
{
    if (s_run_queue.is_empty())
        return false;
    u64 ran = now - s_slice_start_ns;
    return ran >= kTimeSliceNanoseconds || (s_short_waiting > 0 && ran >= kShortBurstNanoseconds);
}

void Scheduler::reschedule()
{
    Thread* previous = current_thread();
    Thread* next = s_run_queue.pop_front();
    if (next && next->m_short_burst_waiting) {
        next->m_short_burst_waiting = false;
        --s_short_waiting;
    }
    if (!next) {
        if (previous->m_state == ThreadState::Running)
            return; // nothing else to run: keep going
        next = s_idle;
    }
    if (next == previous) {
        previous->m_state = ThreadState::Running;
        return;
    }
    next->m_state = ThreadState::Running;
    u64 now = time::nanoseconds_since_boot();
    previous->m_cpu_ns += now - s_slice_start_ns;
    previous->m_last_burst_ns = now - s_slice_start_ns;
    s_slice_start_ns = now;
    x86_64::Cpu::current().thread = next;
    ++s_switches;
    switch_context(&previous->m_saved_rsp, next->m_saved_rsp);
}

void Scheduler::yield()
{
    InterruptDisabler guard;
    if (current_thread() != s_idle)
        make_runnable(*current_thread());
    else
        current_thread()->m_state = ThreadState::Runnable;
    reschedule();
}

void Scheduler::sleep_for(u64 nanoseconds)
{
    InterruptDisabler guard;
    Thread* self = current_thread();
    self->m_wake_at_ns = time::nanoseconds_since_boot() + nanoseconds;
    self->m_state = ThreadState::Sleeping;
    s_sleepers.push_back(*self);
    reschedule();
}

void Scheduler::block_on(WaitQueue& queue)
{
    InterruptDisabler guard;
    current_thread()->m_state = ThreadState::Blocked;
    current_thread()->m_blocked_on = &queue;
    queue.m_waiters.push_back(*current_thread());
    reschedule();
}

bool Scheduler::park_current(u64 deadline_ns)
{
    InterruptDisabler guard;
    Thread* self = current_thread();
    if (!self->m_park_token && !self->kill_requested()) {
        self->m_wake_at_ns = deadline_ns;
        self->m_state = ThreadState::Sleeping;
        self->m_parked = true;
        s_sleepers.push_back(*self);
        reschedule();
        self->m_parked = false;
    }
    bool token = self->m_park_token;
    self->m_park_token = false;
    return token;
}

void Scheduler::unpark(Thread* thread)
{
    InterruptDisabler guard;
    thread->m_park_token = true;
    if (thread->m_parked && thread->m_state == ThreadState::Sleeping) {
        s_sleepers.remove(*thread);
        make_woken_runnable(*thread);
    }
}

void Scheduler::request_kill(Thread* thread)
{
    InterruptDisabler guard;
    __atomic_store_n(&thread->m_kill_requested, true, __ATOMIC_RELEASE);
    wake_blocked(*thread);
}

void Scheduler::abort_call(Thread* thread)
{
    InterruptDisabler guard;
    __atomic_store_n(&thread->m_call_aborted, true, __ATOMIC_RELEASE);
    wake_blocked(*thread);
}

void Scheduler::wake_blocked(Thread& thread)
{
    if (thread.m_state == ThreadState::Blocked && thread.m_blocked_on) {
        thread.m_blocked_on->m_waiters.remove(thread);
        thread.m_blocked_on = nullptr;
        make_woken_runnable(thread);
    } else if (thread.m_state == ThreadState::Sleeping) {
        s_sleepers.remove(thread);
        make_woken_runnable(thread);
    }
}

bool Scheduler::wake_one(WaitQueue& queue)
{
    InterruptDisabler guard;
    Thread* thread = queue.m_waiters.pop_front();
    if (!thread)
        return false;
    thread->m_blocked_on = nullptr;
    make_woken_runnable(*thread);
    return true;
}

void Scheduler::wake_all(WaitQueue& queue)
{
    InterruptDisabler guard;
    while (Thread* thread = queue.m_waiters.pop_front()) {
        thread->m_blocked_on = nullptr;
        make_woken_runnable(*thread);
    }
}

void Scheduler::wake_sleeping(Thread* thread)
{
    InterruptDisabler guard;
    if (thread->m_state != ThreadState::Sleeping)
        return;
    s_sleepers.remove(*thread);
    make_woken_runnable(*thread);
}

void Scheduler::exit_current(i64 status)
{
    x86_64::cli();
    Thread* self = current_thread();
    WK_ASSERT(self != s_idle);
    self->m_exit_status = status;
    self->m_state = ThreadState::Dead;
    if (self->m_joiner)
        make_runnable(*self->m_joiner);
    // The joiner frees this thread's stack; nothing of it is touched after the switch.
    reschedule();
    debug::panic("a dead thread was scheduled");
}

Result<i64> Scheduler::join(Thread* thread)
{
    if (!thread || thread == current_thread() || thread == s_idle)
        return Error::from("cannot join this thread", ErrorKind::OutOfRange);
    {
        InterruptDisabler guard;
        if (thread->m_joined || thread->m_joiner)
            return Error::from("thread already joined", ErrorKind::OutOfRange);
        thread->m_joiner = current_thread();
        while (thread->m_state != ThreadState::Dead) {
            current_thread()->m_state = ThreadState::Blocked;
            reschedule();
        }
        thread->m_joined = true;
    }
    i64 status = thread->m_exit_status;
    free_thread(thread);
    return status;
}

void Scheduler::free_thread(Thread* thread)
{
    {
        InterruptDisabler guard;
        if (thread->m_owns_stack)
            mm::free_kernel_stack(thread->m_stack);
        --s_thread_count;
    }
    delete thread;
}

void Scheduler::wake_sleepers(u64 now)
{
    for (Thread& thread : s_sleepers) {
        if (thread.m_wake_at_ns <= now) {
            s_sleepers.remove(thread);
            make_woken_runnable(thread);
        }
    }
}

void Scheduler::on_tick()
{
    u64 now = time::nanoseconds_since_boot();
    wake_sleepers(now);
    if (current_thread() == s_idle) {
        if (!s_run_queue.is_empty()) {
            current_thread()->m_state = ThreadState::Runnable;
            reschedule();
        }
        return;
    }
    if (should_preempt(now)) {
        make_runnable(*current_thread());
        reschedule();
    }
}

void Scheduler::preemption_point()
{
    InterruptDisabler guard;
    u64 now = time::nanoseconds_since_boot();
    if (current_thread() == s_idle || now - s_slice_start_ns < kShortBurstNanoseconds)
        return;
    // Ticks may have been lost while the caller kept interrupts off: wake the sleepers due
    // now rather than at the next tick that does arrive.
    wake_sleepers(now);
    if (!should_preempt(now))
        return;
    make_runnable(*current_thread());
    reschedule();
}

u64 Scheduler::cpu_nanoseconds(const Thread& thread)
{
    InterruptDisabler guard;
    if (&thread == current_thread())
        return thread.m_cpu_ns + (time::nanoseconds_since_boot() - s_slice_start_ns);
    return thread.m_cpu_ns;
}

void Scheduler::run_thread(Thread* thread)
{
    x86_64::sti();
    exit_current(thread->m_entry(thread->m_argument));
}

void initialize() { Scheduler::initialize(); }
Result<Thread*> spawn(const char* name, ThreadEntry entry, void* argument, usize stack_size)
{
    return Scheduler::spawn(name, entry, argument, stack_size);
}
Result<Thread*> spawn_on_stack(const char* name, ThreadEntry entry, void* argument, mm::KernelStack stack)
{
    return Scheduler::spawn_on_stack(name, entry, argument, stack);
}
void request_kill(Thread* thread) { Scheduler::request_kill(thread); }
void abort_call(Thread* thread) { Scheduler::abort_call(thread); }
void end_call_abort(Thread* thread) { Scheduler::end_call_abort(thread); }
bool park_current(u64 deadline_ns) { return Scheduler::park_current(deadline_ns); }
void unpark(Thread* thread) { Scheduler::unpark(thread); }
void clear_park_token(Thread* thread) { Scheduler::clear_park_token(thread); }
Result<i64> join(Thread* thread) { return Scheduler::join(thread); }
Thread* current() { return Scheduler::current_thread(); }
void yield() { Scheduler::yield(); }
void sleep_for(u64 nanoseconds) { Scheduler::sleep_for(nanoseconds); }
void exit_current(i64 status) { Scheduler::exit_current(status); }
void block_on(WaitQueue& queue) { Scheduler::block_on(queue); }
void wake_all(WaitQueue& queue) { Scheduler::wake_all(queue); }
bool wake_one(WaitQueue& queue) { return Scheduler::wake_one(queue); }
void wake_sleeping(Thread* thread) { Scheduler::wake_sleeping(thread); }
void preemption_point()
{
    if (Scheduler::current_thread())
        Scheduler::preemption_point();
}
u64 cpu_nanoseconds(const Thread& thread) { return Scheduler::cpu_nanoseconds(thread); }
void on_tick()
{
    if (Scheduler::current_thread())
        Scheduler::on_tick();
}
usize thread_count() { return Scheduler::s_thread_count; }
u64 context_switches() { return Scheduler::s_switches; }

} // namespace wk::kernel::sched

extern "C" void thread_entry(wk::kernel::sched::Thread* thread)
{
    wk::kernel::sched::Scheduler::run_thread(thread);
}
