#pragma once

#include "base/result.h"
#include "base/types.h"
#include "kernel/boot/boot_info.h"
#include "kernel/mm/frame_allocator.h"

// The kernel's memory: the global frame allocator, the kernel address space (direct map and
// W^X image mappings), kernel stacks with guard pages, and the heap behind new/delete.
namespace wk::kernel::mm {

// Sets up the frame allocator from the boot memory map, keeping out the first MiB, the kernel
// image and the boot information.
Result<void> initialize_frames(const boot::BootInfo& info);
// Builds the final kernel page tables and switches to them; drops the boot identity map.
Result<void> initialize_address_space(const boot::BootInfo& info);
// Creates the kernel heap; new/delete work afterwards. `cookie` (boot entropy) salts the
// heap's header checks so that forged headers are unlikely to pass.
void initialize_heap(u64 cookie);

// The frame allocator, behind its lock: every call below takes it (an x86_64::IrqSpinLock, so
// any CPU and interrupt handler may call them). Lock order: the kernel stack slots, the heap,
// the frames, the log ring.
u64 total_frame_count();
u64 free_frame_count();
// True when the frame holding `physical` is handed out now.
bool is_frame_allocated(u64 physical);
// Half of the memory free now, at most `cap` bytes: what one consumer that grows on demand (a
// process's linear memory, the RAM file system) may take, so that it cannot starve the rest
// of the kernel.
u64 half_of_free_memory(u64 cap);
Result<u64> allocate_frame();
// Zeroed after the lock is let go.
Result<u64> allocate_zeroed_frame();
// `count` frames in a row, the first one's frame number a multiple of `align_frames`
// (FrameAllocator::allocate_contiguous).
Result<u64> allocate_frames(usize count, usize align_frames);
// A checked free (FrameAllocator::free_contiguous): DoubleFree or OutOfRange leave every
// frame as it was.
Result<void> release_frames(u64 physical, usize count);
// Panics when the frame allocator refuses the free.
void free_frame(u64 physical);

struct KernelStack {
    u64 bottom; // lowest usable address; the page below it is an unmapped guard
    u64 top;
};
// Allocates a stack (at most 1 MiB less its guard page: 255 pages) in the kernel stack region
// with an unmapped guard page below it. Any CPU may call it: the slots, and the page tables of
// the region, are behind the kernel stack lock, held while the stack is mapped (sizes are the
// kernel's own, never a guest's). NOTE: freeing flushes only this CPU's TLB (no shootdown
// yet), so a stack must be freed on the CPU that used it.
Result<KernelStack> allocate_kernel_stack(usize size);
// Unmaps the stack, frees its frames and makes its slot reusable.
void free_kernel_stack(const KernelStack& stack);

// Kernel image bounds, from linker.ld.
bool is_kernel_text(u64 virt);

struct HeapStatistics {
    usize bytes_in_use;
    usize pages_held;
    usize peak_bytes_in_use; // since reset_heap_peak()
};
HeapStatistics heap_statistics();
// Gives the heap's spare empty slabs (one kept per size class) back to the frame allocator,
// so that free-frame counts compared across runs measure leaks, not what the heap caches.
void trim_heap();
void reset_heap_peak();
// Allocation that reports failure instead of panicking, for callers that can recover. The heap
// is behind its lock (an x86_64::IrqSpinLock) in every call here, new and delete included.
Result<void*> try_allocate(usize size, usize alignment);
Result<void> try_free(void* pointer);

} // namespace wk::kernel::mm
