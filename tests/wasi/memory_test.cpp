#include <gtest/gtest.h>

#include <vector>

#include "engine/wasi/guest_memory.h"

using namespace wk;
using namespace wk::engine::wasi;

TEST(GuestMemory, RangesAtTheEdges)
{
    std::vector<u8> bytes(100);
    GuestMemory memory(bytes.data(), bytes.size());
    EXPECT_TRUE(memory.contains(0, 100));
    EXPECT_TRUE(memory.contains(100, 0));
    EXPECT_TRUE(memory.contains(96, 4));
    EXPECT_FALSE(memory.contains(97, 4));
    EXPECT_FALSE(memory.contains(101, 0));
    EXPECT_FALSE(memory.contains(0xFFFF'FFFFu, 2));
    EXPECT_FALSE(memory.contains(1, ~u64 { 0 }));
    EXPECT_FALSE(memory.contains(~u64 { 0 }, 1));
}

TEST(GuestMemory, ReadsAndWritesLittleEndian)
{
    std::vector<u8> bytes(16);
    GuestMemory memory(bytes.data(), bytes.size());
    EXPECT_EQ(memory.write_u32(4, 0x11223344u), Errno::Success);
    EXPECT_EQ(bytes[4], 0x44);
    EXPECT_EQ(bytes[7], 0x11);
    EXPECT_EQ(*memory.read_u16(4), 0x3344);
    EXPECT_EQ(memory.write_u64(8, 0x0102030405060708ull), Errno::Success);
    EXPECT_EQ(*memory.read_u64(8), 0x0102030405060708ull);
    EXPECT_EQ(memory.write_u64(9, 1), Errno::Fault);
    EXPECT_EQ(memory.read_u32(13).error(), Errno::Fault);
    EXPECT_EQ(bytes[15], 0x01); // the failed write changed nothing
}

TEST(GuestMemory, UnboundMemoryFaultsEverything)
{
    GuestMemory memory;
    EXPECT_FALSE(memory.contains(0, 1));
    EXPECT_TRUE(memory.contains(0, 0));
    EXPECT_EQ(memory.read_u8(0).error(), Errno::Fault);
}

TEST(GuestMemory, StringsRejectNul)
{
    std::vector<u8> bytes = { 'a', 'b', 0, 'c' };
    GuestMemory memory(bytes.data(), bytes.size());
    EXPECT_EQ(*memory.string(0, 2), "ab");
    EXPECT_EQ(memory.string(0, 3).error(), Errno::IlSeq);
    EXPECT_EQ(memory.string(2, 3).error(), Errno::Fault);
}
