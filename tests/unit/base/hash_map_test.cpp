#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include <gtest/gtest.h>

#include "base/hash_map.h"
#include "base/hash_set.h"
#include "base/string.h"
#include "checking_allocator.h"

using namespace wk;
using wk::test::CheckingAllocator;

namespace {

// Every key lands in the same home slot, so every operation walks one long probe run.
struct CollidingTraits {
    static u32 hash(u32) { return 7; }
    static bool equals(u32 a, u32 b) { return a == b; }
};

// Keys hash to their value modulo 16: runs that wrap around the end of the table.
struct ClusteringTraits {
    static u32 hash(u32 key) { return key % 16; }
    static bool equals(u32 a, u32 b) { return a == b; }
};

} // namespace

TEST(HashMap, SetGetOverwrite)
{
    CheckingAllocator allocator;
    HashMap<u32, int> map(&allocator);
    EXPECT_EQ(map.get(1u), nullptr);
    EXPECT_FALSE(map.contains(1u));
    ASSERT_TRUE(map.try_set(1, 10).has_value());
    ASSERT_TRUE(map.try_set(2, 20).has_value());
    ASSERT_TRUE(map.try_set(1, 11).has_value());
    EXPECT_EQ(map.size(), 2u);
    ASSERT_NE(map.get(1u), nullptr);
    EXPECT_EQ(*map.get(1u), 11);
    EXPECT_EQ(*map.get(2u), 20);
    *map.get(2u) = 21;
    EXPECT_EQ(*map.get(2u), 21);
    EXPECT_TRUE(map.remove(1u));
    EXPECT_FALSE(map.remove(1u));
    EXPECT_EQ(map.get(1u), nullptr);
    EXPECT_EQ(map.size(), 1u);
}

TEST(HashMap, CollisionsThenRemovalThenLookup)
{
    CheckingAllocator allocator;
    HashMap<u32, u32, CollidingTraits> map(&allocator);
    for (u32 i = 0; i < 200; ++i)
        map.set(i, i * 3);
    for (u32 i = 0; i < 200; i += 3)
        EXPECT_TRUE(map.remove(i));
    for (u32 i = 0; i < 200; ++i) {
        if (i % 3 == 0) {
            EXPECT_FALSE(map.contains(i)) << i;
        } else {
            ASSERT_NE(map.get(i), nullptr) << i;
            EXPECT_EQ(*map.get(i), i * 3);
        }
    }
    EXPECT_EQ(map.size(), 200u - 67u);
}

TEST(HashMap, WrappingProbeRunsSurviveRemoval)
{
    CheckingAllocator allocator;
    HashMap<u32, u32, ClusteringTraits> map(&allocator);
    std::unordered_map<u32, u32> reference;
    std::mt19937 random(7);
    for (int step = 0; step < 20000; ++step) {
        u32 key = random() % 40;
        if (random() % 3 == 0) {
            EXPECT_EQ(map.remove(key), reference.erase(key) == 1);
        } else {
            map.set(key, step);
            reference[key] = step;
        }
        u32 probe = random() % 40;
        auto it = reference.find(probe);
        u32* found = map.get(probe);
        ASSERT_EQ(found != nullptr, it != reference.end()) << "step " << step << " key " << probe;
        if (found)
            ASSERT_EQ(*found, it->second);
    }
}

TEST(HashMap, ManyKeysAgainstStdUnorderedMap)
{
    CheckingAllocator allocator;
    HashMap<u64, u64> map(&allocator);
    std::unordered_map<u64, u64> reference;
    std::mt19937_64 random(99);
    for (int step = 0; step < 200000; ++step) {
        u64 key = random() % 5000;
        switch (random() % 4) {
        case 0:
            EXPECT_EQ(map.remove(key), reference.erase(key) == 1);
            break;
        default:
            map.set(key, step);
            reference[key] = step;
        }
    }
    EXPECT_EQ(map.size(), reference.size());
    for (auto& [key, value] : reference) {
        ASSERT_NE(map.get(key), nullptr);
        EXPECT_EQ(*map.get(key), value);
    }
    usize visited = 0;
    for (auto& entry : map) {
        ++visited;
        auto it = reference.find(entry.key);
        ASSERT_NE(it, reference.end());
        EXPECT_EQ(entry.value, it->second);
    }
    EXPECT_EQ(visited, reference.size());
    EXPECT_LE(map.size() * 4, map.capacity() * 3);
}

TEST(HashMap, GrowthFailureLeavesTheMapIntact)
{
    CheckingAllocator allocator;
    HashMap<u32, u32> map(&allocator);
    u32 key = 0;
    // Fill to exactly the load limit of the first table.
    map.set(key++, 0);
    usize capacity = map.capacity();
    while (map.size() < capacity / 4 * 3)
        map.set(key, key), ++key;
    EXPECT_EQ(map.capacity(), capacity);
    allocator.fail_after(0);
    auto result = map.try_set(key, key);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().kind(), ErrorKind::OutOfMemory);
    EXPECT_EQ(map.size(), capacity / 4 * 3);
    for (u32 k = 0; k < key; ++k)
        EXPECT_NE(map.get(k), nullptr);
    EXPECT_FALSE(map.contains(key));
    // Overwriting needs no memory.
    EXPECT_TRUE(map.try_set(0, 42).has_value());
    EXPECT_EQ(*map.get(0u), 42u);
    allocator.allow_all();
    EXPECT_TRUE(map.try_set(key, key).has_value());
}

TEST(HashMap, StringKeysLookUpByView)
{
    CheckingAllocator allocator;
    HashMap<String, int> map(&allocator);
    for (int i = 0; i < 100; ++i) {
        auto name = String::try_create(std::to_string(i) + "-name", &allocator);
        ASSERT_TRUE(name.has_value());
        ASSERT_TRUE(map.try_set(std::move(*name), i).has_value());
    }
    EXPECT_EQ(map.size(), 100u);
    ASSERT_NE(map.get(StringView("42-name")), nullptr);
    EXPECT_EQ(*map.get(StringView("42-name")), 42);
    EXPECT_EQ(*map.get("7-name"), 7);
    EXPECT_EQ(map.get(StringView("100-name")), nullptr);
    EXPECT_TRUE(map.remove(StringView("42-name")));
    EXPECT_FALSE(map.contains(StringView("42-name")));
    auto key = MUST(String::try_create("7-name", &allocator));
    EXPECT_EQ(*map.get(key), 7);
}

TEST(HashMap, StringViewAndPointerKeys)
{
    HashMap<StringView, int> by_name;
    by_name.set("memory", 1);
    by_name.set("table", 2);
    EXPECT_EQ(*by_name.get(StringView("table")), 2);

    int a = 0, b = 0;
    HashMap<int*, char> by_pointer;
    by_pointer.set(&a, 'a');
    by_pointer.set(&b, 'b');
    EXPECT_EQ(*by_pointer.get(&b), 'b');
    EXPECT_TRUE(by_pointer.remove(&a));
    EXPECT_FALSE(by_pointer.contains(&a));
}

TEST(HashMap, MoveOnlyValuesTakeAndClear)
{
    CheckingAllocator allocator;
    HashMap<u32, Vector<int>> map(&allocator);
    for (u32 i = 0; i < 20; ++i) {
        Vector<int> values(&allocator);
        values.append(static_cast<int>(i));
        map.set(i, std::move(values));
    }
    auto taken = map.take(5u);
    ASSERT_TRUE(taken.has_value());
    EXPECT_EQ((*taken)[0], 5);
    EXPECT_FALSE(map.take(5u).has_value());
    EXPECT_EQ(map.size(), 19u);
    usize capacity = map.capacity();
    map.clear();
    EXPECT_TRUE(map.is_empty());
    EXPECT_EQ(map.capacity(), capacity);
    EXPECT_EQ(map.get(1u), nullptr);
    map.set(1, Vector<int>(&allocator));
    EXPECT_TRUE(map.contains(1u));
}

TEST(HashMap, ReserveAndMove)
{
    CheckingAllocator allocator;
    HashMap<u32, u32> map(&allocator);
    ASSERT_TRUE(map.try_reserve(1000).has_value());
    usize allocations = allocator.allocations();
    for (u32 i = 0; i < 1000; ++i)
        map.set(i, i);
    EXPECT_EQ(allocator.allocations(), allocations);
    HashMap<u32, u32> moved(std::move(map));
    EXPECT_TRUE(map.is_empty());
    EXPECT_EQ(map.get(3u), nullptr);
    EXPECT_EQ(*moved.get(999u), 999u);
    EXPECT_FALSE(moved.try_reserve(~usize { 0 }).has_value());
}

TEST(HashSet, InsertContainsRemoveIterate)
{
    CheckingAllocator allocator;
    HashSet<u32> set(&allocator);
    for (u32 i = 0; i < 100; ++i)
        set.insert(i % 50);
    EXPECT_EQ(set.size(), 50u);
    EXPECT_TRUE(set.contains(49u));
    EXPECT_FALSE(set.contains(50u));
    EXPECT_TRUE(set.remove(0u));
    std::unordered_set<u32> seen;
    for (u32 key : set)
        EXPECT_TRUE(seen.insert(key).second);
    EXPECT_EQ(seen.size(), 49u);
    EXPECT_EQ(seen.count(0), 0u);
}
