#include "kernel/arch/x86_64/paging.h"
#include "kernel/debug/ktest.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/memory.h"

namespace wk::kernel::mm {

KERNEL_TEST(frame_allocator_allocate_and_free)
{
    u64 free_before = free_frame_count();
    auto a = allocate_frame();
    auto b = allocate_frame();
    KEXPECT(a.has_value() && b.has_value());
    if (!a || !b)
        return;
    KEXPECT(*a != *b);
    KEXPECT_EQ(*a % kFrameSize, 0u);
    KEXPECT(is_frame_allocated(*a));
    KEXPECT_EQ(free_frame_count(), free_before - 2);
    KEXPECT(release_frames(*a, 1).has_value());
    KEXPECT(release_frames(*b, 1).has_value());
    KEXPECT_EQ(free_frame_count(), free_before);
}

KERNEL_TEST(frame_allocator_catches_double_free_and_bad_addresses)
{
    auto frame = allocate_frame();
    KEXPECT(frame.has_value());
    if (!frame)
        return;
    KEXPECT(release_frames(*frame, 1).has_value());
    auto again = release_frames(*frame, 1);
    KEXPECT(!again && again.error().kind() == ErrorKind::DoubleFree);
    auto unaligned = release_frames(*frame + 8, 1);
    KEXPECT(!unaligned && unaligned.error().kind() == ErrorKind::OutOfRange);
    auto kernel_image = release_frames(0x200000, 1);
    KEXPECT(!kernel_image);
    auto beyond = release_frames(1ull << 50, 1);
    KEXPECT(!beyond && beyond.error().kind() == ErrorKind::OutOfRange);
}

// Takes every free frame, chaining them through the direct map (no heap needed), checks that
// the next allocation reports exhaustion, then gives them all back.
KERNEL_TEST(frame_allocator_exhaustion_and_recovery)
{
    u64 free_before = free_frame_count();
    u64 head = 0;
    u64 taken = 0;
    for (;;) {
        auto frame = allocate_frame();
        if (!frame) {
            KEXPECT(frame.error().kind() == ErrorKind::OutOfMemory);
            break;
        }
        *static_cast<u64*>(x86_64::phys_to_virt(*frame)) = head;
        head = *frame;
        ++taken;
    }
    KEXPECT_EQ(taken, free_before);
    KEXPECT_EQ(free_frame_count(), 0u);
    while (head) {
        u64 next = *static_cast<u64*>(x86_64::phys_to_virt(head));
        KEXPECT(release_frames(head, 1).has_value());
        head = next;
    }
    KEXPECT_EQ(free_frame_count(), free_before);
}

KERNEL_TEST(frame_allocator_contiguous_alignment)
{
    auto run = allocate_frames(16, 16);
    KEXPECT(run.has_value());
    if (!run)
        return;
    KEXPECT_EQ(*run % (16 * kFrameSize), 0u);
    KEXPECT(release_frames(*run, 16).has_value());
    KEXPECT(!release_frames(*run, 16));
}

KERNEL_TEST(heap_new_delete_and_statistics)
{
    auto before = heap_statistics();
    int* numbers = new int[1000];
    for (int i = 0; i < 1000; ++i)
        numbers[i] = i * 3;
    long sum = 0;
    for (int i = 0; i < 1000; ++i)
        sum += numbers[i];
    KEXPECT_EQ(sum, 1498500L);
    KEXPECT(heap_statistics().bytes_in_use > before.bytes_in_use);
    delete[] numbers;

    struct alignas(256) Aligned {
        u8 bytes[300];
    };
    auto* aligned = new Aligned;
    KEXPECT_EQ(reinterpret_cast<uptr>(aligned) % 256, 0u);
    delete aligned;
    KEXPECT_EQ(heap_statistics().bytes_in_use, before.bytes_in_use);
}

KERNEL_TEST(heap_sizes_from_small_to_large)
{
    auto before = heap_statistics();
    void* blocks[24];
    usize sizes[24];
    for (usize i = 0; i < 24; ++i) {
        sizes[i] = (1u << (i % 18)) + i;
        auto block = try_allocate(sizes[i], 16);
        KEXPECT(block.has_value());
        blocks[i] = block ? *block : nullptr;
        if (blocks[i])
            __builtin_memset(blocks[i], static_cast<int>(i), sizes[i]);
    }
    for (usize i = 0; i < 24; ++i) {
        if (!blocks[i])
            continue;
        auto* bytes = static_cast<u8*>(blocks[i]);
        KEXPECT(bytes[0] == i && bytes[sizes[i] - 1] == i);
        KEXPECT(try_free(blocks[i]).has_value());
    }
    KEXPECT_EQ(heap_statistics().bytes_in_use, before.bytes_in_use);
}

KERNEL_TEST(heap_catches_double_free_and_foreign_pointers)
{
    auto block = try_allocate(64, 16);
    KEXPECT(block.has_value());
    if (!block)
        return;
    KEXPECT(try_free(*block).has_value());
    auto again = try_free(*block);
    KEXPECT(!again && again.error().kind() == ErrorKind::DoubleFree);
    u64 on_stack = 0;
    KEXPECT(!try_free(&on_stack));
}

KERNEL_TEST(heap_exhaustion_is_an_error)
{
    auto huge = try_allocate(1ull << 40, 16);
    KEXPECT(!huge && huge.error().kind() == ErrorKind::OutOfMemory);
    // The heap still works afterwards.
    auto small = try_allocate(32, 16);
    KEXPECT(small.has_value());
    if (small)
        KEXPECT(try_free(*small).has_value());
}

KERNEL_TEST(kernel_stack_has_guard_page)
{
    auto stack = allocate_kernel_stack(8192);
    KEXPECT(stack.has_value());
    if (!stack)
        return;
    auto tables = x86_64::PageTables::current();
    KEXPECT(tables.translate(stack->bottom).has_value());
    KEXPECT(tables.translate(stack->top - 8).has_value());
    KEXPECT(!tables.translate(stack->bottom - 8).has_value());
}

} // namespace wk::kernel::mm
