#include "kernel/proc/process_stack.h"

#include <utility>

#include "engine/platform.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/paging.h"
#include "kernel/platform/wasm_stack.h"
#include "kernel/sched/thread.h"

namespace wk::kernel::proc {

using x86_64::InterruptDisabler;
using x86_64::kPageSize;

namespace {

// Stacks of finished processes kept for the next ones, so that a spawn need not map and zero
// the first pages again. NOTE: a reused stack is not cleared: what the last process's frames
// left there is unreachable from wasm (linear memory is the only memory wasm code addresses).
constexpr usize kPooledStacks = 8;
mm::GrowableStack g_pool[kPooledStacks];
usize g_pooled;

u64 page_down(u64 address) { return address & ~(kPageSize - 1); }
u64 page_up(u64 bytes) { return (bytes + kPageSize - 1) & ~(kPageSize - 1); }

// Maps [new_bottom, bottom) and pays for it; keeps the thread's idea of its stack in step.
// Interrupts off (the caller's).
Result<void> grow_locked(ProcessStack& stack, sched::Thread& thread, u64 new_bottom)
{
    if (new_bottom >= stack.memory.bottom)
        return {};
    u64 bytes = stack.memory.bottom - new_bottom;
    if (!stack.budget || !stack.budget->try_charge(bytes))
        return Error::from("stack growth over the memory budget", ErrorKind::OutOfMemory);
    if (auto grown = mm::grow_stack(stack.memory, new_bottom); !grown) {
        stack.budget->refund(bytes);
        return grown.error();
    }
    stack.charged += bytes;
    thread.set_stack_bottom(stack.memory.bottom);
    platform::repaint_reserve(thread);
    return {};
}

} // namespace

Result<ProcessStack> take_process_stack(u64 wasm_bytes)
{
    u64 max_bytes = page_up(wasm_bytes) + kInitialStackBytes + page_up(platform::wasm_stack_reserve());
    if (max_bytes > mm::kGrowableStackMaxBytes)
        return Error::from("process stack too large", ErrorKind::OutOfRange);
    ProcessStack stack;
    InterruptDisabler guard;
    if (g_pooled > 0) {
        stack.memory = g_pool[--g_pooled];
        stack.memory.floor = stack.memory.top - max_bytes;
        return stack;
    }
    stack.memory = TRY(mm::reserve_growable_stack(max_bytes, kInitialStackBytes));
    return stack;
}

void give_process_stack(ProcessStack& stack)
{
    if (stack.budget)
        stack.budget->refund(stack.charged);
    stack.charged = 0;
    stack.budget = nullptr;
    mm::GrowableStack giving = stack.memory;
    stack.memory = {};
    // Its thread has exited, so nobody else uses these pages: they go back 16 at a time, with
    // interrupts on between (a 256 MiB stack is 65,536 pages).
    u64 keep = giving.top - kInitialStackBytes;
    while (giving.bottom < keep) {
        u64 step_end = giving.bottom + 16 * kPageSize < keep ? giving.bottom + 16 * kPageSize : keep;
        InterruptDisabler guard;
        mm::shrink_stack(giving, step_end);
    }
    InterruptDisabler guard;
    mm::free_unused_stack_tables(giving);
    if (g_pooled < kPooledStacks) {
        g_pool[g_pooled++] = giving;
        return;
    }
    // The pool keeps the lowest slots, so that once every process has ended it holds the
    // same stacks (and page tables) whatever order they ended in.
    usize highest = 0;
    for (usize i = 1; i < g_pooled; ++i) {
        if (g_pool[i].top > g_pool[highest].top)
            highest = i;
    }
    if (giving.top < g_pool[highest].top)
        std::swap(giving, g_pool[highest]);
    mm::release_growable_stack(giving);
}

Result<void> ensure_stack_to(ProcessStack& stack, sched::Thread& thread, u64 address)
{
    u64 target = page_down(address);
    if (address < stack.memory.floor || target < stack.memory.floor)
        return Error::from("stack depth beyond the process's limit", ErrorKind::OutOfMemory);
    // At most 16 pages per interrupts-off stretch (docs/boot-and-machine-state.md, "Scheduling").
    while (stack.memory.bottom > target) {
        u64 step = stack.memory.bottom - target;
        if (step > 16 * kPageSize)
            step = 16 * kPageSize;
        InterruptDisabler guard;
        TRY(grow_locked(stack, thread, stack.memory.bottom - step));
    }
    return {};
}

bool grow_at_stack_check(x86_64::InterruptFrame& frame)
{
    ProcessStack* stack = current_process_stack();
    sched::Thread* thread = sched::current();
    if (!stack || !thread)
        return false;
    engine::FaultState state { .pc = frame.rip, .sp = frame.rsp, .fp = frame.rbp, .r11 = frame.r11, .rdi = frame.rdi };
    auto fault = engine::stack_check_fault(state);
    if (!fault)
        return false;
    u64 reserve = platform::wasm_stack_reserve();
    u64 floor = stack->memory.floor;
    // The frame must fit above the floor with the reserve below it; `needed` is computed
    // by the function from rbp and its frame size, so check it against wrap-around too.
    if (fault->needed < floor + reserve || fault->needed > frame.rsp)
        return false;
    u64 limit = stack->memory.bottom + reserve;
    if (fault->needed < limit) {
        u64 new_bottom = page_down(fault->needed - reserve);
        if (stack->memory.bottom - new_bottom < kStackGrowthStep)
            new_bottom = stack->memory.bottom - kStackGrowthStep;
        if (new_bottom < floor)
            new_bottom = floor;
        // At most 16 pages per interrupts-off stretch (docs/boot-and-machine-state.md, "Scheduling"):
        // a bigger frame leaves the ud2 in place, so it faults again once interrupts are
        // back on and the next 16 pages are mapped then.
        bool partial = stack->memory.bottom - new_bottom > kStackGrowthStep;
        if (partial)
            new_bottom = stack->memory.bottom - kStackGrowthStep;
        if (!grow_locked(*stack, *thread, new_bottom))
            return false; // over budget or out of frames: the check traps
        if (partial)
            return true;
        limit = stack->memory.bottom + reserve;
    }
    // Otherwise the VMContext held an older limit (another instance's, not yet lowered).
    engine::resume_stack_check(*fault, limit, state);
    frame.rip = state.pc;
    return true;
}

} // namespace wk::kernel::proc
