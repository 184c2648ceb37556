#include "kernel/mm/memory.h"

#include <algorithm>
#include <new>

#include "kernel/arch/x86_64/boot_constants.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/irq_spin_lock.h"
#include "kernel/arch/x86_64/paging.h"
#include "kernel/debug/log.h"
#include "kernel/debug/panic.h"
#include "kernel/mm/heap.h"

extern "C" {
extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[], __ksyms_start[], __kernel_end[];
extern char boot_stack_guard[];
}

namespace wk::kernel::mm {

using namespace x86_64;

namespace {

// Lock order (docs/boot-and-machine-state.md, "SMP"): g_stack_lock, g_heap_lock, g_frames_lock,
// then the log ring's. Each is an IrqSpinLock: any CPU, and interrupt handlers, may allocate.
constinit IrqSpinLock g_stack_lock;
constinit IrqSpinLock g_heap_lock;
constinit IrqSpinLock g_frames_lock;
constinit FrameAllocator g_frames WK_GUARDED_BY(g_frames_lock);

// Kernel stacks live in fixed-size slots of their own region; the lowest page of each slot
// stays unmapped, so every stack has a guard page below it.
constexpr u64 kStackRegionBase = 0xFFFFFE0000000000ull;
constexpr u64 kStackSlotSize = 1024 * 1024; // room for process threads (kernel/proc)
constexpr usize kStackSlotCount = 16384;
u64 g_stack_slots_used[kStackSlotCount / 64] WK_GUARDED_BY(g_stack_lock);
// End of the highest usable RAM, capped so that the direct map stays inside its 64 TiB slot.
u64 g_physical_top;
constexpr u64 kDirectMapLimit = 1ull << 40;

u64 image_physical(const char* virt) { return reinterpret_cast<u64>(virt) - KERNEL_VMA; }
u64 image_virtual(const char* virt) { return reinterpret_cast<u64>(virt); }

void* direct_map(u64 physical) { return phys_to_virt(physical); }

Result<void> map_image_range(PageTables& tables, const char* start, const char* end, u64 flags)
{
    for (u64 virt = image_virtual(start); virt < image_virtual(end); virt += kPageSize) {
        if (virt == image_virtual(boot_stack_guard))
            continue; // the boot stack's guard page stays unmapped
        TRY(tables.map(virt, virt - KERNEL_VMA, flags));
    }
    return {};
}

// The heap's pages: called under g_heap_lock, takes g_frames_lock.
class FramePageSource final : public PageSource {
public:
    Result<void*> allocate_pages(usize count) override
    {
        u64 physical = TRY(allocate_frames(count, 1));
        return direct_map(physical);
    }
    void free_pages(void* pointer, usize count) override
    {
        u64 physical = reinterpret_cast<u64>(pointer) - DIRECT_MAP_BASE;
        if (auto result = release_frames(physical, count); !result)
            debug::panic("heap returned pages the frame allocator refuses: {}", result.error().message());
    }
};

constinit FramePageSource g_page_source;
alignas(Heap) u8 g_heap_storage[sizeof(Heap)];
Heap* g_heap WK_GUARDED_BY(g_heap_lock);

} // namespace

u64 total_frame_count()
{
    IrqLockGuard guard { g_frames_lock };
    return g_frames.total_frames();
}

u64 free_frame_count()
{
    IrqLockGuard guard { g_frames_lock };
    return g_frames.free_frames();
}

bool is_frame_allocated(u64 physical)
{
    IrqLockGuard guard { g_frames_lock };
    return g_frames.is_allocated(physical);
}

u64 half_of_free_memory(u64 cap)
{
    u64 half = free_frame_count() * kFrameSize / 2;
    return half < cap ? half : cap;
}

Result<void> initialize_frames(const boot::BootInfo& info)
{
    MemoryRange reserved[] = {
        { 0, 1ull << 20 }, // real-mode area, BIOS data, boot trampolines
        { image_physical(__text_start) & ~(kPageSize - 1), image_physical(__kernel_end) - (image_physical(__text_start) & ~(kPageSize - 1)) },
        { 0x100000, 0x100000 }, // boot code and boot page tables (low image)
        { info.info_physical & ~(kPageSize - 1), info.info_size + kPageSize },
    };
    for (auto& range : info.usable_ranges()) {
        u64 end = range.base + range.length < range.base ? kDirectMapLimit : range.base + range.length;
        g_physical_top = std::max(g_physical_top, std::min(end, kDirectMapLimit));
    }
    // Boot modules (the initrd) stay allocated until their reader frees them.
    MemoryRange modules[boot::BootInfo::kMaxModules];
    for (usize i = 0; i < info.module_count; ++i)
        modules[i] = { info.modules[i].physical, info.modules[i].size };
    IrqLockGuard guard { g_frames_lock };
    return g_frames.initialize(info.usable_ranges(), reserved, direct_map, Span<const MemoryRange>(modules, info.module_count));
}

Result<u64> allocate_frame()
{
    IrqLockGuard guard { g_frames_lock };
    return g_frames.allocate();
}

Result<u64> allocate_zeroed_frame()
{
    u64 frame = TRY(allocate_frame());
    __builtin_memset(direct_map(frame), 0, kPageSize);
    return frame;
}

Result<u64> allocate_frames(usize count, usize align_frames)
{
    IrqLockGuard guard { g_frames_lock };
    return g_frames.allocate_contiguous(count, align_frames);
}

Result<void> release_frames(u64 physical, usize count)
{
    IrqLockGuard guard { g_frames_lock };
    return g_frames.free_contiguous(physical, count);
}

void free_frame(u64 physical)
{
    if (auto result = release_frames(physical, 1); !result)
        debug::panic("free_frame({:#x}): {}", physical, result.error().message());
}

Result<void> initialize_address_space(const boot::BootInfo& info)
{
    auto tables = TRY(PageTables::create());

    // Direct map of physical memory: the first 4 GiB (RAM and MMIO holes) and any RAM above.
    u64 top = std::max<u64>(4ull << 30, (g_physical_top + kHugePageSize - 1) & ~(kHugePageSize - 1));
    // Anything that is not RAM (the local APIC, IOAPIC, PCI holes) is mapped uncached.
    auto overlaps_ram = [&](u64 phys) {
        for (auto& range : info.usable_ranges()) {
            if (range.base < phys + kHugePageSize && phys < range.base + range.length)
                return true;
        }
        return false;
    };
    for (u64 phys = 0; phys < top; phys += kHugePageSize) {
        u64 caching = overlaps_ram(phys) ? 0 : (kPageCacheDisable | kPageWriteThrough);
        TRY(tables.map_huge(DIRECT_MAP_BASE + phys, phys, kPageWritable | kPageNoExecute | kPageGlobal | caching));
    }

    // The kernel image, one permission per section (W^X).
    TRY(map_image_range(tables, __text_start, __text_end, kPageGlobal));
    TRY(map_image_range(tables, __rodata_start, __rodata_end, kPageGlobal | kPageNoExecute));
    TRY(map_image_range(tables, __data_start, __data_end, kPageGlobal | kPageWritable | kPageNoExecute));
    TRY(map_image_range(tables, __ksyms_start, __kernel_end, kPageGlobal | kPageNoExecute));

    tables.activate();
    return {};
}

Result<KernelStack> allocate_kernel_stack(usize size)
{
    usize pages = (size + kPageSize - 1) / kPageSize;
    if (pages == 0 || (pages + 1) * kPageSize > kStackSlotSize)
        return Error::from("kernel stack size out of range", ErrorKind::OutOfRange);
    // Lowest free slot first, so that slots (and the page tables under them) get reused. The
    // lock covers the mapping too: neighbouring slots share page tables.
    IrqLockGuard guard { g_stack_lock };
    usize slot = kStackSlotCount;
    for (usize word = 0; word < kStackSlotCount / 64; ++word) {
        if (~g_stack_slots_used[word]) {
            slot = word * 64 + static_cast<usize>(__builtin_ctzll(~g_stack_slots_used[word]));
            break;
        }
    }
    if (slot == kStackSlotCount)
        return Error::from("kernel stack region exhausted", ErrorKind::OutOfMemory);
    // The slot's lowest page stays unmapped: the guard. The stack sits at the slot's top.
    u64 top = kStackRegionBase + (slot + 1) * kStackSlotSize;
    u64 bottom = top - pages * kPageSize;
    auto tables = PageTables::current();
    for (usize i = 0; i < pages; ++i) {
        auto frame = allocate_zeroed_frame();
        Result<void> mapped = frame ? tables.map(bottom + i * kPageSize, *frame, kPageWritable | kPageNoExecute | kPageGlobal)
                                    : Result<void>(frame.error());
        if (!mapped) {
            if (frame)
                free_frame(*frame);
            for (usize j = 0; j < i; ++j)
                free_frame(MUST(tables.unmap(bottom + j * kPageSize)));
            return mapped.error();
        }
    }
    g_stack_slots_used[slot / 64] |= 1ull << (slot % 64);
    return KernelStack { bottom, top };
}

void free_kernel_stack(const KernelStack& stack)
{
    u64 slot = (stack.top - kStackRegionBase) / kStackSlotSize - 1;
    WK_ASSERT(stack.top > kStackRegionBase && slot < kStackSlotCount);
    IrqLockGuard guard { g_stack_lock };
    WK_ASSERT(g_stack_slots_used[slot / 64] & (1ull << (slot % 64)));
    auto tables = PageTables::current();
    for (u64 page = stack.bottom; page < stack.top; page += kPageSize)
        free_frame(MUST(tables.unmap(page)));
    g_stack_slots_used[slot / 64] &= ~(1ull << (slot % 64));
}

bool is_kernel_text(u64 virt)
{
    return virt >= image_virtual(__text_start) && virt < image_virtual(__text_end);
}

void initialize_heap(u64 cookie)
{
    IrqLockGuard guard { g_heap_lock };
    g_heap = new (g_heap_storage) Heap(g_page_source, cookie);
}

Result<void*> try_allocate(usize size, usize alignment)
{
    IrqLockGuard guard { g_heap_lock };
    if (!g_heap)
        return Error::from("heap used before initialisation", ErrorKind::OutOfMemory);
    return g_heap->allocate(size, alignment);
}

Result<void> try_free(void* pointer)
{
    IrqLockGuard guard { g_heap_lock };
    if (!g_heap)
        return Error::from("heap used before initialisation", ErrorKind::OutOfRange);
    return g_heap->free(pointer);
}

void trim_heap()
{
    IrqLockGuard guard { g_heap_lock };
    if (g_heap)
        g_heap->trim();
}

HeapStatistics heap_statistics()
{
    IrqLockGuard guard { g_heap_lock };
    if (!g_heap)
        return {};
    return { g_heap->bytes_in_use(), g_heap->pages_held(), g_heap->peak_bytes_in_use() };
}

void reset_heap_peak()
{
    IrqLockGuard guard { g_heap_lock };
    if (g_heap)
        g_heap->reset_peak();
}

} // namespace wk::kernel::mm
