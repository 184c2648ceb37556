#include "kernel/mm/growable_stack.h"

#include "kernel/arch/x86_64/paging.h"
#include "kernel/debug/panic.h"
#include "kernel/mm/memory.h"

namespace wk::kernel::mm {

using namespace x86_64;

namespace {

constexpr u64 kRegionBase = 0xFFFFFC0000000000ull;
constexpr u64 kSlotSize = u64 { 512 } << 20;
static_assert(kGrowableStackMaxBytes + (u64 { 252 } << 20) <= kSlotSize);
static_assert(kRegionBase + kGrowableStackSlots * kSlotSize <= 0xFFFFFD0000000000ull,
              "the region ends where the paging tests' scratch range starts");

u64 g_slots_used[kGrowableStackSlots / 64];
usize g_in_use;

// Maps zeroed frames for [from, to); on failure unmaps what it mapped.
Result<void> map_range(u64 from, u64 to)
{
    auto tables = PageTables::current();
    for (u64 page = from; page < to; page += kPageSize) {
        auto frame = allocate_zeroed_frame();
        Result<void> mapped = frame ? tables.map(page, *frame, kPageWritable | kPageNoExecute | kPageGlobal)
                                    : Result<void>(frame.error());
        if (!mapped) {
            if (frame)
                free_frame(*frame);
            for (u64 done = from; done < page; done += kPageSize)
                free_frame(MUST(tables.unmap(done)));
            return mapped.error();
        }
    }
    return {};
}

void unmap_range(u64 from, u64 to)
{
    auto tables = PageTables::current();
    for (u64 page = from; page < to; page += kPageSize)
        free_frame(MUST(tables.unmap(page)));
}

} // namespace

Result<GrowableStack> reserve_growable_stack(u64 max_bytes, u64 initial_bytes)
{
    if (max_bytes == 0 || max_bytes > kGrowableStackMaxBytes || initial_bytes == 0 || initial_bytes > max_bytes
        || (max_bytes | initial_bytes) % kPageSize != 0)
        return Error::from("growable stack size out of range", ErrorKind::OutOfRange);
    usize slot = kGrowableStackSlots;
    for (usize word = 0; word < kGrowableStackSlots / 64; ++word) {
        if (~g_slots_used[word]) {
            slot = word * 64 + static_cast<usize>(__builtin_ctzll(~g_slots_used[word]));
            break;
        }
    }
    if (slot == kGrowableStackSlots)
        return Error::from("growable stack region exhausted", ErrorKind::OutOfMemory);
    GrowableStack stack;
    stack.top = kRegionBase + (slot + 1) * kSlotSize;
    stack.floor = stack.top - max_bytes;
    stack.bottom = stack.top - initial_bytes;
    TRY(map_range(stack.bottom, stack.top));
    g_slots_used[slot / 64] |= 1ull << (slot % 64);
    ++g_in_use;
    return stack;
}

Result<void> grow_stack(GrowableStack& stack, u64 new_bottom)
{
    if (new_bottom % kPageSize != 0 || new_bottom < stack.floor)
        return Error::from("stack growth beyond its limit", ErrorKind::OutOfRange);
    if (new_bottom >= stack.bottom)
        return {};
    TRY(map_range(new_bottom, stack.bottom));
    stack.bottom = new_bottom;
    return {};
}

void shrink_stack(GrowableStack& stack, u64 new_bottom)
{
    WK_ASSERT(new_bottom % kPageSize == 0 && new_bottom <= stack.top);
    if (new_bottom <= stack.bottom)
        return;
    unmap_range(stack.bottom, new_bottom);
    stack.bottom = new_bottom;
}

void free_unused_stack_tables(const GrowableStack& stack)
{
    u64 slot_base = stack.top - kSlotSize;
    PageTables::current().free_empty_tables(slot_base, stack.bottom - slot_base);
}

void release_growable_stack(const GrowableStack& stack)
{
    u64 slot = (stack.top - kRegionBase) / kSlotSize - 1;
    WK_ASSERT(stack.top > kRegionBase && slot < kGrowableStackSlots);
    WK_ASSERT(g_slots_used[slot / 64] & (1ull << (slot % 64)));
    unmap_range(stack.bottom, stack.top);
    PageTables::current().free_empty_tables(stack.top - kSlotSize, kSlotSize);
    g_slots_used[slot / 64] &= ~(1ull << (slot % 64));
    --g_in_use;
}

usize growable_stacks_in_use() { return g_in_use; }

} // namespace wk::kernel::mm
