#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "base/vector.h"
#include "checking_allocator.h"

using namespace wk;
using wk::test::CheckingAllocator;

namespace {

// Counts live instances to check that Vector constructs and destroys exactly once.
struct Tracked {
    static inline int live = 0;
    static inline int moves = 0;
    int value;

    explicit Tracked(int v)
        : value(v)
    {
        ++live;
    }
    Tracked(const Tracked& other)
        : value(other.value)
    {
        ++live;
    }
    Tracked(Tracked&& other)
        : value(other.value)
    {
        other.value = -1;
        ++live;
        ++moves;
    }
    Tracked& operator=(const Tracked&) = default;
    Tracked& operator=(Tracked&& other)
    {
        value = other.value;
        other.value = -1;
        ++moves;
        return *this;
    }
    ~Tracked() { --live; }
};

struct MoveOnly {
    std::unique_ptr<int> value;
    explicit MoveOnly(int v)
        : value(std::make_unique<int>(v))
    {
    }
};

struct alignas(64) OverAligned {
    int value;
};

class VectorTest : public ::testing::Test {
protected:
    void SetUp() override { Tracked::live = 0; }
    void TearDown() override { EXPECT_EQ(Tracked::live, 0); }
    CheckingAllocator allocator;
};

} // namespace

TEST_F(VectorTest, StartsEmptyWithoutAllocating)
{
    Vector<int> v(&allocator);
    EXPECT_TRUE(v.is_empty());
    EXPECT_EQ(v.size(), 0u);
    EXPECT_EQ(v.capacity(), 0u);
    EXPECT_EQ(v.begin(), v.end());
    EXPECT_EQ(allocator.allocations(), 0u);
}

TEST_F(VectorTest, GrowsAndKeepsContents)
{
    Vector<int> v(&allocator);
    for (int i = 0; i < 1000; ++i)
        ASSERT_TRUE(v.try_append(i).has_value());
    EXPECT_EQ(v.size(), 1000u);
    EXPECT_GE(v.capacity(), 1000u);
    for (int i = 0; i < 1000; ++i)
        EXPECT_EQ(v[i], i);
    // Geometric growth: far fewer allocations than appends.
    EXPECT_LT(allocator.allocations(), 20u);
    EXPECT_EQ(allocator.live_blocks(), 1u);
    int sum = 0;
    for (int x : v)
        sum += x;
    EXPECT_EQ(sum, 999 * 1000 / 2);
    EXPECT_EQ(v.first(), 0);
    EXPECT_EQ(v.last(), 999);
    EXPECT_EQ(v.at(999) != nullptr, true);
    EXPECT_EQ(v.at(1000), nullptr);
}

TEST_F(VectorTest, DestroysEveryElementOnce)
{
    {
        Vector<Tracked> v(&allocator);
        for (int i = 0; i < 100; ++i)
            v.append(Tracked(i));
        EXPECT_EQ(Tracked::live, 100);
        v.erase(10);
        EXPECT_EQ(Tracked::live, 99);
        EXPECT_EQ(v[10].value, 11);
        Tracked last = v.pop_back();
        EXPECT_EQ(last.value, 99);
        EXPECT_EQ(Tracked::live, 99);
        EXPECT_EQ(v.size(), 98u);
        ASSERT_TRUE(v.try_resize(50, Tracked(0)).has_value());
        EXPECT_EQ(Tracked::live, 51); // 50 in the vector and `last`
        EXPECT_EQ(v[49].value, 50);
    }
    EXPECT_EQ(Tracked::live, 0);
}

TEST_F(VectorTest, MoveOnlyElements)
{
    Vector<MoveOnly> v(&allocator);
    for (int i = 0; i < 50; ++i)
        ASSERT_TRUE(v.try_emplace_back(i).has_value());
    v.insert(0, MoveOnly(-1));
    EXPECT_EQ(*v[0].value, -1);
    EXPECT_EQ(*v[1].value, 0);
    EXPECT_EQ(*v[50].value, 49);
    MoveOnly popped = v.pop_back();
    EXPECT_EQ(*popped.value, 49);

    Vector<MoveOnly> moved(std::move(v));
    EXPECT_TRUE(v.is_empty());
    EXPECT_EQ(v.capacity(), 0u);
    EXPECT_EQ(moved.size(), 50u);
    Vector<MoveOnly> assigned(&allocator);
    assigned.append(MoveOnly(7));
    assigned = std::move(moved);
    EXPECT_EQ(assigned.size(), 50u);
    EXPECT_EQ(*assigned[49].value, 48);
}

TEST_F(VectorTest, ExhaustionLeavesTheVectorIntact)
{
    Vector<Tracked> v(&allocator);
    ASSERT_TRUE(v.try_reserve(4).has_value());
    for (int i = 0; i < 4; ++i)
        v.append(Tracked(i));
    allocator.fail_after(0);
    auto result = v.try_append(Tracked(4));
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().kind(), ErrorKind::OutOfMemory);
    EXPECT_EQ(v.size(), 4u);
    EXPECT_EQ(v.capacity(), 4u);
    for (int i = 0; i < 4; ++i)
        EXPECT_EQ(v[i].value, i);
    EXPECT_FALSE(v.try_reserve(100).has_value());
    EXPECT_FALSE(v.try_insert(0, Tracked(9)).has_value());
    EXPECT_FALSE(v.try_resize(10, Tracked(0)).has_value());
    EXPECT_EQ(v.size(), 4u);
    EXPECT_EQ(v[0].value, 0);
    EXPECT_EQ(Tracked::live, 4);
    allocator.allow_all();
    EXPECT_TRUE(v.try_append(Tracked(4)).has_value());
    EXPECT_EQ(v.size(), 5u);
}

TEST_F(VectorTest, ImpossibleSizesFailWithoutAllocating)
{
    Vector<u64> v(&allocator);
    auto result = v.try_reserve(~usize { 0 } / 4);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().kind(), ErrorKind::OutOfMemory);
    EXPECT_EQ(allocator.allocations(), 0u);
    EXPECT_FALSE(v.try_resize(~usize { 0 }).has_value());
}

TEST_F(VectorTest, AppendingAnOwnElementWhileGrowing)
{
    Vector<std::string> v(&allocator);
    v.append(std::string(100, 'x'));
    while (v.size() < v.capacity())
        v.append(std::string("filler"));
    // At capacity: the argument refers into the storage that is about to move.
    v.append(v[0]);
    EXPECT_EQ(v.last(), std::string(100, 'x'));
    EXPECT_EQ(v[0], std::string(100, 'x'));
}

TEST_F(VectorTest, ExtendWithItself)
{
    Vector<int> v(&allocator);
    for (int i = 0; i < 4; ++i)
        v.append(i);
    ASSERT_TRUE(v.try_extend(v.span()).has_value());
    ASSERT_EQ(v.size(), 8u);
    for (int i = 0; i < 8; ++i)
        EXPECT_EQ(v[i], i % 4);
}

TEST_F(VectorTest, InsertEraseAndResize)
{
    Vector<int> v(&allocator);
    v.insert(0, 3);
    v.insert(0, 1);
    v.insert(1, 2);
    v.insert(3, 4);
    ASSERT_EQ(v.size(), 4u);
    for (int i = 0; i < 4; ++i)
        EXPECT_EQ(v[i], i + 1);
    v.erase(0);
    v.erase(2);
    ASSERT_EQ(v.size(), 2u);
    EXPECT_EQ(v[0], 2);
    EXPECT_EQ(v[1], 3);
    ASSERT_TRUE(v.try_resize(5).has_value());
    EXPECT_EQ(v[4], 0);
    ASSERT_TRUE(v.try_resize(7, 9).has_value());
    EXPECT_EQ(v[6], 9);
    ASSERT_TRUE(v.try_resize(1).has_value());
    EXPECT_EQ(v.size(), 1u);
    usize capacity = v.capacity();
    v.clear();
    EXPECT_TRUE(v.is_empty());
    EXPECT_EQ(v.capacity(), capacity);
    v.clear_and_release();
    EXPECT_EQ(v.capacity(), 0u);
    EXPECT_EQ(allocator.live_blocks(), 0u);
}

TEST_F(VectorTest, CloneIsDeepAndUsesTheSameAllocator)
{
    Vector<Tracked> v(&allocator);
    for (int i = 0; i < 10; ++i)
        v.append(Tracked(i));
    auto clone = v.try_clone();
    ASSERT_TRUE(clone.has_value());
    EXPECT_EQ(Tracked::live, 20);
    (*clone)[0].value = 100;
    EXPECT_EQ(v[0].value, 0);
    EXPECT_EQ(&clone->allocator(), &allocator);
    allocator.fail_after(0);
    EXPECT_FALSE(v.try_clone().has_value());
    allocator.allow_all();
}

TEST_F(VectorTest, OverAlignedElements)
{
    Vector<OverAligned> v(&allocator);
    for (int i = 0; i < 33; ++i)
        v.append(OverAligned { i });
    EXPECT_EQ(reinterpret_cast<uptr>(v.data()) % 64, 0u);
    EXPECT_EQ(v[32].value, 32);
}

TEST_F(VectorTest, SpanConversion)
{
    Vector<u8> v(&allocator);
    v.append(1);
    v.append(2);
    ReadonlyBytes bytes = v;
    EXPECT_EQ(bytes.size(), 2u);
    EXPECT_EQ(bytes[1], 2);
    Bytes writable = v.span();
    writable[0] = 9;
    EXPECT_EQ(v[0], 9);
}

TEST_F(VectorTest, DefaultAllocatorWorks)
{
    Vector<int> v;
    for (int i = 0; i < 100; ++i)
        v.append(i);
    EXPECT_EQ(v[99], 99);
    EXPECT_EQ(&v.allocator(), &default_allocator());
}

TEST(VectorDeathTest, IndexOutOfRangeAsserts)
{
    Vector<int> v;
    v.append(1);
    EXPECT_DEATH((void)v[1], "ASSERTION FAILED");
    Vector<int> empty;
    EXPECT_DEATH((void)empty.pop_back(), "ASSERTION FAILED");
}
