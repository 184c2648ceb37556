#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/paging.h"
#include "kernel/debug/ktest.h"
#include "kernel/mm/growable_stack.h"
#include "kernel/mm/memory.h"

namespace wk::kernel::mm {

// Reserve, grow to the floor, refuse past it, shrink and release: the pages are mapped only
// where the stack is, zeroed when they come, and every frame (page tables included) goes back.
KERNEL_TEST(growable_stack_grows_to_its_floor_and_gives_everything_back)
{
    x86_64::InterruptDisabler guard;
    // The region's top-level table stays once made (its entries are shared): make it first.
    if (auto warm = reserve_growable_stack(4096, 4096))
        release_growable_stack(*warm);
    u64 free_before = free_frame_count();
    auto tables = x86_64::PageTables::current();
    {
        auto reserved = reserve_growable_stack(4ull << 20, 64 * 1024);
        KEXPECT(reserved.has_value());
        if (!reserved)
            return;
        GrowableStack stack = *reserved;
        KEXPECT_EQ(stack.top - stack.floor, 4ull << 20);
        KEXPECT_EQ(stack.mapped_bytes(), 64u * 1024);
        KEXPECT(tables.translate(stack.bottom).has_value());
        KEXPECT(!tables.translate(stack.bottom - 4096).has_value());
        KEXPECT(grow_stack(stack, stack.floor).has_value());
        KEXPECT_EQ(stack.bottom, stack.floor);
        KEXPECT_EQ(*static_cast<const u64*>(reinterpret_cast<const void*>(stack.floor)), 0u);
        KEXPECT(!tables.translate(stack.floor - 4096).has_value());
        auto past = grow_stack(stack, stack.floor - 4096);
        KEXPECT(!past);
        KEXPECT_EQ(stack.bottom, stack.floor);
        shrink_stack(stack, stack.top - 8192);
        free_unused_stack_tables(stack);
        KEXPECT_EQ(stack.mapped_bytes(), 8192u);
        KEXPECT(!tables.translate(stack.floor).has_value());
        release_growable_stack(stack);
        KEXPECT(!tables.translate(stack.top - 4096).has_value());
    }
    KEXPECT(!reserve_growable_stack(kGrowableStackMaxBytes + 4096, 4096));
    KEXPECT(!reserve_growable_stack(8192, 16384));
    KEXPECT_EQ(free_frame_count(), free_before);
}

} // namespace wk::kernel::mm
