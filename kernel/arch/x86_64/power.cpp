#include "kernel/arch/x86_64/power.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/paging.h"

namespace wk::kernel::x86_64 {

namespace {

constexpr u16 kDebugExitPort = 0xF4;
u64 g_rsdp;

// ACPI tables are firmware input: every read is checked against the table's own length and
// the 4 GiB the direct map is guaranteed to cover.
template<typename T>
bool read_physical(u64 physical, T& out)
{
    if (physical == 0 || physical >= (4ull << 30) - sizeof(T))
        return false;
    __builtin_memcpy(&out, phys_to_virt(physical), sizeof(T));
    return true;
}

bool table_has_signature(u64 physical, const char* signature, u32& length)
{
    char header[8];
    if (!read_physical(physical, header))
        return false;
    __builtin_memcpy(&length, header + 4, 4);
    return __builtin_memcmp(header, signature, 4) == 0 && length >= 36 && length < (1u << 24);
}

u64 find_table(const char* signature)
{
    char rsdp[36];
    if (!read_physical(g_rsdp, rsdp) || __builtin_memcmp(rsdp, "RSD PTR ", 8) != 0)
        return 0;
    u8 revision = static_cast<u8>(rsdp[15]);
    u64 root = 0;
    usize entry_size = 4;
    if (revision >= 2) {
        __builtin_memcpy(&root, rsdp + 24, 8);
        entry_size = 8;
    }
    if (root == 0) {
        u32 rsdt;
        __builtin_memcpy(&rsdt, rsdp + 16, 4);
        root = rsdt;
        entry_size = 4;
    }
    u32 root_length;
    if (!table_has_signature(root, entry_size == 8 ? "XSDT" : "RSDT", root_length))
        return 0;
    for (u64 at = 36; at + entry_size <= root_length; at += entry_size) {
        u64 table = 0;
        if (entry_size == 8 ? !read_physical(root + at, table) : !read_physical(root + at, *reinterpret_cast<u32*>(&table)))
            return 0;
        u32 length;
        if (table_has_signature(table, signature, length))
            return table;
    }
    return 0;
}

// Finds SLP_TYPa of \_S5 in the DSDT's AML: the name, a package op, then the first element.
bool find_s5_sleep_type(u64 dsdt, u16& sleep_type)
{
    u32 length;
    if (!table_has_signature(dsdt, "DSDT", length))
        return false;
    auto* aml = static_cast<const u8*>(phys_to_virt(dsdt));
    for (u32 i = 36; i + 8 < length; ++i) {
        if (__builtin_memcmp(aml + i, "_S5_", 4) != 0 || aml[i + 4] != 0x12)
            continue;
        u32 at = i + 5;
        at += ((aml[at] & 0xC0) >> 6) + 1; // PkgLength bytes
        at += 1;                           // NumElements
        if (at + 1 >= length)
            return false;
        if (aml[at] == 0x0A) // BytePrefix
            ++at;
        sleep_type = aml[at];
        return true;
    }
    return false;
}

void acpi_power_off()
{
    u64 fadt = find_table("FACP");
    if (!fadt)
        return;
    u32 pm1a_control = 0, pm1b_control = 0, dsdt32 = 0;
    u64 dsdt = 0;
    u32 fadt_length;
    if (!table_has_signature(fadt, "FACP", fadt_length) || fadt_length < 72)
        return;
    read_physical(fadt + 40, dsdt32);
    read_physical(fadt + 64, pm1a_control);
    read_physical(fadt + 68, pm1b_control);
    if (fadt_length >= 148)
        read_physical(fadt + 140, dsdt);
    if (dsdt == 0)
        dsdt = dsdt32;
    u16 sleep_type;
    if (!pm1a_control || pm1a_control > 0xFFFF || !find_s5_sleep_type(dsdt, sleep_type))
        return;
    constexpr u16 kSleepEnable = 1 << 13;
    outw(static_cast<u16>(pm1a_control), static_cast<u16>((sleep_type & 7) << 10) | kSleepEnable);
    if (pm1b_control && pm1b_control <= 0xFFFF)
        outw(static_cast<u16>(pm1b_control), static_cast<u16>((sleep_type & 7) << 10) | kSleepEnable);
}

} // namespace

void set_acpi_rsdp(u64 rsdp_physical) { g_rsdp = rsdp_physical; }

u64 find_acpi_table(const char* signature) { return find_table(signature); }

std::span<const u8> acpi_table_bytes(u64 physical)
{
    constexpr u64 kLimit = 4ull << 30;
    if (physical >= kLimit - 8)
        return {};
    u32 length;
    __builtin_memcpy(&length, static_cast<const u8*>(phys_to_virt(physical)) + 4, 4);
    return { static_cast<const u8*>(phys_to_virt(physical)), length < kLimit - physical ? length : kLimit - physical };
}

void power_off_success()
{
    cli();
    outb(kDebugExitPort, kDebugExitSuccess);
    acpi_power_off();
    halt_forever();
}

void power_off_with_status(u32 status)
{
    if (status == 0)
        power_off_success();
    if (status == 1)
        power_off_failure();
    cli();
    u32 clamped = status < kDebugExitMaxStatus ? status : kDebugExitMaxStatus;
    outb(kDebugExitPort, static_cast<u8>(kDebugExitStatusBase + clamped));
    acpi_power_off();
    halt_forever();
}

void power_off_failure()
{
    cli();
    outb(kDebugExitPort, kDebugExitFailure);
    halt_forever();
}

} // namespace wk::kernel::x86_64
