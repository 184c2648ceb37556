#include <gtest/gtest.h>

#include <vector>

#include "kernel/drivers/pci/intx_route.h"

using namespace wk;
using namespace wk::kernel::drivers::pci;
using wk::kernel::x86_64::MadtOverride;
using wk::kernel::x86_64::MadtPolarity;
using wk::kernel::x86_64::MadtTrigger;

namespace {

Result<IntxRoute> q35(u8 bus, u8 device, u8 pin) { return route_intx(IntxChipset::Q35, { bus, device, pin, 0 }, {}); }

} // namespace

TEST(IntxRoute, ChipsetsAreKnownByTheirHostBridge)
{
    EXPECT_EQ(identify_chipset(0x8086, 0x29C0), IntxChipset::Q35);
    EXPECT_EQ(identify_chipset(0x8086, 0x1237), IntxChipset::I440fx);
    EXPECT_EQ(identify_chipset(0x8086, 0x1234), IntxChipset::Unknown);
    EXPECT_EQ(identify_chipset(0x1022, 0x29C0), IntxChipset::Unknown);
}

// QEMU's q35 _PRT: slots 0..23 rotate over PIRQ E..H (GSIs 20..23) from E + slot % 4.
TEST(IntxRoute, Q35SlotsRotateOverPirqEToH)
{
    for (u8 slot = 0; slot < 24; ++slot) {
        for (u8 pin = 1; pin <= 4; ++pin) {
            auto route = q35(0, slot, pin);
            ASSERT_TRUE(route) << int(slot) << " " << int(pin);
            EXPECT_EQ(route->gsi, 20u + ((slot + pin - 1) % 4)) << int(slot) << " " << int(pin);
            EXPECT_TRUE(route->level);
            EXPECT_FALSE(route->active_low);
        }
    }
    EXPECT_EQ(q35(0, 2, 1)->gsi, 22u);
    EXPECT_EQ(q35(0, 3, 1)->gsi, 23u);
    EXPECT_EQ(q35(0, 4, 2)->gsi, 21u);
}

TEST(IntxRoute, Q35ChipsetSlotsStartAtTheirOwnPirq)
{
    for (u8 pin = 1; pin <= 4; ++pin) {
        EXPECT_EQ(q35(0, 24, pin)->gsi, 20u + pin - 1); // E..H
        EXPECT_EQ(q35(0, 30, pin)->gsi, 20u + pin - 1); // the PCIe-to-PCI bridge: E..H
        EXPECT_EQ(q35(0, 31, pin)->gsi, 16u + pin - 1); // the LPC, SATA, SMBus functions: A..D
        for (u8 slot = 25; slot <= 29; ++slot)
            EXPECT_EQ(q35(0, slot, pin)->gsi, 16u + pin - 1);
    }
}

TEST(IntxRoute, HostileOrUnroutablePinsAreRefused)
{
    EXPECT_EQ(q35(0, 3, 0).error().kind(), ErrorKind::Unsupported);   // no pin
    EXPECT_EQ(q35(0, 3, 5).error().kind(), ErrorKind::Malformed);     // no such pin
    EXPECT_EQ(q35(0, 3, 0xFF).error().kind(), ErrorKind::Malformed);
    EXPECT_EQ(q35(0, 32, 1).error().kind(), ErrorKind::Malformed);    // no such device
    EXPECT_EQ(q35(1, 0, 1).error().kind(), ErrorKind::Unsupported);   // behind a bridge
    EXPECT_EQ(route_intx(IntxChipset::Unknown, { 0, 3, 1, 11 }, {}).error().kind(), ErrorKind::Unsupported);
}

TEST(IntxRoute, I440fxUsesTheInterruptLineAndTheMadtOverrides)
{
    std::vector<MadtOverride> overrides {
        { .source = 0, .gsi = 2, .polarity = MadtPolarity::Conforms, .trigger = MadtTrigger::Conforms },
        { .source = 10, .gsi = 10, .polarity = MadtPolarity::ActiveHigh, .trigger = MadtTrigger::Level },
        { .source = 11, .gsi = 19, .polarity = MadtPolarity::ActiveLow, .trigger = MadtTrigger::Level },
        { .source = 5, .gsi = 5, .polarity = MadtPolarity::Conforms, .trigger = MadtTrigger::Edge },
    };
    auto route = route_intx(IntxChipset::I440fx, { 0, 4, 1, 10 }, overrides);
    ASSERT_TRUE(route);
    EXPECT_EQ(route->gsi, 10u);
    EXPECT_TRUE(route->level);
    EXPECT_FALSE(route->active_low);
    route = route_intx(IntxChipset::I440fx, { 0, 4, 1, 11 }, overrides);
    ASSERT_TRUE(route);
    EXPECT_EQ(route->gsi, 19u);
    EXPECT_TRUE(route->active_low);
    route = route_intx(IntxChipset::I440fx, { 0, 4, 1, 5 }, overrides);
    ASSERT_TRUE(route);
    EXPECT_FALSE(route->level);
    // No override: the ISA IRQ's own GSI, level and active high (a PCI interrupt).
    route = route_intx(IntxChipset::I440fx, { 0, 4, 1, 9 }, {});
    ASSERT_TRUE(route);
    EXPECT_EQ(route->gsi, 9u);
    EXPECT_TRUE(route->level);
    // Behind a bridge the firmware's Interrupt Line still names the ISA IRQ.
    EXPECT_TRUE(route_intx(IntxChipset::I440fx, { 1, 0, 1, 11 }, overrides));
}

TEST(IntxRoute, I440fxRefusesLinesNoPirqReaches)
{
    for (u8 line : { 0, 1, 2, 8, 13, 16, 0x7F, 0xFF })
        EXPECT_EQ(route_intx(IntxChipset::I440fx, { 0, 4, 1, line }, {}).error().kind(), ErrorKind::Malformed) << int(line);
}
