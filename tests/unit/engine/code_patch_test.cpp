// patch_code's shared half (engine/code_patch.h): the argument check, the pages a patch
// touches, and the write.
#include <gtest/gtest.h>

#include "engine/code_patch.h"

using namespace wk;
using namespace wk::platform;

TEST(CodePatch, PagesCoverThePatchAndNothingMore)
{
    alignas(4096) static u8 area[3 * 4096];
    uptr base = reinterpret_cast<uptr>(area);
    u8 bytes[16] = {};
    auto within = patch_pages(area + 100, ReadonlyBytes(bytes, 5), 4096);
    ASSERT_FALSE(within.is_error());
    EXPECT_EQ(within->first, base);
    EXPECT_EQ(within->end, base + 4096);
    // Crossing a page boundary takes both pages.
    auto across = patch_pages(area + 4096 - 3, ReadonlyBytes(bytes, 5), 4096);
    ASSERT_FALSE(across.is_error());
    EXPECT_EQ(across->first, base);
    EXPECT_EQ(across->end, base + 2 * 4096);
    // Ending exactly at a page end takes no further page.
    auto exact = patch_pages(area + 4096 - 8, ReadonlyBytes(bytes, 8), 4096);
    ASSERT_FALSE(exact.is_error());
    EXPECT_EQ(exact->end, base + 4096);
}

TEST(CodePatch, EightBytePatchMustBeAligned)
{
    alignas(8) static u8 area[32];
    u8 bytes[8] = {};
    auto misaligned = patch_pages(area + 4, ReadonlyBytes(bytes, 8), 4096);
    ASSERT_TRUE(misaligned.is_error());
    EXPECT_EQ(misaligned.error().kind(), ErrorKind::Invalid);
    EXPECT_FALSE(patch_pages(area + 8, ReadonlyBytes(bytes, 8), 4096).is_error());
    // Other sizes need no alignment.
    EXPECT_FALSE(patch_pages(area + 4, ReadonlyBytes(bytes, 7), 4096).is_error());
}

TEST(CodePatch, WriteCopiesExactlyThePatch)
{
    alignas(8) u8 area[24];
    __builtin_memset(area, 0xAA, sizeof area);
    u8 eight[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    write_patch(area + 8, ReadonlyBytes(eight, 8));
    u8 three[3] = { 9, 10, 11 };
    write_patch(area + 1, ReadonlyBytes(three, 3));
    u8 expected[24];
    __builtin_memset(expected, 0xAA, sizeof expected);
    __builtin_memcpy(expected + 8, eight, 8);
    __builtin_memcpy(expected + 1, three, 3);
    EXPECT_EQ(__builtin_memcmp(area, expected, sizeof area), 0);
}
