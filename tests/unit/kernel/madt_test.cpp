#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "kernel/arch/x86_64/madt.h"

using namespace wk;
using namespace wk::kernel::x86_64;

namespace {

// Builds a MADT byte by byte; finish() writes the header's length (or the one given).
class TableWriter {
public:
    TableWriter()
    {
        m_bytes.assign(44, 0);
        std::memcpy(m_bytes.data(), "APIC", 4);
        put32_at(36, 0xFEE00000);
    }
    void local_apic(u8 uid, u8 apic_id, u32 flags, u8 length = 8)
    {
        entry(0, length, { uid, apic_id, u8(flags), u8(flags >> 8), u8(flags >> 16), u8(flags >> 24) });
    }
    void x2apic(u32 apic_id, u32 flags, u32 uid, u8 length = 16)
    {
        std::vector<u8> body(14, 0);
        std::memcpy(body.data() + 2, &apic_id, 4);
        std::memcpy(body.data() + 6, &flags, 4);
        std::memcpy(body.data() + 10, &uid, 4);
        entry(9, length, body);
    }
    void io_apic(u8 id, u32 address, u32 gsi_base, u8 length = 12)
    {
        std::vector<u8> body(10, 0);
        body[0] = id;
        std::memcpy(body.data() + 2, &address, 4);
        std::memcpy(body.data() + 6, &gsi_base, 4);
        entry(1, length, body);
    }
    void source_override(u8 bus, u8 irq, u32 gsi, u16 flags, u8 length = 10)
    {
        std::vector<u8> body(8, 0);
        body[0] = bus;
        body[1] = irq;
        std::memcpy(body.data() + 2, &gsi, 4);
        std::memcpy(body.data() + 6, &flags, 2);
        entry(2, length, body);
    }
    void raw(std::vector<u8> bytes) { m_bytes.insert(m_bytes.end(), bytes.begin(), bytes.end()); }
    std::vector<u8> finish() { return finish(u32(m_bytes.size())); }
    std::vector<u8> finish(u32 length)
    {
        put32_at(4, length);
        return m_bytes;
    }

private:
    // Writes type, length and body, padded or cut to `length` bytes in all.
    void entry(u8 type, u8 length, std::vector<u8> body)
    {
        body.resize(length >= 2 ? length - 2 : 0, 0);
        m_bytes.push_back(type);
        m_bytes.push_back(length);
        m_bytes.insert(m_bytes.end(), body.begin(), body.end());
    }
    void put32_at(usize at, u32 value) { std::memcpy(m_bytes.data() + at, &value, 4); }
    std::vector<u8> m_bytes;
};

Madt parse(const std::vector<u8>& bytes) { return parse_madt(std::span<const u8>(bytes.data(), bytes.size())); }

} // namespace

TEST(Madt, ListsEnabledAndOnlineCapableProcessorsInOrder)
{
    TableWriter table;
    table.local_apic(0, 0, 1);
    table.local_apic(1, 2, 1);
    table.local_apic(2, 4, 0); // absent
    table.local_apic(3, 6, 2); // online-capable
    table.raw({ 1, 12, 0, 0, 0, 0, 0xC0, 0xFE, 0, 0, 0, 0 }); // an I/O APIC: ignored
    table.x2apic(8, 1, 9);
    auto madt = parse(table.finish());
    ASSERT_EQ(madt.refused, nullptr);
    EXPECT_FALSE(madt.truncated);
    EXPECT_EQ(madt.local_apic_address, 0xFEE00000u);
    ASSERT_EQ(madt.cpu_count, 4u);
    EXPECT_EQ(madt.cpus[0].apic_id, 0u);
    EXPECT_EQ(madt.cpus[1].apic_id, 2u);
    EXPECT_TRUE(madt.cpus[1].enabled);
    EXPECT_EQ(madt.cpus[2].apic_id, 6u);
    EXPECT_FALSE(madt.cpus[2].enabled);
    EXPECT_EQ(madt.cpus[2].acpi_uid, 3u);
    EXPECT_EQ(madt.cpus[3].apic_id, 8u);
    EXPECT_EQ(madt.cpus[3].acpi_uid, 9u);
    EXPECT_EQ(madt.absent, 1u);
    EXPECT_EQ(madt.skipped(), 0u);
}

TEST(Madt, RefusesWhatIsNoTable)
{
    EXPECT_NE(parse({}).refused, nullptr);
    TableWriter table;
    auto bytes = table.finish();
    bytes.resize(43);
    EXPECT_NE(parse(bytes).refused, nullptr);
    auto wrong = TableWriter().finish();
    wrong[0] = 'X';
    EXPECT_NE(parse(wrong).refused, nullptr);
    auto short_length = TableWriter().finish(40);
    EXPECT_NE(parse(short_length).refused, nullptr);
    EXPECT_EQ(parse(TableWriter().finish()).refused, nullptr);
}

TEST(Madt, ShortEntriesAreSkippedAndTheRestRead)
{
    TableWriter table;
    table.local_apic(0, 0, 1);
    table.local_apic(1, 1, 1, 6);  // 6 bytes: no flags
    table.x2apic(2, 1, 2, 12);     // 12 bytes: no UID
    table.raw({ 5, 4, 0, 0 });     // an override without its address
    table.local_apic(3, 3, 1);
    auto madt = parse(table.finish());
    EXPECT_EQ(madt.short_entries, 3u);
    EXPECT_FALSE(madt.truncated);
    ASSERT_EQ(madt.cpu_count, 2u);
    EXPECT_EQ(madt.cpus[1].apic_id, 3u);
    EXPECT_EQ(madt.local_apic_address, 0xFEE00000u);
}

TEST(Madt, AZeroLengthEntryEndsTheList)
{
    for (u8 length : { 0, 1 }) {
        TableWriter table;
        table.local_apic(0, 0, 1);
        table.raw({ 0, length, 0, 0, 0, 0, 0, 0 });
        table.local_apic(1, 1, 1); // behind the bad entry: never reached
        auto madt = parse(table.finish());
        EXPECT_TRUE(madt.truncated) << int(length);
        EXPECT_EQ(madt.cpu_count, 1u) << int(length);
    }
}

TEST(Madt, AnEntryPastTheTablesEndIsNotRead)
{
    TableWriter table;
    table.local_apic(0, 0, 1);
    table.local_apic(1, 1, 1);
    auto bytes = table.finish();
    // The header says the table ends 3 bytes into the second entry; its bytes are there.
    bytes[4] = u8(bytes.size() - 5);
    auto madt = parse(bytes);
    EXPECT_TRUE(madt.truncated);
    EXPECT_EQ(madt.cpu_count, 1u);
    // A lone byte after the last entry: no room for a type and a length.
    TableWriter odd;
    odd.local_apic(0, 0, 1);
    odd.raw({ 0 });
    auto lone = parse(odd.finish());
    EXPECT_TRUE(lone.truncated);
    EXPECT_EQ(lone.cpu_count, 1u);
}

TEST(Madt, AHeaderLengthPastTheBytesGivenIsCut)
{
    TableWriter table;
    table.local_apic(0, 0, 1);
    table.local_apic(1, 1, 1);
    auto bytes = table.finish(0xFFFFFFFF);
    auto madt = parse(bytes);
    EXPECT_TRUE(madt.truncated);
    EXPECT_EQ(madt.cpu_count, 2u);
}

TEST(Madt, AtMostTheCapIsKept)
{
    TableWriter table;
    for (u32 i = 0; i < 100; ++i)
        table.x2apic(i, 1, i);
    auto madt = parse(table.finish());
    EXPECT_EQ(madt.cpu_count, Madt::kMaxCpus);
    EXPECT_EQ(madt.over_cap, 100u - Madt::kMaxCpus);
    EXPECT_EQ(madt.cpus[Madt::kMaxCpus - 1].apic_id, Madt::kMaxCpus - 1);
}

TEST(Madt, DuplicateAndUnreachableIdsAreSkipped)
{
    TableWriter table;
    table.local_apic(0, 0, 1);
    table.local_apic(1, 0, 1);   // the same APIC ID again
    table.x2apic(0, 1, 7);       // and again, as an x2APIC entry
    table.local_apic(2, 0xFF, 1); // the broadcast ID
    table.x2apic(300, 1, 3);     // needs x2APIC mode
    auto madt = parse(table.finish());
    EXPECT_EQ(madt.cpu_count, 1u);
    EXPECT_EQ(madt.duplicates, 2u);
    EXPECT_EQ(madt.unreachable, 2u);
    EXPECT_EQ(madt.skipped(), 4u);
}

TEST(Madt, AnOverrideReplacesTheLocalApicAddress)
{
    TableWriter table;
    table.raw({ 5, 12, 0, 0, 0x00, 0x10, 0xE0, 0xFE, 0x01, 0, 0, 0 });
    auto madt = parse(table.finish());
    EXPECT_EQ(madt.local_apic_address, 0x1FEE01000ull);
}

TEST(MadtIoApic, IoApicsAndOverridesAreKeptInOrder)
{
    TableWriter table;
    table.local_apic(0, 0, 1);
    table.io_apic(0, 0xFEC00000, 0);
    table.source_override(0, 0, 2, 0);
    table.source_override(0, 9, 9, 0xD); // level, active high
    table.io_apic(1, 0xFEC01000, 24);
    table.source_override(0, 11, 11, 0xF); // level, active low
    auto madt = parse(table.finish());
    ASSERT_EQ(madt.refused, nullptr);
    EXPECT_EQ(madt.cpu_count, 1u);
    ASSERT_EQ(madt.io_apic_count, 2u);
    EXPECT_EQ(madt.io_apics[0].address, 0xFEC00000u);
    EXPECT_EQ(madt.io_apics[0].gsi_base, 0u);
    EXPECT_EQ(madt.io_apics[1].id, 1u);
    EXPECT_EQ(madt.io_apics[1].address, 0xFEC01000u);
    EXPECT_EQ(madt.io_apics[1].gsi_base, 24u);
    ASSERT_EQ(madt.override_count, 3u);
    EXPECT_EQ(madt.bad_io_apics + madt.bad_overrides, 0u);
    ASSERT_NE(madt.override_for(0), nullptr);
    EXPECT_EQ(madt.override_for(0)->gsi, 2u);
    EXPECT_EQ(madt.override_for(0)->trigger, MadtTrigger::Conforms);
    ASSERT_NE(madt.override_for(9), nullptr);
    EXPECT_EQ(madt.override_for(9)->trigger, MadtTrigger::Level);
    EXPECT_EQ(madt.override_for(9)->polarity, MadtPolarity::ActiveHigh);
    EXPECT_EQ(madt.override_for(11)->polarity, MadtPolarity::ActiveLow);
    EXPECT_EQ(madt.override_for(10), nullptr);
}

TEST(MadtIoApic, HostileIoApicEntriesAreSkipped)
{
    TableWriter table;
    table.io_apic(0, 0xFEC00000, 0, 11);  // short
    table.io_apic(1, 0, 0);               // address 0
    table.io_apic(2, 0xFEC00008, 0);      // not 16-byte aligned
    table.io_apic(3, 0xFEC00000, 0);      // kept
    table.io_apic(3, 0xFEC10000, 48);     // ID already listed
    table.io_apic(4, 0xFEC00000, 64);     // address already listed
    table.io_apic(5, 0xFEC20000, 0);      // GSI base already listed
    auto madt = parse(table.finish());
    ASSERT_EQ(madt.refused, nullptr);
    EXPECT_FALSE(madt.truncated);
    ASSERT_EQ(madt.io_apic_count, 1u);
    EXPECT_EQ(madt.io_apics[0].id, 3u);
    EXPECT_EQ(madt.bad_io_apics, 6u);
    EXPECT_EQ(madt.short_entries, 0u); // processor entries only
}

TEST(MadtIoApic, AtMostTheIoApicCapIsKept)
{
    TableWriter table;
    for (u32 i = 0; i < Madt::kMaxIoApics + 3; ++i)
        table.io_apic(u8(i), 0xFEC00000 + i * 0x1000, i * 24);
    auto madt = parse(table.finish());
    EXPECT_EQ(madt.io_apic_count, Madt::kMaxIoApics);
    EXPECT_EQ(madt.bad_io_apics, 3u);
}

TEST(MadtIoApic, HostileOverridesAreSkipped)
{
    TableWriter table;
    table.source_override(0, 9, 9, 0xD, 9); // short
    table.source_override(1, 9, 9, 0xD);    // not ISA
    table.source_override(0, 16, 16, 0);    // no ISA IRQ
    table.source_override(0, 5, 5, 0x2);    // reserved polarity
    table.source_override(0, 5, 5, 0x8);    // reserved trigger
    table.source_override(0, 5, 20, 0xF);   // kept
    table.source_override(0, 5, 21, 0xF);   // IRQ 5 already overridden
    auto madt = parse(table.finish());
    ASSERT_EQ(madt.override_count, 1u);
    EXPECT_EQ(madt.override_for(5)->gsi, 20u);
    EXPECT_EQ(madt.bad_overrides, 6u);
}

TEST(MadtIoApic, AnIoApicEntryRunningPastTheTableEndsTheList)
{
    TableWriter table;
    table.io_apic(0, 0xFEC00000, 0);
    auto bytes = table.finish();
    bytes.push_back(1);
    bytes.push_back(12); // an I/O APIC entry of 12 bytes, 2 of them present
    u32 length = u32(bytes.size());
    std::memcpy(bytes.data() + 4, &length, 4);
    auto madt = parse(bytes);
    EXPECT_TRUE(madt.truncated);
    EXPECT_EQ(madt.io_apic_count, 1u);
}

TEST(MadtIoApic, OverlappingGsiRangesLeaveTheLaterIoApicUnused)
{
    TableWriter table;
    table.io_apic(0, 0xFEC00000, 0);
    table.io_apic(1, 0xFEC01000, 16);  // overlaps 0..23
    table.io_apic(2, 0xFEC02000, 24);  // adjacent: fine
    table.io_apic(3, 0xFEC03000, 100); // not read (0 inputs)
    table.io_apic(4, 0xFEC04000, 0xFFFFFFF0); // runs past 2^32
    auto madt = parse(table.finish());
    ASSERT_EQ(madt.io_apic_count, 5u);
    std::vector<u32> inputs { 24, 24, 24, 0, 24 };
    EXPECT_EQ(usable_io_apics(madt, inputs), 0b00101u);
    // An unusable I/O APIC does not shadow a later one.
    inputs = { 24, 200, 24, 0, 0 };
    EXPECT_EQ(usable_io_apics(madt, inputs), 0b00101u);
    // Without the first, the second (16..39) is usable and the third (24..47) overlaps it.
    inputs = { 0, 24, 24, 0, 0 };
    EXPECT_EQ(usable_io_apics(madt, inputs), 0b00010u);
    // Fewer counts than entries: the rest are unusable.
    inputs = { 24 };
    EXPECT_EQ(usable_io_apics(madt, inputs), 0b00001u);
}
