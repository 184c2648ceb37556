#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <set>
#include <vector>

#include "kernel/mm/frame_allocator.h"

using namespace wk;
using namespace wk::kernel::mm;

namespace {

// Fake physical memory: physical address p is g_memory + p. The allocator only ever
// touches its own bitmaps, so usable ranges may extend past the buffer as long as the
// bitmaps land inside it.
constexpr u64 kFakeSize = 16 * 1024 * 1024;
u8* g_memory = nullptr;

void* fake_phys_to_virt(PhysAddr address)
{
    if (address >= kFakeSize)
        return nullptr;
    return g_memory + address;
}

class FrameAllocatorTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        g_memory = static_cast<u8*>(std::aligned_alloc(4096, kFakeSize));
        std::memset(g_memory, 0xa5, kFakeSize);
    }
    void TearDown() override
    {
        std::free(g_memory);
        g_memory = nullptr;
    }
};

bool overlaps(u64 a_first, u64 a_end, u64 b_first, u64 b_end)
{
    return a_first < b_end && b_first < a_end;
}

u64 range_end(const MemoryRange& r)
{
    u64 end = r.base + r.length;
    return end < r.base ? ~u64 { 0 } : end;
}

// The frames a correct allocator may hand out, computed the slow way.
std::set<PhysAddr> expected_frames(const std::vector<MemoryRange>& usable,
                                   const std::vector<MemoryRange>& reserved, MemoryRange metadata,
                                   u64 limit)
{
    std::set<PhysAddr> frames;
    for (u64 address = 0; address < limit; address += kFrameSize) {
        u64 end = address + kFrameSize;
        bool inside = false;
        for (auto& r : usable)
            inside |= r.length != 0 && r.base <= address && end <= range_end(r);
        bool taken = address == 0 || overlaps(address, end, metadata.base, metadata.base + metadata.length);
        for (auto& r : reserved)
            taken |= r.length != 0 && overlaps(address, end, r.base, range_end(r));
        if (inside && !taken)
            frames.insert(address);
    }
    return frames;
}

std::set<PhysAddr> drain(FrameAllocator& allocator)
{
    std::set<PhysAddr> frames;
    while (true) {
        auto frame = allocator.allocate();
        if (!frame) {
            EXPECT_EQ(frame.error().kind(), ErrorKind::OutOfMemory);
            break;
        }
        EXPECT_EQ(*frame % kFrameSize, 0u);
        EXPECT_TRUE(frames.insert(*frame).second) << "frame handed out twice: " << *frame;
    }
    return frames;
}

TEST_F(FrameAllocatorTest, SimpleMapHandsOutEveryFrameOnceThenRunsOut)
{
    std::vector<MemoryRange> usable { { 0, 8 * 1024 * 1024 } };
    FrameAllocator allocator;
    ASSERT_TRUE(allocator.initialize(usable, {}, fake_phys_to_virt));
    auto expected = expected_frames(usable, {}, allocator.metadata_range(), kFakeSize);
    EXPECT_EQ(allocator.total_frames(), expected.size());
    EXPECT_EQ(allocator.free_frames(), expected.size());
    EXPECT_GT(allocator.metadata_range().base, 0u);

    auto frames = drain(allocator);
    EXPECT_EQ(frames, expected);
    EXPECT_EQ(frames.count(0), 0u);
    EXPECT_EQ(allocator.free_frames(), 0u);
    EXPECT_EQ(allocator.used_frames(), expected.size());
    EXPECT_EQ(allocator.allocate_contiguous(1, 1).error().kind(), ErrorKind::OutOfMemory);

    for (auto frame : frames)
        ASSERT_TRUE(allocator.free(frame));
    EXPECT_EQ(allocator.free_frames(), expected.size());
    EXPECT_EQ(drain(allocator), expected);
}

TEST_F(FrameAllocatorTest, OddMemoryMapIsRespectedExactly)
{
    std::vector<MemoryRange> usable {
        { 0, 0x9fc00 },                           // unaligned end, includes frame 0
        { 0x100123, 0x300000 },                   // unaligned start
        { 0x200000, 0x200000 },                   // overlaps the previous one
        { 0x500000, 0 },                          // empty
        { 0x600800, 0x800 },                      // smaller than a frame once aligned
        { 0x700000, 0x100000 },
        { 0xfffffffffffff000ull, 0x10000 },       // wraps past 2^64
        { 0x9ff000, 0x600000 },
    };
    std::vector<MemoryRange> reserved {
        { 0x780000, 0x1 },          // one byte reserves its whole frame
        { 0x2ff800, 0x1000 },       // straddles two frames
        { 0xa00000, 0x10000 },
        { 0x50000000, 0 },          // empty
        { 0xffffffffff000000ull, 0x2000000 }, // wraps
    };
    FrameAllocator allocator;
    ASSERT_TRUE(allocator.initialize(usable, reserved, fake_phys_to_virt));
    auto metadata = allocator.metadata_range();
    for (auto& r : reserved)
        EXPECT_FALSE(r.length != 0 && overlaps(metadata.base, metadata.base + metadata.length, r.base, range_end(r)));

    auto expected = expected_frames(usable, reserved, metadata, kFakeSize);
    EXPECT_EQ(allocator.total_frames(), expected.size());
    EXPECT_EQ(drain(allocator), expected);
}

TEST_F(FrameAllocatorTest, BitmapAvoidsReservedRangesAndFrameZero)
{
    // A large span needs a multi-frame bitmap; the first usable range is too small and
    // the second starts with the kernel image.
    std::vector<MemoryRange> usable {
        { 0, 0x9f000 },
        { 0x100000, 0xf00000 },
        { 4ull << 30, 64ull << 30 },
    };
    std::vector<MemoryRange> reserved { { 0x100000, 0x100000 }, { 0x203000, 0x5000 } };
    FrameAllocator allocator;
    ASSERT_TRUE(allocator.initialize(usable, reserved, fake_phys_to_virt));
    auto metadata = allocator.metadata_range();
    EXPECT_GT(metadata.length, 0x9f000u);
    EXPECT_GE(metadata.base, 0x208000u);
    EXPECT_LE(metadata.base + metadata.length, 0x1000000u);

    u64 low_frames = 0x9f - 1 + 0xf00 - 0x100 - 5 - metadata.length / kFrameSize;
    EXPECT_EQ(allocator.total_frames(), low_frames + (64ull << 30) / kFrameSize);

    // The bitmap lies in the fake memory and marks the reserved kernel image as never free.
    EXPECT_EQ(allocator.free(0x100000).error().kind(), ErrorKind::OutOfRange);
    EXPECT_EQ(allocator.free(metadata.base).error().kind(), ErrorKind::OutOfRange);

    auto big = allocator.allocate_contiguous(4096, 512);
    ASSERT_TRUE(big);
    EXPECT_EQ(*big % (512 * kFrameSize), 0u);
    EXPECT_GE(*big, 4ull << 30);
    EXPECT_EQ(allocator.free_frames(), allocator.total_frames() - 4096);
    EXPECT_TRUE(allocator.free_contiguous(*big, 4096));
}

TEST_F(FrameAllocatorTest, HostileMapsFailCleanly)
{
    FrameAllocator a;
    EXPECT_EQ(a.initialize({}, {}, fake_phys_to_virt).error().kind(), ErrorKind::OutOfMemory);
    EXPECT_FALSE(a.is_initialized());

    std::vector<MemoryRange> tiny { { 0x1000, 0xfff }, { 0x5000, 0 } };
    EXPECT_EQ(a.initialize(tiny, {}, fake_phys_to_virt).error().kind(), ErrorKind::OutOfMemory);

    std::vector<MemoryRange> usable { { 0x1000, 0x100000 } };
    std::vector<MemoryRange> everything { { 0, ~u64 { 0 } } };
    EXPECT_EQ(a.initialize(usable, everything, fake_phys_to_virt).error().kind(), ErrorKind::OutOfMemory);
    EXPECT_EQ(a.initialize(usable, {}, nullptr).error().kind(), ErrorKind::Invalid);

    // Bitmap would have to live where phys_to_virt cannot reach.
    std::vector<MemoryRange> far { { 1ull << 40, 1ull << 30 } };
    EXPECT_EQ(a.initialize(far, {}, fake_phys_to_virt).error().kind(), ErrorKind::OutOfRange);

    // Only memory above the supported physical limit.
    std::vector<MemoryRange> above { { kMaxPhysAddr, 1ull << 30 } };
    EXPECT_EQ(a.initialize(above, {}, fake_phys_to_virt).error().kind(), ErrorKind::OutOfMemory);

    EXPECT_FALSE(a.is_initialized());
    EXPECT_EQ(a.allocate().error().kind(), ErrorKind::OutOfMemory);
    EXPECT_EQ(a.free(0x2000).error().kind(), ErrorKind::OutOfRange);

    ASSERT_TRUE(a.initialize(usable, {}, fake_phys_to_virt));
    EXPECT_EQ(a.initialize(usable, {}, fake_phys_to_virt).error().kind(), ErrorKind::Invalid);
    EXPECT_EQ(a.total_frames(), 0x100u - a.metadata_range().length / kFrameSize);
}

TEST_F(FrameAllocatorTest, BadFreesAreCaughtAndChangeNothing)
{
    std::vector<MemoryRange> usable { { 0, 0x100000 }, { 0x200000, 0x100000 } };
    std::vector<MemoryRange> reserved { { 0x50000, 0x1000 } };
    FrameAllocator allocator;
    ASSERT_TRUE(allocator.initialize(usable, reserved, fake_phys_to_virt));
    auto frame = allocator.allocate();
    ASSERT_TRUE(frame);
    u64 free_before = allocator.free_frames();

    auto kind = [&](Result<void> r) { return r ? ErrorKind::Generic : r.error().kind(); };
    EXPECT_EQ(kind(allocator.free(*frame + 8)), ErrorKind::OutOfRange);
    EXPECT_EQ(kind(allocator.free(0)), ErrorKind::OutOfRange);
    EXPECT_EQ(kind(allocator.free(0x50000)), ErrorKind::OutOfRange);
    EXPECT_EQ(kind(allocator.free(0x150000)), ErrorKind::OutOfRange); // gap between ranges
    EXPECT_EQ(kind(allocator.free(0x300000)), ErrorKind::OutOfRange); // past the end
    EXPECT_EQ(kind(allocator.free(~u64 { 0 } & ~0xfffull)), ErrorKind::OutOfRange);
    EXPECT_EQ(kind(allocator.free(allocator.metadata_range().base)), ErrorKind::OutOfRange);
    EXPECT_EQ(kind(allocator.free(0x2ff000)), ErrorKind::DoubleFree); // never allocated
    EXPECT_EQ(kind(allocator.free_contiguous(*frame, 0)), ErrorKind::Invalid);
    EXPECT_EQ(kind(allocator.free_contiguous(0x2ff000, ~usize { 0 })), ErrorKind::OutOfRange);
    EXPECT_EQ(allocator.free_frames(), free_before);
    EXPECT_TRUE(allocator.is_allocated(*frame));

    ASSERT_TRUE(allocator.free(*frame));
    EXPECT_FALSE(allocator.is_allocated(*frame));
    EXPECT_EQ(kind(allocator.free(*frame)), ErrorKind::DoubleFree);
    EXPECT_EQ(allocator.free_frames(), free_before + 1);
}

TEST_F(FrameAllocatorTest, FreedFrameIsReusedWhenItIsTheOnlyOne)
{
    std::vector<MemoryRange> usable { { 0x1000, 0x400000 } };
    FrameAllocator allocator;
    ASSERT_TRUE(allocator.initialize(usable, {}, fake_phys_to_virt));
    auto frames = drain(allocator);
    ASSERT_FALSE(frames.empty());
    for (auto frame : { *frames.begin(), *std::next(frames.begin(), frames.size() / 2), *frames.rbegin() }) {
        ASSERT_TRUE(allocator.free(frame));
        auto again = allocator.allocate();
        ASSERT_TRUE(again);
        EXPECT_EQ(*again, frame);
        EXPECT_EQ(allocator.allocate().error().kind(), ErrorKind::OutOfMemory);
    }
}

TEST_F(FrameAllocatorTest, ContiguousAllocationsAreAlignedAndAtomic)
{
    std::vector<MemoryRange> usable { { 0x1000, 0x3fff000 } };
    FrameAllocator allocator;
    ASSERT_TRUE(allocator.initialize(usable, {}, fake_phys_to_virt));

    auto kind = [](auto r) { return r ? ErrorKind::Generic : r.error().kind(); };
    EXPECT_EQ(kind(allocator.allocate_contiguous(0, 1)), ErrorKind::Invalid);
    EXPECT_EQ(kind(allocator.allocate_contiguous(1, 0)), ErrorKind::Invalid);
    EXPECT_EQ(kind(allocator.allocate_contiguous(1, 3)), ErrorKind::Invalid);
    EXPECT_EQ(kind(allocator.allocate_contiguous(~usize { 0 }, 1)), ErrorKind::OutOfMemory);
    EXPECT_EQ(kind(allocator.allocate_contiguous(1, usize { 1 } << 63)), ErrorKind::OutOfMemory);
    EXPECT_EQ(kind(allocator.allocate_contiguous(1, 1 << 14)), ErrorKind::OutOfMemory); // 64 MiB alignment

    std::set<PhysAddr> owned;
    std::vector<std::pair<PhysAddr, usize>> blocks;
    for (usize align : { 1, 2, 8, 64, 512 }) {
        for (usize count : { 1, 3, 17, 200 }) {
            auto block = allocator.allocate_contiguous(count, align);
            ASSERT_TRUE(block) << count << " " << align;
            EXPECT_EQ(*block % (align * kFrameSize), 0u);
            for (usize i = 0; i < count; ++i) {
                EXPECT_TRUE(owned.insert(*block + i * kFrameSize).second);
                EXPECT_TRUE(allocator.is_allocated(*block + i * kFrameSize));
            }
            blocks.push_back({ *block, count });
        }
    }
    EXPECT_EQ(allocator.used_frames(), owned.size());

    // A range with one free frame in it is refused without freeing the others.
    auto [first, count] = blocks.back();
    ASSERT_TRUE(allocator.free(first + kFrameSize));
    u64 free_before = allocator.free_frames();
    EXPECT_EQ(allocator.free_contiguous(first, count).error().kind(), ErrorKind::DoubleFree);
    EXPECT_EQ(allocator.free_frames(), free_before);
    EXPECT_TRUE(allocator.is_allocated(first));
    ASSERT_TRUE(allocator.free(first));
    ASSERT_TRUE(allocator.free_contiguous(first + 2 * kFrameSize, count - 2));
    blocks.pop_back();
    for (auto [address, n] : blocks)
        ASSERT_TRUE(allocator.free_contiguous(address, n));
    EXPECT_EQ(allocator.used_frames(), 0u);

    // Everything but one frame in the middle taken: a run of two cannot exist.
    auto frames = drain(allocator);
    auto middle = *std::next(frames.begin(), frames.size() / 2);
    ASSERT_TRUE(allocator.free(middle));
    EXPECT_EQ(allocator.allocate_contiguous(2, 1).error().kind(), ErrorKind::OutOfMemory);
    EXPECT_EQ(*allocator.allocate_contiguous(1, 1), middle);

    // Single free frames every 4097 (past whole full words and full summary words, at
    // every offset in a word) and one run of three near the end: the search, which moves
    // from one free frame to the next, finds the run and only it.
    std::vector<PhysAddr> sorted(frames.begin(), frames.end());
    for (usize i = 100; i + 10 < sorted.size(); i += 4097)
        ASSERT_TRUE(allocator.free(sorted[i]));
    usize run = sorted.size() - 7;
    ASSERT_EQ(sorted[run + 2], sorted[run] + 2 * kFrameSize);
    for (usize i = run; i < run + 3; ++i)
        ASSERT_TRUE(allocator.free(sorted[i]));
    EXPECT_EQ(*allocator.allocate_contiguous(3, 1), sorted[run]);
    EXPECT_EQ(allocator.allocate_contiguous(2, 1).error().kind(), ErrorKind::OutOfMemory);
}

TEST_F(FrameAllocatorTest, RandomMixAgreesWithModel)
{
    std::vector<MemoryRange> usable { { 0x3000, 0x2fd000 }, { 0x400000, 0x80000 }, { 0x600000, 0x200000 } };
    std::vector<MemoryRange> reserved { { 0x480000 - 0x800, 0x1000 }, { 0x10000, 0x10000 } };
    FrameAllocator allocator;
    ASSERT_TRUE(allocator.initialize(usable, reserved, fake_phys_to_virt));
    auto allowed = expected_frames(usable, reserved, allocator.metadata_range(), kFakeSize);

    std::mt19937_64 random(1234);
    std::set<PhysAddr> owned;
    std::vector<std::pair<PhysAddr, usize>> blocks;
    for (int step = 0; step < 20000; ++step) {
        int action = static_cast<int>(random() % 10);
        if (action < 5) {
            usize count = action == 0 ? 1 + random() % 40 : 1;
            usize align = usize { 1 } << (random() % 6);
            auto block = count == 1 && action != 0 ? allocator.allocate() : allocator.allocate_contiguous(count, align);
            if (!block) {
                ASSERT_EQ(block.error().kind(), ErrorKind::OutOfMemory);
                continue;
            }
            if (action == 0)
                ASSERT_EQ(*block % (align * kFrameSize), 0u);
            for (usize i = 0; i < count; ++i) {
                ASSERT_TRUE(allowed.count(*block + i * kFrameSize));
                ASSERT_TRUE(owned.insert(*block + i * kFrameSize).second);
            }
            blocks.push_back({ *block, count });
        } else if (!blocks.empty()) {
            usize index = random() % blocks.size();
            auto [address, count] = blocks[index];
            blocks[index] = blocks.back();
            blocks.pop_back();
            ASSERT_TRUE(allocator.free_contiguous(address, count));
            for (usize i = 0; i < count; ++i)
                owned.erase(address + i * kFrameSize);
            if (action == 9)
                ASSERT_EQ(allocator.free(address).error().kind(), ErrorKind::DoubleFree);
        }
        ASSERT_EQ(allocator.used_frames(), owned.size());
    }
    for (auto [address, count] : blocks)
        ASSERT_TRUE(allocator.free_contiguous(address, count));
    EXPECT_EQ(drain(allocator), allowed);
}

} // namespace
