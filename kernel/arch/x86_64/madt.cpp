#include "kernel/arch/x86_64/madt.h"

namespace wk::kernel::x86_64 {

namespace {

// ACPI 6.5, 5.2.12: the header (36 bytes), the local APIC address and flags, then entries of
// (type, length, body).
constexpr usize kHeaderSize = 36;
constexpr usize kEntriesOffset = 44;
enum EntryType : u8 { kLocalApic = 0, kIoApic = 1, kSourceOverride = 2, kLocalApicOverride = 5, kLocalX2Apic = 9 };
constexpr usize kLocalApicSize = 8;
constexpr usize kIoApicSize = 12;
constexpr usize kSourceOverrideSize = 10;
constexpr usize kLocalApicOverrideSize = 12;
constexpr usize kLocalX2ApicSize = 16;
constexpr u32 kFlagEnabled = 1u << 0;
constexpr u32 kFlagOnlineCapable = 1u << 1;
// xAPIC mode addresses IDs 0..0xFE; 0xFF is the broadcast.
constexpr u32 kMaxXApicId = 0xFE;

template<typename T>
T read_at(const u8* bytes)
{
    T value;
    __builtin_memcpy(&value, bytes, sizeof(T));
    return value;
}

void add_cpu(Madt& madt, u32 apic_id, u32 uid, u32 flags)
{
    if (!(flags & (kFlagEnabled | kFlagOnlineCapable))) {
        ++madt.absent;
        return;
    }
    if (apic_id > kMaxXApicId) {
        ++madt.unreachable;
        return;
    }
    for (auto& cpu : madt.cpu_list()) {
        if (cpu.apic_id == apic_id) {
            ++madt.duplicates;
            return;
        }
    }
    if (madt.cpu_count == Madt::kMaxCpus) {
        ++madt.over_cap;
        return;
    }
    madt.cpus[madt.cpu_count++] = { .apic_id = apic_id, .acpi_uid = uid, .enabled = (flags & kFlagEnabled) != 0 };
}

void add_io_apic(Madt& madt, const u8* entry)
{
    MadtIoApic io_apic { .id = entry[2], .address = read_at<u32>(entry + 4), .gsi_base = read_at<u32>(entry + 8) };
    // The registers are 16-byte aligned (IOREGSEL at +0, IOWIN at +0x10).
    bool bad = io_apic.address == 0 || io_apic.address % 16 != 0 || madt.io_apic_count == Madt::kMaxIoApics;
    for (auto& other : madt.io_apic_list())
        bad = bad || other.id == io_apic.id || other.gsi_base == io_apic.gsi_base || other.address == io_apic.address;
    if (bad) {
        ++madt.bad_io_apics;
        return;
    }
    madt.io_apics[madt.io_apic_count++] = io_apic;
}

void add_override(Madt& madt, const u8* entry)
{
    u16 flags = read_at<u16>(entry + 8);
    MadtOverride entry_override {
        .source = entry[3],
        .gsi = read_at<u32>(entry + 4),
        .polarity = static_cast<MadtPolarity>(flags & 3),
        .trigger = static_cast<MadtTrigger>((flags >> 2) & 3),
    };
    bool bad = entry[2] != 0 || entry_override.source > 15 || entry_override.polarity == MadtPolarity::Reserved
        || entry_override.trigger == MadtTrigger::Reserved || madt.override_for(entry_override.source)
        || madt.override_count == Madt::kMaxOverrides;
    if (bad) {
        ++madt.bad_overrides;
        return;
    }
    madt.overrides[madt.override_count++] = entry_override;
}

} // namespace

const MadtOverride* Madt::override_for(u8 irq) const
{
    for (auto& entry : override_list()) {
        if (entry.source == irq)
            return &entry;
    }
    return nullptr;
}

u32 usable_io_apics(const Madt& madt, std::span<const u32> input_counts)
{
    u32 usable = 0;
    for (usize i = 0; i < madt.io_apic_count && i < input_counts.size(); ++i) {
        u64 base = madt.io_apics[i].gsi_base;
        u64 end = base + input_counts[i];
        if (input_counts[i] == 0 || end > (1ull << 32))
            continue;
        bool overlaps = false;
        for (usize j = 0; j < i; ++j) {
            if (!(usable & (1u << j)))
                continue;
            u64 other_base = madt.io_apics[j].gsi_base;
            overlaps = overlaps || (base < other_base + input_counts[j] && other_base < end);
        }
        if (!overlaps)
            usable |= 1u << i;
    }
    return usable;
}

Madt parse_madt(std::span<const u8> table)
{
    Madt madt;
    if (table.size() < kEntriesOffset) {
        madt.refused = "shorter than its header";
        return madt;
    }
    if (__builtin_memcmp(table.data(), "APIC", 4) != 0) {
        madt.refused = "no APIC signature";
        return madt;
    }
    usize length = read_at<u32>(table.data() + 4);
    if (length < kEntriesOffset) {
        madt.refused = "length shorter than its header";
        return madt;
    }
    if (length > table.size()) {
        madt.truncated = true;
        length = table.size();
    }
    static_assert(kEntriesOffset > kHeaderSize);
    madt.local_apic_address = read_at<u32>(table.data() + kHeaderSize);
    const u8* bytes = table.data();
    usize at = kEntriesOffset;
    while (at < length) {
        if (length - at < 2) {
            madt.truncated = true;
            break;
        }
        u8 type = bytes[at];
        usize entry_length = bytes[at + 1];
        if (entry_length < 2 || entry_length > length - at) {
            madt.truncated = true;
            break;
        }
        const u8* entry = bytes + at;
        switch (type) {
        case kLocalApic:
            if (entry_length < kLocalApicSize)
                ++madt.short_entries;
            else
                add_cpu(madt, entry[3], entry[2], read_at<u32>(entry + 4));
            break;
        case kLocalX2Apic:
            if (entry_length < kLocalX2ApicSize)
                ++madt.short_entries;
            else
                add_cpu(madt, read_at<u32>(entry + 4), read_at<u32>(entry + 12), read_at<u32>(entry + 8));
            break;
        case kIoApic:
            if (entry_length < kIoApicSize)
                ++madt.bad_io_apics;
            else
                add_io_apic(madt, entry);
            break;
        case kSourceOverride:
            if (entry_length < kSourceOverrideSize)
                ++madt.bad_overrides;
            else
                add_override(madt, entry);
            break;
        case kLocalApicOverride:
            if (entry_length < kLocalApicOverrideSize)
                ++madt.short_entries;
            else
                madt.local_apic_address = read_at<u64>(entry + 4);
            break;
        default:
            break;
        }
        at += entry_length;
    }
    return madt;
}

} // namespace wk::kernel::x86_64
