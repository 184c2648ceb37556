#include <gtest/gtest.h>

#include "tests/unit/drivers/fake_config_space.h"

namespace wk::kernel::drivers::pci {
namespace {

using testing::FakeConfigSpace;

TEST(PciBar, Memory32)
{
    FakeConfigSpace config;
    config.memory_bar(1, 0xFEB00000, 0x1000, false);
    auto bar = decode_bar(config, 1);
    ASSERT_TRUE(bar) << bar.error().message();
    EXPECT_EQ(bar->kind, BarKind::Memory32);
    EXPECT_EQ(bar->address, 0xFEB00000u);
    EXPECT_EQ(bar->size, 0x1000u);
    EXPECT_EQ(bar->slots, 1);
    // The original value is restored after sizing.
    EXPECT_EQ(config.read32(kBar0 + 4), 0xFEB00000u);
}

TEST(PciBar, Memory64Prefetchable)
{
    FakeConfigSpace config;
    config.memory_bar(4, 0x380000004000ull, 0x4000, true, true);
    auto bar = decode_bar(config, 4);
    ASSERT_TRUE(bar) << bar.error().message();
    EXPECT_EQ(bar->kind, BarKind::Memory64);
    EXPECT_TRUE(bar->prefetchable);
    EXPECT_EQ(bar->address, 0x380000004000ull);
    EXPECT_EQ(bar->size, 0x4000u);
    EXPECT_EQ(bar->slots, 2);
    EXPECT_EQ(config.read32(kBar0 + 20), 0x3800u);
}

TEST(PciBar, Memory64LargerThan4GiB)
{
    FakeConfigSpace config;
    config.memory_bar(0, 0x800000000ull, 0x200000000ull, true);
    auto bar = decode_bar(config, 0);
    ASSERT_TRUE(bar) << bar.error().message();
    EXPECT_EQ(bar->size, 0x200000000ull);
}

TEST(PciBar, IoAndUnimplemented)
{
    FakeConfigSpace config;
    config.put32(kBar0, 0xC041);
    config.writable[0] = 0xFFFFFFE0; // 32 ports
    auto io = decode_bar(config, 0);
    ASSERT_TRUE(io);
    EXPECT_EQ(io->kind, BarKind::Io);
    EXPECT_EQ(io->address, 0xC040u);
    EXPECT_EQ(io->size, 32u);
    auto none = decode_bar(config, 2);
    ASSERT_TRUE(none);
    EXPECT_EQ(none->kind, BarKind::None);
}

TEST(PciBar, HostileValuesAreRefused)
{
    FakeConfigSpace config;
    config.put32(kBar0 + 20, 0x4); // 64-bit in the last slot
    config.writable[5] = 0xFFFFF000;
    EXPECT_FALSE(decode_bar(config, 5));
    EXPECT_FALSE(decode_bar(config, 6)); // no such slot
    config.put32(kBar0, 0x6); // reserved type 3
    EXPECT_FALSE(decode_bar(config, 0));
    config.put32(kBar0 + 4, 0);
    config.writable[1] = 0xFFF0F000; // a hole in the size mask
    auto holed = decode_bar(config, 1);
    ASSERT_FALSE(holed);
    EXPECT_EQ(holed.error().kind(), ErrorKind::Malformed);
    config.memory_bar(2, 0x1800, 0x1000 * 4, false); // not aligned to its size
    EXPECT_FALSE(decode_bar(config, 2));
}

TEST(PciCapabilities, WalksTheList)
{
    FakeConfigSpace config;
    config.link_capabilities({ { 0x09, 0x40 }, { 0x11, 0x50 }, { 0x09, 0x84 } });
    Capability list[8];
    auto count = read_capabilities(config, list);
    ASSERT_TRUE(count) << count.error().message();
    ASSERT_EQ(*count, 3u);
    EXPECT_EQ(list[0].offset, 0x40);
    EXPECT_EQ(list[1].id, 0x11);
    EXPECT_EQ(list[2].offset, 0x84);
}

TEST(PciCapabilities, NoneWithoutTheStatusBit)
{
    FakeConfigSpace config;
    config.put8(kCapabilitiesPointer, 0x40);
    Capability list[4];
    auto count = read_capabilities(config, list);
    ASSERT_TRUE(count);
    EXPECT_EQ(*count, 0u);
}

TEST(PciCapabilities, LoopsAndBadPointersAreRefused)
{
    FakeConfigSpace looping;
    looping.link_capabilities({ { 0x09, 0x40 }, { 0x09, 0x60 } });
    looping.put8(0x61, 0x40); // back to the first
    Capability list[8];
    EXPECT_FALSE(read_capabilities(looping, list));

    FakeConfigSpace low;
    low.link_capabilities({ { 0x09, 0x40 } });
    low.put8(0x41, 0x10); // into the header
    EXPECT_FALSE(read_capabilities(low, list));
}

} // namespace
} // namespace wk::kernel::drivers::pci

namespace wk::kernel::drivers::pci {
namespace {

TEST(PciMsix, TableInsideItsBar)
{
    testing::FakeConfigSpace config;
    config.link_capabilities({ { kCapabilityMsix, 0x98 } });
    config.put16(0x98 + 2, 2);          // 3 entries
    config.put32(0x98 + 4, 0x800 | 1); // BAR 1, offset 0x800
    Bar bars[6];
    bars[1] = Bar { BarKind::Memory32, false, 0xFEBD5000, 0x1000, 1 };
    auto msix = parse_msix(config, Capability { kCapabilityMsix, 0x98 }, bars);
    ASSERT_TRUE(msix) << msix.error().message();
    EXPECT_EQ(msix->table_size, 3);
    EXPECT_EQ(msix->table_bar, 1);
    EXPECT_EQ(msix->table_offset, 0x800u);

    config.put16(0x98 + 2, 0x7FF); // 2048 entries: 32 KiB, past the 4 KiB BAR
    EXPECT_FALSE(parse_msix(config, Capability { kCapabilityMsix, 0x98 }, bars));
    config.put16(0x98 + 2, 2);
    config.put32(0x98 + 4, 0x800 | 6); // BIR 6 does not exist
    EXPECT_FALSE(parse_msix(config, Capability { kCapabilityMsix, 0x98 }, bars));
    config.put32(0x98 + 4, 0x800 | 2); // BAR 2 is not implemented
    EXPECT_FALSE(parse_msix(config, Capability { kCapabilityMsix, 0x98 }, bars));
}

} // namespace
} // namespace wk::kernel::drivers::pci
