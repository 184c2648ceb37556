#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/hash.h"
#include "base/hash_map.h"

using namespace wk;

namespace {

std::string counting_bytes(usize length)
{
    std::string bytes;
    for (usize i = 0; i < length; ++i)
        bytes += static_cast<char>(i);
    return bytes;
}

} // namespace

// Published SipHash-2-4 vectors: key 00 01 .. 0f, message 00 01 .. (length - 1).
TEST(Hash, SipHashReferenceVectors)
{
    constexpr u64 k0 = 0x0706050403020100ULL;
    constexpr u64 k1 = 0x0f0e0d0c0b0a0908ULL;
    struct Vector {
        usize length;
        u64 expected;
    };
    for (auto [length, expected] : { Vector { 0, 0x726fdb47dd0e0e31ULL }, Vector { 1, 0x74f839c593dc67fdULL },
             Vector { 7, 0xab0200f58b01d137ULL }, Vector { 8, 0x93f5f5799a932462ULL },
             Vector { 15, 0xa129ca6149be45e5ULL }, Vector { 16, 0x3f2acc7f57c29bdbULL } }) {
        std::string bytes = counting_bytes(length);
        EXPECT_EQ((siphash<2, 4>(bytes, k0, k1)), expected) << "length " << length;
    }
    static_assert(siphash<2, 4>(StringView(), k0, k1) == 0x726fdb47dd0e0e31ULL);
}

TEST(Hash, SeedsDiffer)
{
    std::set<u64> seeds;
    for (int i = 0; i < 1000; ++i)
        seeds.insert(next_hash_seed());
    EXPECT_EQ(seeds.size(), 1000u);
    add_hash_entropy(12345);
    EXPECT_EQ(seeds.count(next_hash_seed()), 0u);
    EXPECT_NE(hash_bytes("export", 1), hash_bytes("export", 2));
    EXPECT_NE(hash_u64(7, 1), hash_u64(7, 2));
}

// Names crafted to share a bucket under one seed spread out under another: what keeps
// a table indexed by hostile names from degrading to quadratic time.
TEST(Hash, CraftedCollisionsDoNotSurviveReseeding)
{
    constexpr u32 kMask = 1023;
    std::vector<std::string> colliding;
    for (u32 i = 0; colliding.size() < 64; ++i) {
        std::string name = "f" + std::to_string(i);
        if ((hash_bytes(name, 0) & kMask) == 0)
            colliding.push_back(name);
    }
    u64 seed = next_hash_seed();
    std::set<u32> buckets;
    for (auto& name : colliding)
        buckets.insert(hash_bytes(name, seed) & kMask);
    EXPECT_GT(buckets.size(), 50u);
}

TEST(Hash, TablesUseTheirOwnSeed)
{
    HashMap<StringView, int> a;
    HashMap<StringView, int> b;
    std::vector<std::string> names;
    for (int i = 0; i < 64; ++i)
        names.push_back("name" + std::to_string(i));
    for (int i = 0; i < 64; ++i) {
        a.set(names[i], i);
        b.set(names[i], i);
    }
    std::vector<StringView> order_a, order_b;
    for (auto& entry : a)
        order_a.push_back(entry.key);
    for (auto& entry : b)
        order_b.push_back(entry.key);
    EXPECT_NE(order_a, order_b);
    for (int i = 0; i < 64; ++i) {
        ASSERT_NE(a.get(StringView(names[i])), nullptr);
        EXPECT_EQ(*b.get(StringView(names[i])), i);
    }
}
