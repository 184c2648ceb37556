#include <cstdint>
#include <limits>

#include <gtest/gtest.h>

#include "base/checked.h"

using namespace wk;

TEST(Checked, UnsignedAddAtLimits)
{
    EXPECT_EQ(checked_add<u8>(254, 1), u8 { 255 });
    EXPECT_FALSE(checked_add<u8>(255, 1));
    EXPECT_EQ(checked_add<u64>(UINT64_MAX - 1, 1), UINT64_MAX);
    EXPECT_FALSE(checked_add<u64>(UINT64_MAX, 1));
    EXPECT_FALSE(checked_add<u32>(0x80000000u, 0x80000000u));
}

TEST(Checked, UnsignedSubAndMul)
{
    EXPECT_EQ(checked_sub<u32>(5, 5), 0u);
    EXPECT_FALSE(checked_sub<u32>(0, 1));
    EXPECT_EQ(checked_mul<u32>(65535, 65537), 0xffffffffu);
    EXPECT_FALSE(checked_mul<u32>(65536, 65536));
    EXPECT_EQ(checked_mul<u64>(UINT64_MAX, 1), UINT64_MAX);
    EXPECT_FALSE(checked_mul<u64>(UINT64_MAX, 2));
    EXPECT_EQ(checked_mul<usize>(0, UINT64_MAX), 0u);
}

TEST(Checked, SignedAtLimits)
{
    EXPECT_EQ(checked_add<i8>(127, -128), i8 { -1 });
    EXPECT_FALSE(checked_add<i8>(127, 1));
    EXPECT_FALSE(checked_add<i8>(-128, -1));
    EXPECT_FALSE(checked_sub<i32>(INT32_MIN, 1));
    EXPECT_EQ(checked_sub<i32>(-1, INT32_MAX), INT32_MIN);
    EXPECT_FALSE(checked_sub<i64>(0, INT64_MIN));
    EXPECT_FALSE(checked_mul<i64>(INT64_MIN, -1));
    EXPECT_EQ(checked_mul<i64>(INT64_MIN, 1), INT64_MIN);
    EXPECT_FALSE(checked_mul<i32>(46341, 46341));
    EXPECT_EQ(checked_mul<i32>(46340, 46340), 2147395600);
}

TEST(Checked, Cast)
{
    EXPECT_EQ(checked_cast<u32>(u64 { 0xffffffff }), 0xffffffffu);
    EXPECT_FALSE(checked_cast<u32>(u64 { 0x100000000 }));
    EXPECT_FALSE(checked_cast<u64>(i32 { -1 }));
    EXPECT_EQ(checked_cast<i8>(i64 { -128 }), i8 { -128 });
    EXPECT_FALSE(checked_cast<i8>(i64 { 128 }));
    EXPECT_FALSE(checked_cast<i32>(u32 { 0x80000000 }));
}

TEST(Checked, Alignment)
{
    EXPECT_TRUE(is_power_of_two(1u));
    EXPECT_TRUE(is_power_of_two(u64 { 1 } << 63));
    EXPECT_FALSE(is_power_of_two(0u));
    EXPECT_FALSE(is_power_of_two(12u));
    EXPECT_EQ(align_up<u64>(0, 4096), 0u);
    EXPECT_EQ(align_up<u64>(1, 4096), 4096u);
    EXPECT_EQ(align_up<u64>(4096, 4096), 4096u);
    EXPECT_EQ(align_down<u64>(8191, 4096), 4096u);
    EXPECT_TRUE(is_aligned<u64>(8192, 4096));
    EXPECT_FALSE(is_aligned<u64>(8193, 4096));
    EXPECT_EQ(checked_align_up<u64>(UINT64_MAX - 4095, 4096), UINT64_MAX - 4095);
    EXPECT_FALSE(checked_align_up<u64>(UINT64_MAX - 4094, 4096));
    EXPECT_FALSE(checked_align_up<u32>(0xffffffffu, 2));
}

static_assert(checked_add<u32>(1, 2) == 3u);
static_assert(!checked_add<u32>(0xffffffffu, 1));
static_assert(align_up<u32>(13, 8) == 16u);
