#pragma once

#include <span>

#include "base/types.h"

// The ACPI MADT ("APIC"): which processors the firmware reports. Firmware input: every length
// is checked against the table's own and the bytes given; nothing here touches hardware, so
// the hosted tests (tests/unit/kernel/madt_test.cpp) feed it crafted tables.
namespace wk::kernel::x86_64 {

struct MadtCpu {
    u32 apic_id { 0 };
    u32 acpi_uid { 0 };
    // Enabled: running or ready to start now. Otherwise online-capable: the firmware may
    // enable it at run time (ACPI 6.3 and later); it is listed but not started.
    bool enabled { false };
};

struct Madt {
    // At most this many processors are kept; the others are counted in `over_cap`.
    static constexpr usize kMaxCpus = 64;

    // Null when the table was read; otherwise why it was refused (no entry is then kept).
    const char* refused { nullptr };
    u64 local_apic_address { 0 }; // the header's, or a type 5 override's
    MadtCpu cpus[kMaxCpus] {};
    usize cpu_count { 0 };
    // Processor entries neither enabled nor online-capable: absent, not skipped.
    usize absent { 0 };
    // Skipped entries, by reason.
    usize short_entries { 0 };  // shorter than their type's layout
    usize duplicates { 0 };     // an APIC ID already listed
    usize unreachable { 0 };    // an x2APIC ID the xAPIC cannot address (0xFF and up)
    usize over_cap { 0 };       // past kMaxCpus
    // The entry list ended early: an entry of length 0 or 1, or one running past the table's
    // end (the rest of the table is then not read), or a header length past the bytes given.
    bool truncated { false };

    std::span<const MadtCpu> cpu_list() const { return { cpus, cpu_count }; }
    usize skipped() const { return short_entries + duplicates + unreachable + over_cap; }
};

// Parses a MADT: `table` holds the bytes from its header on (the header's length is believed
// only up to table.size()). Keeps processor local APIC (type 0) and processor local x2APIC
// (type 9) entries that are enabled or online-capable, in table order.
Madt parse_madt(std::span<const u8> table);

} // namespace wk::kernel::x86_64
