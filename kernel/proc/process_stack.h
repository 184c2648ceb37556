#pragma once

#include "base/ref_ptr.h"
#include "base/result.h"
#include "engine/runtime/limits.h"
#include "kernel/arch/x86_64/interrupts.h"
#include "kernel/mm/growable_stack.h"

namespace wk::kernel::sched {
class Thread;
}

// The stack of a process thread (docs/isolation.md, "The stack"): a mm::GrowableStack whose
// floor leaves the process the wasm stack it asked for at spawn, mapped on demand.
//
// How it grows. Only wasm code grows it, and only at a function's prologue stack check: the
// thread's wasm stack limit is always its lowest mapped address + the reserve
// (platform::wasm_stack_reserve), so the reserve below the limit (host calls, interrupt
// entry) is always mapped and host code never touches an unmapped stack page. When a check
// fails (#UD of its trap stub, on the thread's own stack, inside that mapped reserve),
// grow_at_stack_check maps the pages the frame needs (at least kStackGrowthStep), charges
// them to the process's memory budget, lowers the limit and resumes the function past its
// check. At the floor, or over budget, or out of frames, the check traps as before ("call
// stack exhausted"). A page fault on the stack is never part of this: any page fault in
// the region is a kernel bug and panics (the #PF runs on its own IST stack).
namespace wk::kernel::proc {

// Mapped from the start and never charged: the thread's entry, instantiation and teardown
// run at the top of the stack outside any wasm frame, where nothing grows the stack.
inline constexpr u64 kInitialStackBytes = 128 * 1024;
// A growth maps at least this much, so a deep recursion stops once per 64 KiB.
inline constexpr u64 kStackGrowthStep = 64 * 1024;

struct ProcessStack {
    mm::GrowableStack memory;
    RefPtr<engine::runtime::ResourceBudget> budget; // pays for pages beyond the initial ones
    u64 charged { 0 };
};

// A stack for `wasm_bytes` (kMinStackBytes..kMaxStackBytes, page multiple) of wasm frames:
// room for that, kInitialStackBytes and the reserve; kInitialStackBytes mapped. Kept stacks
// (trimmed back to kInitialStackBytes) are reused first.
Result<ProcessStack> take_process_stack(u64 wasm_bytes);
// Refunds its charge and keeps the stack for the next process or frees it. The thread on it
// has exited.
void give_process_stack(ProcessStack& stack);

// Maps `stack` down to `address` (rounded down to a page), charging the budget, for host
// code that needs a known depth below it (spawn compiling a module). Runs on the stack's
// own thread with interrupts on. OutOfMemory past the floor, over budget, out of frames.
Result<void> ensure_stack_to(ProcessStack& stack, sched::Thread& thread, u64 address);

// The #UD filter (x86_64::set_invalid_opcode_filter): grows the running process's stack at a
// failed stack check; false for everything else (the fault then takes its usual path).
bool grow_at_stack_check(x86_64::InterruptFrame& frame);

// The stack of the process on the calling thread, nullptr for kernel threads
// (kernel/proc/process.cpp).
ProcessStack* current_process_stack();

} // namespace wk::kernel::proc
