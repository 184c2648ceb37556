#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <vector>

#include "kernel/mm/heap.h"

using namespace wk;
using namespace wk::kernel::mm;

namespace {

constexpr usize kPage = 4096;

// Pages from one arena that stays allocated, so a page handed back is still readable
// (as the kernel's direct map is). Checks that every run comes back once, whole.
class ArenaPageSource final : public PageSource {
public:
    explicit ArenaPageSource(usize page_limit)
        : m_limit(page_limit)
        , m_used(page_limit, false)
    {
        m_arena = static_cast<u8*>(std::aligned_alloc(kPage, page_limit * kPage));
        std::memset(m_arena, 0x5c, page_limit * kPage);
    }
    ~ArenaPageSource() { std::free(m_arena); }

    Result<void*> allocate_pages(usize count) override
    {
        for (usize first = 0; count <= m_limit && first + count <= m_limit; ++first) {
            usize length = 0;
            while (length < count && !m_used[first + length])
                ++length;
            if (length == count) {
                for (usize i = 0; i < count; ++i)
                    m_used[first + i] = true;
                m_runs[first] = count;
                m_live += count;
                return static_cast<void*>(m_arena + first * kPage);
            }
            first += length;
        }
        return Error::out_of_memory();
    }

    void free_pages(void* pages, usize count) override
    {
        auto offset = static_cast<usize>(static_cast<u8*>(pages) - m_arena);
        ASSERT_EQ(offset % kPage, 0u);
        auto run = m_runs.find(offset / kPage);
        ASSERT_NE(run, m_runs.end()) << "pages returned that were never handed out";
        ASSERT_EQ(run->second, count);
        for (usize i = 0; i < count; ++i)
            m_used[run->first + i] = false;
        m_runs.erase(run);
        m_live -= count;
        // Scribble over everything but the first word, as a new owner might.
        std::memset(static_cast<u8*>(pages) + 8, 0xdd, count * kPage - 8);
    }

    usize live_pages() const { return m_live; }

private:
    usize m_limit;
    std::vector<bool> m_used;
    std::map<usize, usize> m_runs;
    usize m_live { 0 };
    u8* m_arena { nullptr };
};

ErrorKind kind_of(const Result<void>& result)
{
    return result ? ErrorKind::Generic : result.error().kind();
}

TEST(Heap, EverySizeClassAndLargeBlocksWork)
{
    ArenaPageSource source(256);
    Heap heap(source);
    std::vector<std::pair<void*, usize>> blocks;
    for (usize size : { 0, 1, 15, 16, 17, 31, 64, 100, 255, 256, 511, 1000, 1024, 2047, 2048, 2049, 4000, 4096,
                        5000, 70000 }) {
        auto block = heap.allocate(size);
        ASSERT_TRUE(block) << size;
        EXPECT_EQ(reinterpret_cast<uptr>(*block) % 16, 0u);
        auto usable = heap.block_size(*block);
        ASSERT_TRUE(usable);
        EXPECT_GE(*usable, std::max<usize>(size, 1));
        std::memset(*block, 0x42, *usable);
        blocks.push_back({ *block, *usable });
    }
    usize in_use = 0;
    for (auto [block, usable] : blocks)
        in_use += usable;
    EXPECT_EQ(heap.bytes_in_use(), in_use);
    EXPECT_EQ(heap.live_blocks(), blocks.size());
    EXPECT_EQ(heap.pages_held(), source.live_pages());

    for (auto [block, usable] : blocks)
        ASSERT_TRUE(heap.free(block));
    EXPECT_EQ(heap.bytes_in_use(), 0u);
    EXPECT_EQ(heap.live_blocks(), 0u);
    EXPECT_LE(heap.pages_held(), Heap::kClassCount);
    heap.trim();
    EXPECT_EQ(heap.pages_held(), 0u);
    EXPECT_EQ(source.live_pages(), 0u);
}

TEST(Heap, AlignmentsUpTo4096AreHonoured)
{
    ArenaPageSource source(512);
    Heap heap(source);
    std::vector<void*> blocks;
    for (usize alignment = 1; alignment <= 4096; alignment *= 2) {
        for (usize size : { 1, 24, 100, 2048, 3000, 9000 }) {
            auto block = heap.allocate(size, alignment);
            ASSERT_TRUE(block) << size << " " << alignment;
            EXPECT_EQ(reinterpret_cast<uptr>(*block) % alignment, 0u) << size << " " << alignment;
            std::memset(*block, 0x17, size);
            blocks.push_back(*block);
        }
    }
    for (void* block : blocks)
        ASSERT_TRUE(heap.free(block));
    heap.trim();
    EXPECT_EQ(source.live_pages(), 0u);

    EXPECT_EQ(heap.allocate(16, 0).error().kind(), ErrorKind::Invalid);
    EXPECT_EQ(heap.allocate(16, 48).error().kind(), ErrorKind::Invalid);
    EXPECT_EQ(heap.allocate(16, 8192).error().kind(), ErrorKind::Unsupported);
}

struct Live {
    usize size;
    u8 pattern;
};

TEST(Heap, RandomStressAgreesWithShadowModel)
{
    ArenaPageSource source(4096);
    Heap heap(source, 0x1234'5678'9abc'def0ull);
    std::mt19937_64 random(42);
    std::map<uptr, Live> live; // start -> block
    std::vector<void*> order;
    auto check_contents = [](void* block, const Live& info) {
        auto* bytes = static_cast<u8*>(block);
        for (usize i = 0; i < info.size; ++i) {
            if (bytes[i] != static_cast<u8>(info.pattern + i)) {
                ADD_FAILURE() << "block contents changed at byte " << i;
                return;
            }
        }
    };

    for (int step = 0; step < 60000; ++step) {
        bool allocate = order.empty() || random() % 100 < 55;
        if (allocate) {
            usize size = random() % 100 < 90 ? random() % 300 : random() % 12000;
            usize alignment = usize { 1 } << (random() % 100 < 80 ? 0 : random() % 13);
            auto result = heap.allocate(size, alignment);
            if (!result) {
                ASSERT_EQ(result.error().kind(), ErrorKind::OutOfMemory);
                continue;
            }
            auto start = reinterpret_cast<uptr>(*result);
            ASSERT_EQ(start % alignment, 0u);
            ASSERT_GE(*heap.block_size(*result), size);
            auto next = live.lower_bound(start);
            if (next != live.end())
                ASSERT_GE(next->first, start + std::max<usize>(size, 1)) << "blocks overlap";
            if (next != live.begin())
                ASSERT_LE(std::prev(next)->first + std::prev(next)->second.size, start) << "blocks overlap";
            Live info { size, static_cast<u8>(random()) };
            for (usize i = 0; i < size; ++i)
                static_cast<u8*>(*result)[i] = static_cast<u8>(info.pattern + i);
            live[start] = info;
            order.push_back(*result);
        } else {
            usize index = random() % order.size();
            void* block = order[index];
            order[index] = order.back();
            order.pop_back();
            auto entry = live.find(reinterpret_cast<uptr>(block));
            check_contents(block, entry->second);
            live.erase(entry);
            ASSERT_TRUE(heap.free(block));
            if (random() % 50 == 0)
                ASSERT_EQ(kind_of(heap.free(block)), ErrorKind::DoubleFree);
        }
        ASSERT_EQ(heap.live_blocks(), live.size());
        ASSERT_EQ(heap.pages_held(), source.live_pages());
    }
    for (auto& [start, info] : live) {
        check_contents(reinterpret_cast<void*>(start), info);
        ASSERT_TRUE(heap.free(reinterpret_cast<void*>(start)));
    }
    EXPECT_EQ(heap.bytes_in_use(), 0u);
    EXPECT_LE(heap.pages_held(), Heap::kClassCount);
    heap.trim();
    EXPECT_EQ(heap.pages_held(), 0u);
    EXPECT_EQ(source.live_pages(), 0u);
}

TEST(Heap, DoubleFreesAreCaughtWithoutHarm)
{
    ArenaPageSource source(64);
    Heap heap(source);
    auto keep = heap.allocate(64);
    auto small = heap.allocate(64);
    auto large = heap.allocate(10000);
    auto aligned = heap.allocate(100, 4096);
    ASSERT_TRUE(keep && small && large && aligned);
    EXPECT_EQ(reinterpret_cast<uptr>(*aligned) % 4096, 0u);
    std::memset(*keep, 0x77, 64);

    ASSERT_TRUE(heap.free(*small));
    ASSERT_TRUE(heap.free(*large));
    ASSERT_TRUE(heap.free(*aligned));
    usize in_use = heap.bytes_in_use();
    usize pages = heap.pages_held();
    EXPECT_EQ(kind_of(heap.free(*small)), ErrorKind::DoubleFree);
    EXPECT_EQ(kind_of(heap.free(*large)), ErrorKind::DoubleFree);
    EXPECT_EQ(kind_of(heap.free(*aligned)), ErrorKind::DoubleFree);
    EXPECT_EQ(heap.bytes_in_use(), in_use);
    EXPECT_EQ(heap.pages_held(), pages);

    // The block is not handed out twice after the failed frees.
    auto first = heap.allocate(64);
    auto second = heap.allocate(64);
    ASSERT_TRUE(first && second);
    EXPECT_NE(*first, *second);
    EXPECT_NE(*first, *keep);
    EXPECT_NE(*second, *keep);
    for (int i = 0; i < 64; ++i)
        EXPECT_EQ(static_cast<u8*>(*keep)[i], 0x77);

    // A slab that went back to the page source still recognises a late double free.
    ASSERT_TRUE(heap.free(*first));
    ASSERT_TRUE(heap.free(*second));
    ASSERT_TRUE(heap.free(*keep));
    heap.trim();
    EXPECT_EQ(source.live_pages(), 0u);
    EXPECT_EQ(kind_of(heap.free(*keep)), ErrorKind::DoubleFree);
}

TEST(Heap, ForeignPointersAreRefused)
{
    ArenaPageSource source(64);
    Heap heap(source);
    ArenaPageSource other_source(64);
    Heap other(other_source);

    auto small = heap.allocate(32);
    auto large = heap.allocate(9000);
    auto aligned = heap.allocate(5000, 4096);
    auto theirs = other.allocate(32);
    ASSERT_TRUE(small && large && aligned && theirs);
    std::memset(*large, 0, 9000);

    int on_stack = 0;
    auto* outside = static_cast<u8*>(std::aligned_alloc(kPage, 2 * kPage));
    std::memset(outside, 0, 2 * kPage);
    usize in_use = heap.bytes_in_use();

    auto* s = static_cast<u8*>(*small);
    auto* l = static_cast<u8*>(*large);
    auto* a = static_cast<u8*>(*aligned);
    for (void* pointer : { static_cast<void*>(&on_stack), static_cast<void*>(outside),
                           static_cast<void*>(outside + 64), static_cast<void*>(s + 1),
                           static_cast<void*>(s + 16), static_cast<void*>(s - 8), static_cast<void*>(l + 16),
                           static_cast<void*>(l + kPage + 8), static_cast<void*>(l + 2 * kPage),
                           static_cast<void*>(a + 64), static_cast<void*>(a - kPage),
                           static_cast<void*>(a - kPage + 48), *theirs }) {
        EXPECT_EQ(kind_of(heap.free(pointer)), ErrorKind::OutOfRange) << pointer;
        EXPECT_FALSE(heap.block_size(pointer));
    }
    EXPECT_EQ(heap.bytes_in_use(), in_use);
    EXPECT_EQ(heap.live_blocks(), 3u);
    EXPECT_TRUE(heap.free(nullptr));

    ASSERT_TRUE(heap.free(*small));
    ASSERT_TRUE(heap.free(*large));
    ASSERT_TRUE(heap.free(*aligned));
    ASSERT_TRUE(other.free(*theirs));
    std::free(outside);
}

TEST(Heap, ExhaustionIsReportedAndRecoverable)
{
    ArenaPageSource source(4);
    Heap heap(source);
    std::vector<void*> blocks;
    while (true) {
        auto block = heap.allocate(1024);
        if (!block) {
            EXPECT_EQ(block.error().kind(), ErrorKind::OutOfMemory);
            break;
        }
        blocks.push_back(*block);
    }
    EXPECT_EQ(blocks.size(), 4u * 3u); // three 1024-byte slots per page beside the header
    EXPECT_EQ(heap.allocate(16).error().kind(), ErrorKind::OutOfMemory);
    EXPECT_EQ(heap.allocate(5 * kPage).error().kind(), ErrorKind::OutOfMemory);
    EXPECT_EQ(heap.allocate(~usize { 0 }).error().kind(), ErrorKind::OutOfMemory);
    EXPECT_EQ(heap.allocate(~usize { 0 } - 100, 4096).error().kind(), ErrorKind::OutOfMemory);
    EXPECT_EQ(heap.pages_held(), 4u);

    for (usize i = 0; i < 3; ++i)
        ASSERT_TRUE(heap.free(blocks[i]));
    blocks.erase(blocks.begin(), blocks.begin() + 3);
    // One page is now a spare 1024 slab; a different class still cannot get a page.
    EXPECT_EQ(heap.allocate(16).error().kind(), ErrorKind::OutOfMemory);
    heap.trim();
    auto small = heap.allocate(16);
    ASSERT_TRUE(small);
    ASSERT_TRUE(heap.free(*small));
    for (void* block : blocks)
        ASSERT_TRUE(heap.free(block));
    heap.trim();
    EXPECT_EQ(source.live_pages(), 0u);
}

TEST(Heap, KeepsOneSpareSlabPerClass)
{
    ArenaPageSource source(64);
    Heap heap(source);
    std::vector<void*> blocks;
    for (int i = 0; i < 3 * 7; ++i) // three full 512-byte slabs
        blocks.push_back(*heap.allocate(512));
    EXPECT_EQ(heap.pages_held(), 3u);
    for (void* block : blocks)
        ASSERT_TRUE(heap.free(block));
    EXPECT_EQ(heap.pages_held(), 1u);
    EXPECT_EQ(source.live_pages(), 1u);

    // The spare is reused rather than a new page taken.
    auto again = heap.allocate(300);
    ASSERT_TRUE(again);
    EXPECT_EQ(source.live_pages(), 1u);
    ASSERT_TRUE(heap.free(*again));
    heap.trim();
    EXPECT_EQ(source.live_pages(), 0u);
}

class MisalignedPageSource final : public PageSource {
public:
    Result<void*> allocate_pages(usize count) override
    {
        m_block = static_cast<u8*>(std::aligned_alloc(kPage, (count + 1) * kPage));
        return static_cast<void*>(m_block + 8);
    }
    void free_pages(void* pages, usize) override
    {
        EXPECT_EQ(pages, m_block + 8);
        std::free(m_block);
        m_block = nullptr;
        ++m_returned;
    }
    u8* m_block { nullptr };
    int m_returned { 0 };
};

TEST(Heap, MisbehavingPageSourceIsRefused)
{
    MisalignedPageSource source;
    Heap heap(source);
    EXPECT_EQ(heap.allocate(16).error().kind(), ErrorKind::Invalid);
    EXPECT_EQ(heap.allocate(10000).error().kind(), ErrorKind::Invalid);
    EXPECT_EQ(source.m_returned, 2);
    EXPECT_EQ(heap.pages_held(), 0u);
}

} // namespace
