#include <atomic>
#include <csignal>
#include <thread>
#include <vector>
#include <cstring>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "engine/platform.h"
#include "engine/runtime/memory.h"
#include "engine/runtime/table.h"

namespace wk::engine::runtime {

namespace {

constexpr u64 kFailed = ~u64 { 0 };
constexpr u64 kPage = 65536;

Limits pages(u64 min, std::optional<u64> max = std::nullopt)
{
    Limits limits;
    limits.min = min;
    if (max) {
        limits.max = *max;
        limits.has_max = true;
    }
    return limits;
}

bool touching_kills_child(volatile u8* address)
{
    pid_t pid = fork();
    if (pid == 0) {
        *address = 1;
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV;
}

} // namespace

TEST(Memory, I32MemoryReservesEightGibibytesAndCommitsMin)
{
    auto memory = MUST(Memory::create(pages(2, 5), {}));
    EXPECT_EQ(memory->reserved_bytes(), u64 { 8 } << 30);
    EXPECT_EQ(memory->committed_bytes(), 2 * kPage);
    EXPECT_EQ(memory->size_pages(), 2u);
    EXPECT_EQ(memory->size_bytes(), 2 * kPage);
    EXPECT_EQ(memory->vm()->bound_bytes, 2 * kPage);
    for (u64 i = 0; i < 2 * kPage; i += 4093)
        EXPECT_EQ(memory->base()[i], 0);
    memory->base()[2 * kPage - 1] = 7; // committed: writable
    EXPECT_TRUE(touching_kills_child(memory->base() + 2 * kPage));
    EXPECT_TRUE(touching_kills_child(memory->base() + (u64 { 4 } << 30) + 12345)); // the guard
}

TEST(Memory, GrowCommitsInPlaceUpToMax)
{
    auto memory = MUST(Memory::create(pages(1, 3), {}));
    u8* base = memory->base();
    EXPECT_EQ(memory->grow(0), 1u);
    EXPECT_EQ(memory->grow(1), 1u);
    EXPECT_EQ(memory->base(), base);
    EXPECT_EQ(memory->size_pages(), 2u);
    EXPECT_EQ(memory->committed_bytes(), 2 * kPage);
    base[2 * kPage - 1] = 1;
    EXPECT_EQ(memory->grow(2), kFailed); // 4 > max 3
    EXPECT_EQ(memory->size_pages(), 2u);
    EXPECT_EQ(memory->grow(1), 2u);
    EXPECT_EQ(memory->grow(1), kFailed);
    EXPECT_EQ(memory->grow(~u64 { 0 }), kFailed); // overflow
    EXPECT_EQ(memory->size_pages(), 3u);
    EXPECT_EQ(memory->base()[2 * kPage + 5], 0); // grown pages are zero
}

TEST(Memory, FullI32RangeIsReservedNotCommitted)
{
    auto memory = MUST(Memory::create(pages(0, 65536), {}));
    EXPECT_EQ(memory->reserved_bytes(), u64 { 8 } << 30);
    EXPECT_EQ(memory->committed_bytes(), 0u);
    EXPECT_EQ(memory->size_bytes(), 0u);
    EXPECT_EQ(memory->max_pages(), 65536u);
    EXPECT_EQ(memory->grow(65537), kFailed);
    EXPECT_EQ(memory->grow(1), 0u);
    EXPECT_EQ(memory->committed_bytes(), kPage);

    auto unbounded = MUST(Memory::create(pages(0), {}));
    EXPECT_EQ(unbounded->max_pages(), 65536u);
    EXPECT_EQ(unbounded->grow(65537), kFailed);
}

TEST(Memory, RuntimeLimitsCapSizeAndGrowth)
{
    RuntimeLimits limits;
    limits.max_memory_bytes = 4 * kPage;
    auto too_big = Memory::create(pages(5), limits);
    ASSERT_TRUE(too_big.is_error());
    EXPECT_EQ(too_big.error().kind(), ErrorKind::OutOfMemory);
    auto memory = MUST(Memory::create(pages(1), limits));
    EXPECT_EQ(memory->max_pages(), 4u);
    EXPECT_EQ(memory->grow(4), kFailed);
    EXPECT_EQ(memory->grow(3), 1u);
}

TEST(Memory, I64MemoryReservesItsMaxCappedByTheLimit)
{
    Limits limits = pages(1, 4);
    limits.is_64 = true;
    auto memory = MUST(Memory::create(limits, {}));
    EXPECT_EQ(memory->reserved_bytes(), 4 * kPage);
    EXPECT_EQ(memory->grow(3), 1u);
    EXPECT_EQ(memory->grow(1), kFailed);

    RuntimeLimits small;
    small.max_memory64_reservation = 8 * kPage;
    Limits unbounded = pages(2);
    unbounded.is_64 = true;
    auto capped = MUST(Memory::create(unbounded, small));
    EXPECT_EQ(capped->reserved_bytes(), 8 * kPage);
    EXPECT_EQ(capped->max_pages(), 8u);
    EXPECT_EQ(capped->grow(6), 2u);
    EXPECT_EQ(capped->grow(1), kFailed);

    // A hostile minimum (2^48 pages) is refused without trying to reserve it.
    Limits huge = pages(u64 { 1 } << 48);
    huge.is_64 = true;
    auto refused = Memory::create(huge, {});
    ASSERT_TRUE(refused.is_error());
    EXPECT_EQ(refused.error().kind(), ErrorKind::OutOfMemory);
}

TEST(Memory, RecycledReservationsAreZeroAndGuarded)
{
    for (int round = 0; round < 3; ++round) {
        {
            auto dirty = MUST(Memory::create(pages(3), {}));
            std::memset(dirty->base(), 0xAB, 3 * kPage);
        }
        EXPECT_GE(Memory::pooled_reservations(), 1u);
        // Whatever slot comes back, it is zero and accessible exactly up to its size.
        auto same = MUST(Memory::create(pages(3), {}));
        for (u64 i = 0; i < 3 * kPage; i += 997)
            ASSERT_EQ(same->base()[i], 0) << i;
        std::memset(same->base(), 0xCD, 3 * kPage);
        same = nullptr;
        auto smaller = MUST(Memory::create(pages(1, 5), {}));
        EXPECT_EQ(smaller->base()[kPage - 1], 0);
        EXPECT_TRUE(touching_kills_child(smaller->base() + kPage));
        EXPECT_TRUE(touching_kills_child(smaller->base() + 3 * kPage - 1));
        EXPECT_EQ(smaller->grow(2), 1u);
        EXPECT_EQ(smaller->base()[2 * kPage], 0);
        smaller = nullptr;
        auto larger = MUST(Memory::create(pages(4), {}));
        for (u64 i = 0; i < 4 * kPage; i += 997)
            ASSERT_EQ(larger->base()[i], 0) << i;
        EXPECT_TRUE(touching_kills_child(larger->base() + 4 * kPage));
    }
}

TEST(Memory, OneBytePages)
{
    Limits limits = pages(3, 10);
    limits.page_size_log2 = 0;
    limits.has_custom_page_size = true;
    auto memory = MUST(Memory::create(limits, {}));
    EXPECT_EQ(memory->size_bytes(), 3u);
    EXPECT_EQ(memory->page_size(), 1u);
    EXPECT_EQ(memory->committed_bytes(), platform::page_size());
    EXPECT_EQ(memory->grow(7), 3u);
    EXPECT_EQ(memory->size_bytes(), 10u);
    EXPECT_EQ(memory->grow(1), kFailed);
    EXPECT_FALSE(memory->write(9, ReadonlyBytes(reinterpret_cast<const u8*>("ab"), 2)));
    EXPECT_TRUE(memory->write(8, ReadonlyBytes(reinterpret_cast<const u8*>("ab"), 2)));
    EXPECT_EQ(memory->base()[9], 'b');
}

TEST(Memory, BoundsCheckedAccess)
{
    auto memory = MUST(Memory::create(pages(1), {}));
    u8 bytes[4] = { 1, 2, 3, 4 };
    EXPECT_TRUE(memory->write(kPage - 4, bytes));
    EXPECT_FALSE(memory->write(kPage - 3, bytes));
    EXPECT_FALSE(memory->write(~u64 { 0 } - 1, bytes));
    EXPECT_TRUE(memory->write(kPage, ReadonlyBytes())); // empty at the end is in bounds
    EXPECT_FALSE(memory->write(kPage + 1, ReadonlyBytes()));
    u8 out[4] = {};
    EXPECT_TRUE(memory->read(kPage - 4, out));
    EXPECT_EQ(out[3], 4);
    EXPECT_TRUE(memory->fill(0, 9, 16));
    EXPECT_FALSE(memory->fill(kPage - 1, 9, 2));
    EXPECT_EQ(memory->base()[15], 9);
}

TEST(Memory, SharedMemoryKeepsItsFlag)
{
    Limits limits = pages(1, 2);
    limits.is_shared = true;
    auto memory = MUST(Memory::create(limits, {}));
    EXPECT_TRUE(memory->is_shared());
    EXPECT_TRUE(memory->current_limits().is_shared);
    EXPECT_EQ(memory->grow(1), 1u);
    EXPECT_EQ(memory->current_limits().min, 2u);
}

TEST(Memory, SharedMemoryGrowsConsistentlyFromManyThreads)
{
    Limits limits = pages(0, 400);
    limits.is_shared = true;
    auto memory = MUST(Memory::create(limits, {}));
    u8* base = memory->base();
    std::atomic<u64> successes { 0 };
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 150; ++i) {
                u64 old = memory->grow(1);
                if (old != kFailed) {
                    memory->base()[old * kPage] = 1; // the page just added is ours and writable
                    ++successes;
                }
            }
        });
    }
    for (auto& thread : threads)
        thread.join();
    EXPECT_EQ(successes.load(), 400u);
    EXPECT_EQ(memory->size_pages(), 400u);
    EXPECT_EQ(memory->base(), base);
    for (u64 page = 0; page < 400; ++page)
        ASSERT_EQ(base[page * kPage], 1) << page;
}

TEST(Table, CreateGrowFillCopyInit)
{
    int a = 0, b = 0;
    ValType funcref = ValType::ref(HeapKind::Func, true);
    auto table = MUST(Table::create(funcref, pages(2, 6), &a, {}));
    EXPECT_EQ(table->size(), 2u);
    EXPECT_EQ(table->get(1), &a);
    EXPECT_EQ(table->vm()->size, 2u);
    EXPECT_EQ(table->grow(2, &b), 2u);
    EXPECT_EQ(table->vm()->elements[3], &b);
    EXPECT_EQ(table->grow(3, nullptr), kFailed);
    EXPECT_EQ(table->size(), 4u);
    EXPECT_TRUE(table->fill(1, nullptr, 3));
    EXPECT_FALSE(table->fill(2, &a, 3));
    EXPECT_EQ(table->get(3), nullptr);
    EXPECT_TRUE(table->set(3, &b));
    EXPECT_FALSE(table->set(4, &b));
    EXPECT_TRUE(Table::copy(*table, 0, *table, 2, 2)); // overlapping
    EXPECT_EQ(table->get(0), nullptr);
    EXPECT_EQ(table->get(1), &b);
    EXPECT_FALSE(Table::copy(*table, 3, *table, 0, 2));
    void* items[] = { &a, &b, &a };
    EXPECT_TRUE(table->init(1, items, 1, 2));
    EXPECT_EQ(table->get(1), &b);
    EXPECT_EQ(table->get(2), &a);
    EXPECT_FALSE(table->init(0, items, 2, 2));
    EXPECT_TRUE(table->init(4, items, 3, 0)); // empty ranges at the ends are in bounds
    EXPECT_FALSE(table->init(5, items, 0, 0));
}

TEST(Table, HostileSizesAreRefused)
{
    ValType funcref = ValType::ref(HeapKind::Func, true);
    auto huge = Table::create(funcref, pages(0xFFFF'FFFF), nullptr, {});
    ASSERT_TRUE(huge.is_error());
    EXPECT_EQ(huge.error().kind(), ErrorKind::OutOfMemory);
    RuntimeLimits limits;
    limits.max_table_elements = 100;
    auto table = MUST(Table::create(funcref, pages(10), nullptr, limits));
    EXPECT_EQ(table->grow(91, nullptr), kFailed);
    EXPECT_EQ(table->grow(90, nullptr), 10u);
    Limits table64 = pages(1);
    table64.is_64 = true;
    auto big = MUST(Table::create(funcref, table64, nullptr, {}));
    EXPECT_EQ(big->grow(~u64 { 0 }, nullptr), kFailed);
}

} // namespace wk::engine::runtime

namespace wk::engine::runtime {

TEST(Budget, MemoriesAndTablesShareTheStoreBudget)
{
    auto budget = MUST(try_make_ref_counted<ResourceBudget>(3 * kPage));
    auto a = MUST(Memory::create(pages(2, 10), {}, budget));
    EXPECT_EQ(budget->used(), 2 * kPage);
    auto refused = Memory::create(pages(2), {}, budget);
    ASSERT_TRUE(refused.is_error());
    EXPECT_EQ(refused.error().kind(), ErrorKind::OutOfMemory);
    EXPECT_EQ(budget->used(), 2 * kPage);
    EXPECT_EQ(a->grow(2), kFailed); // within max, beyond the budget
    EXPECT_EQ(a->grow(1), 2u);
    EXPECT_EQ(budget->used(), 3 * kPage);
    a = nullptr;
    EXPECT_EQ(budget->used(), 0u);

    auto elements = MUST(try_make_ref_counted<ResourceBudget>(100));
    ValType funcref = ValType::ref(HeapKind::Func, true);
    auto t = MUST(Table::create(funcref, pages(60), nullptr, {}, elements));
    EXPECT_TRUE(Table::create(funcref, pages(41), nullptr, {}, elements).is_error());
    EXPECT_EQ(t->grow(41, nullptr), kFailed);
    EXPECT_EQ(t->grow(40, nullptr), 60u);
    EXPECT_EQ(elements->used(), 100u);
    t = nullptr;
    EXPECT_EQ(elements->used(), 0u);
}

} // namespace wk::engine::runtime
