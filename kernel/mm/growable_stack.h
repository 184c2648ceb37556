#pragma once

#include "base/result.h"
#include "base/types.h"

// Stacks that grow on demand, for process threads (kernel/proc/process_stack.h): each lives
// at the top of its own 512 MiB slot of the growable-stack region (docs/boot-and-machine-state.md,
// "Virtual address space"); only [bottom, top) is mapped, and everything below `bottom` in
// the slot stays unmapped, so at least 252 MiB of guard lie below the deepest stack.
// Callers serialise (one CPU: interrupts off, or the process thread that owns the stack).
namespace wk::kernel::mm {

struct GrowableStack {
    u64 floor { 0 };  // lowest address the stack may ever map
    u64 bottom { 0 }; // lowest mapped address
    u64 top { 0 };
    usize mapped_bytes() const { return top - bottom; }
};

// Largest `max_bytes` a stack may have (a 256 MiB process stack with its reserve and initial
// pages); the rest of the slot, over 250 MiB, is guard.
inline constexpr u64 kGrowableStackMaxBytes = u64 { 260 } << 20;
// Slots in the region (1 TiB of address space).
inline constexpr usize kGrowableStackSlots = 2048;

// Reserves a slot for a stack of at most `max_bytes` (page multiple, at most
// kGrowableStackMaxBytes) and maps its top `initial_bytes` (page multiple, at most
// max_bytes) with zeroed frames. OutOfMemory when the region or the frames run out.
Result<GrowableStack> reserve_growable_stack(u64 max_bytes, u64 initial_bytes);
// Maps zeroed frames for [new_bottom, stack.bottom); `new_bottom` page aligned and at least
// `floor`. On failure nothing more is mapped and `stack` is unchanged.
Result<void> grow_stack(GrowableStack& stack, u64 new_bottom);
// Unmaps [stack.bottom, new_bottom) and frees its frames (the pages must be dead). The page
// tables stay until free_unused_stack_tables.
void shrink_stack(GrowableStack& stack, u64 new_bottom);
// Frees the page tables below `stack.bottom` that map nothing any more, so that a kept stack
// holds only what it maps (and free-frame counts compared across runs stay equal).
void free_unused_stack_tables(const GrowableStack& stack);
// Unmaps everything, frees the frames and page tables and makes the slot reusable.
void release_growable_stack(const GrowableStack& stack);
// Slots in use (for the console and tests).
usize growable_stacks_in_use();

} // namespace wk::kernel::mm
