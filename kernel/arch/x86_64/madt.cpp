#include "kernel/arch/x86_64/madt.h"

namespace wk::kernel::x86_64 {

namespace {

// ACPI 6.5, 5.2.12: the header (36 bytes), the local APIC address and flags, then entries of
// (type, length, body).
constexpr usize kHeaderSize = 36;
constexpr usize kEntriesOffset = 44;
enum EntryType : u8 { kLocalApic = 0, kLocalApicOverride = 5, kLocalX2Apic = 9 };
constexpr usize kLocalApicSize = 8;
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

} // namespace

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
