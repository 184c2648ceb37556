#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "kernel/drivers/virtio/virtqueue.h"

namespace wk::kernel::drivers::virtio {
namespace {

TEST(SplitRingLayout, OffsetsFollowTheSpec)
{
    auto layout = SplitRingLayout::for_size(8);
    ASSERT_TRUE(layout);
    EXPECT_EQ(layout->available_offset, 128u);            // 16 * 8
    EXPECT_EQ(layout->used_offset, 128u + 24u);           // 128 + (6 + 2 * 8) = 150, 4-aligned
    EXPECT_EQ(layout->total_bytes, 152u + 6u + 8u * 8u); // used: flags, idx, 8 entries, event
    EXPECT_FALSE(SplitRingLayout::for_size(0));
    EXPECT_FALSE(SplitRingLayout::for_size(12));
    EXPECT_FALSE(SplitRingLayout::for_size(512));
}

TEST(SplitRing, DistanceWrapsAtSixteenBits)
{
    EXPECT_EQ(ring_distance(0xFFFE, 0x0001), 3);
    EXPECT_EQ(ring_distance(5, 5), 0);
    EXPECT_EQ(ring_distance(0, 0xFFFF), 0xFFFF);
}

// The device side of a queue in plain memory, for the tests: it reads the available ring and
// completes entries in whatever order the test asks.
struct QueueHarness {
    explicit QueueHarness(u16 size)
        : layout(*SplitRingLayout::for_size(size))
        , memory(layout.total_bytes)
    {
        queue.initialize(layout, memory.data(), reinterpret_cast<u64>(memory.data()));
    }
    u16 available_index() { return read16(layout.available_offset + 2); }
    u16 available_entry(u16 index) { return read16(layout.available_offset + 4 + 2 * (index % layout.size)); }
    const Descriptor& descriptor(u16 index) { return reinterpret_cast<const Descriptor*>(memory.data())[index]; }
    void complete(u32 id, u32 length)
    {
        u16 slot = used_index % layout.size;
        std::memcpy(memory.data() + layout.used_offset + 4 + 8 * slot, &id, 4);
        std::memcpy(memory.data() + layout.used_offset + 8 + 8 * slot, &length, 4);
        ++used_index;
        std::memcpy(memory.data() + layout.used_offset + 2, &used_index, 2);
    }
    u16 read16(usize offset)
    {
        u16 value;
        std::memcpy(&value, memory.data() + offset, 2);
        return value;
    }

    SplitRingLayout layout;
    std::vector<u8> memory;
    SplitVirtqueue queue;
    u16 used_index { 0 };
};

TEST(SplitRing, ChainsAreLinkedAndPublished)
{
    QueueHarness harness(8);
    Segment chain[] = { { 0x1000, 16, false }, { 0x2000, 512, true }, { 0x3000, 1, true } };
    auto head = harness.queue.add_chain(chain);
    ASSERT_TRUE(head);
    EXPECT_EQ(harness.available_index(), 0) << "not visible before publish";
    harness.queue.publish();
    EXPECT_EQ(harness.available_index(), 1);
    EXPECT_EQ(harness.available_entry(0), *head);
    const Descriptor& first = harness.descriptor(*head);
    EXPECT_EQ(first.address, 0x1000u);
    EXPECT_EQ(first.flags, kDescriptorNext);
    const Descriptor& second = harness.descriptor(first.next);
    EXPECT_EQ(second.length, 512u);
    EXPECT_EQ(second.flags, kDescriptorNext | kDescriptorDeviceWrites);
    const Descriptor& third = harness.descriptor(second.next);
    EXPECT_EQ(third.flags, kDescriptorDeviceWrites);
    EXPECT_EQ(harness.queue.free_descriptors(), 5);
}

TEST(SplitRing, FullQueueAndOutOfOrderCompletion)
{
    QueueHarness harness(8);
    Segment pair[] = { { 0x1000, 16, false }, { 0x3000, 1, true } };
    u16 heads[4];
    for (auto& head : heads)
        head = *harness.queue.add_chain(pair);
    auto full = harness.queue.add_chain(pair);
    ASSERT_FALSE(full);
    EXPECT_EQ(full.error().kind(), ErrorKind::OutOfMemory);
    harness.queue.publish();
    harness.complete(heads[2], 1);
    harness.complete(heads[0], 1);
    auto first = harness.queue.take_used();
    ASSERT_TRUE(first && *first);
    EXPECT_EQ((*first)->head, heads[2]);
    auto second = harness.queue.take_used();
    ASSERT_TRUE(second && *second);
    EXPECT_EQ((*second)->head, heads[0]);
    auto none = harness.queue.take_used();
    ASSERT_TRUE(none);
    EXPECT_FALSE(*none);
    EXPECT_EQ(harness.queue.free_descriptors(), 4);
    EXPECT_TRUE(harness.queue.add_chain(pair));
    EXPECT_TRUE(harness.queue.add_chain(pair));
}

// Runs the free-running indices through several 16-bit wraps.
TEST(SplitRing, IndicesWrapAround)
{
    QueueHarness harness(4);
    Segment single[] = { { 0x1000, 8, true } };
    for (u32 round = 0; round < 70000; ++round) {
        auto head = harness.queue.add_chain(single);
        ASSERT_TRUE(head) << round;
        harness.queue.publish();
        ASSERT_EQ(harness.available_entry(static_cast<u16>(round)), *head);
        harness.complete(*head, 8);
        auto used = harness.queue.take_used();
        ASSERT_TRUE(used && *used) << round;
        ASSERT_EQ((*used)->head, *head);
    }
    EXPECT_EQ(harness.queue.free_descriptors(), 4);
    EXPECT_EQ(harness.available_index(), static_cast<u16>(70000));
}

TEST(SplitRing, HostileUsedEntriesAreRefused)
{
    QueueHarness harness(8);
    Segment single[] = { { 0x1000, 8, true } };
    u16 head = *harness.queue.add_chain(single);
    harness.queue.publish();
    harness.complete(7, 8); // never handed out
    auto stray = harness.queue.take_used();
    ASSERT_FALSE(stray);
    EXPECT_EQ(stray.error().kind(), ErrorKind::Malformed);

    QueueHarness too_many(8);
    u16 only = *too_many.queue.add_chain(single);
    too_many.queue.publish();
    too_many.complete(only, 8);
    too_many.complete(only, 8);
    EXPECT_FALSE(too_many.queue.take_used()) << "two completions for one chain in flight";

    QueueHarness out_of_range(8);
    (void)*out_of_range.queue.add_chain(single);
    out_of_range.queue.publish();
    out_of_range.complete(0x10000 + head, 8);
    EXPECT_FALSE(out_of_range.queue.take_used());
}

} // namespace
} // namespace wk::kernel::drivers::virtio
