// engine/platform.h's worker threads for the kernel (kernel/platform/compile_worker.h).
#include "kernel/platform/compile_worker.h"

#include <new>

#include "engine/platform.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/debug/log.h"
#include "kernel/mm/growable_stack.h"
#include "kernel/sched/thread.h"

namespace wk::platform {

// NOTE: woken and the wait queue are read and written with interrupts off (one CPU), so a
// wake that comes before the worker waits is kept, and one that comes while it waits
// makes it runnable.
struct Worker {
    kernel::sched::Thread* thread { nullptr };
    kernel::mm::GrowableStack stack {};
    kernel::sched::WaitQueue waiters;
    bool woken { false };
    void (*entry)(Worker*, void*) { nullptr };
    void* argument { nullptr };
};

using kernel::x86_64::InterruptDisabler;

namespace {

constexpr u64 kStackPaint = 0x5741'534D'4B45'524Eull;
// Left unpainted at the top: the thread's entry frame, already in use when painting starts.
constexpr u64 kUnpaintedTop = 512;

CompileWorkerStatistics g_statistics; // interrupts off

i64 worker_thread_main(void* raw)
{
    auto* worker = static_cast<Worker*>(raw);
    // Paint the stack so that join can measure how deep the compiles went.
    u64* word = reinterpret_cast<u64*>(worker->stack.bottom);
    u64* end = reinterpret_cast<u64*>(worker->stack.top - kUnpaintedTop);
    for (; word < end; ++word)
        *word = kStackPaint;
    worker->entry(worker, worker->argument);
    return 0;
}

u64 stack_used(const Worker& worker)
{
    const u64* word = reinterpret_cast<const u64*>(worker.stack.bottom);
    const u64* end = reinterpret_cast<const u64*>(worker.stack.top);
    while (word < end && *word == kStackPaint)
        ++word;
    return worker.stack.top - reinterpret_cast<u64>(word);
}

} // namespace

CompileWorkerStatistics compile_worker_statistics()
{
    InterruptDisabler guard;
    return g_statistics;
}


Result<Worker*> start_worker(void (*entry)(Worker*, void* argument), void* argument)
{
    {
        InterruptDisabler guard;
        if (g_statistics.running >= kMaxCompileWorkers) {
            ++g_statistics.refused;
            return Error::from("too many compile workers", ErrorKind::OutOfMemory);
        }
        ++g_statistics.running; // taken now, so that two starts cannot both pass
    }
    auto give_back = [] {
        InterruptDisabler guard;
        --g_statistics.running;
        ++g_statistics.refused;
    };
    auto* worker = new (std::nothrow) Worker;
    if (!worker) {
        give_back();
        return Error::from("no memory for a compile worker", ErrorKind::OutOfMemory);
    }
    worker->entry = entry;
    worker->argument = argument;
    // Mapped whole before the thread runs (kernel code must never fault on its stack), 16
    // pages per interrupts-off stretch (docs/boot-and-machine-state.md, "Scheduling").
    constexpr u64 kStepBytes = 16 * 4096;
    bool mapped = false;
    {
        InterruptDisabler guard;
        auto stack = kernel::mm::reserve_growable_stack(kCompileWorkerStackBytes, kStepBytes);
        if (stack) {
            worker->stack = *stack;
            mapped = true;
        }
    }
    while (mapped && worker->stack.mapped_bytes() < kCompileWorkerStackBytes) {
        InterruptDisabler guard;
        mapped = kernel::mm::grow_stack(worker->stack, worker->stack.bottom - kStepBytes).has_value();
    }
    if (!mapped && worker->stack.top) {
        InterruptDisabler guard;
        kernel::mm::release_growable_stack(worker->stack);
        worker->stack = {};
    }
    if (!worker->stack.top) {
        delete worker;
        give_back();
        return Error::from("no memory for a compile worker's stack", ErrorKind::OutOfMemory);
    }
    kernel::mm::KernelStack thread_stack { worker->stack.bottom, worker->stack.top };
    auto thread = [&] {
        // The thread must not run before worker->thread is set (wake_worker reads it).
        InterruptDisabler guard;
        auto spawned = kernel::sched::spawn_on_stack("tier-up", worker_thread_main, worker, thread_stack);
        if (spawned) {
            worker->thread = *spawned;
            ++g_statistics.started;
        }
        return spawned;
    }();
    if (!thread) {
        {
            InterruptDisabler guard;
            kernel::mm::release_growable_stack(worker->stack);
        }
        delete worker;
        give_back();
        return thread.error();
    }
    return worker;
}

void wake_worker(Worker* worker)
{
    InterruptDisabler guard;
    worker->woken = true;
    kernel::sched::wake_one(worker->waiters);
}

void wait_for_work(Worker* worker)
{
    InterruptDisabler guard;
    if (!worker->woken)
        kernel::sched::block_on(worker->waiters);
    worker->woken = false;
}

void join_worker(Worker* worker)
{
    (void)kernel::sched::join(worker->thread);
    u64 used = stack_used(*worker);
    {
        InterruptDisabler guard;
        kernel::mm::release_growable_stack(worker->stack);
        --g_statistics.running;
        if (used > g_statistics.stack_high_water)
            g_statistics.stack_high_water = used;
    }
    kernel::debug::dbgln("tier-up: compile worker joined, {} KiB of its {} KiB stack used", used / 1024,
                         kCompileWorkerStackBytes / 1024);
    delete worker;
}

} // namespace wk::platform
