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
