#pragma once

#include <span>

#include "base/types.h"

// The ACPI MADT ("APIC"): which processors, I/O APICs and ISA interrupt overrides the firmware
// reports. Firmware input: every length is checked against the table's own and the bytes
// given; nothing here touches hardware, so the hosted tests (tests/unit/kernel/madt_test.cpp)
// feed it crafted tables.
namespace wk::kernel::x86_64 {

struct MadtCpu {
    u32 apic_id { 0 };
    u32 acpi_uid { 0 };
    // Enabled: running or ready to start now. Otherwise online-capable: the firmware may
    // enable it at run time (ACPI 6.3 and later); it is listed but not started.
    bool enabled { false };
};

// An I/O APIC (type 1): its registers at `address`, its inputs serving GSIs from `gsi_base` on
// (how many it has is in its own version register: kernel/arch/x86_64/ioapic.h).
struct MadtIoApic {
    u8 id { 0 };
    u32 address { 0 };
    u32 gsi_base { 0 };
};

// An interrupt source override (type 2): ISA IRQ `source` arrives at `gsi`, with the MPS INTI
// flags' polarity and trigger mode (ACPI 6.5, table 5.26; "conforms" means the ISA default,
// edge and active high).
enum class MadtPolarity : u8 { Conforms = 0, ActiveHigh = 1, Reserved = 2, ActiveLow = 3 };
enum class MadtTrigger : u8 { Conforms = 0, Edge = 1, Reserved = 2, Level = 3 };
struct MadtOverride {
    u8 source { 0 };
    u32 gsi { 0 };
    MadtPolarity polarity { MadtPolarity::Conforms };
    MadtTrigger trigger { MadtTrigger::Conforms };
};

struct Madt {
    // At most this many processors are kept; the others are counted in `over_cap`.
    static constexpr usize kMaxCpus = 64;
    // The same for I/O APICs and ISA overrides (16 ISA IRQs; more than one override per IRQ
    // is a duplicate).
    static constexpr usize kMaxIoApics = 8;
    static constexpr usize kMaxOverrides = 16;

    // Null when the table was read; otherwise why it was refused (no entry is then kept).
    const char* refused { nullptr };
    u64 local_apic_address { 0 }; // the header's, or a type 5 override's
    MadtCpu cpus[kMaxCpus] {};
    usize cpu_count { 0 };
    // Processor entries neither enabled nor online-capable: absent, not skipped.
    usize absent { 0 };
    // Skipped entries, by reason.
    usize short_entries { 0 };  // processor entries shorter than their type's layout
    usize duplicates { 0 };     // an APIC ID already listed
    usize unreachable { 0 };    // an x2APIC ID the xAPIC cannot address (0xFF and up)
    usize over_cap { 0 };       // past kMaxCpus
    MadtIoApic io_apics[kMaxIoApics] {};
    usize io_apic_count { 0 };
    MadtOverride overrides[kMaxOverrides] {};
    usize override_count { 0 };
    // Skipped I/O APIC entries: short, address 0 or not 16-byte aligned, an ID, address or GSI
    // base already listed, past kMaxIoApics. (short_entries counts processor entries only.)
    usize bad_io_apics { 0 };
    // Skipped overrides: short, not ISA (bus 0), an IRQ above 15 or already overridden,
    // reserved flag values, past kMaxOverrides.
    usize bad_overrides { 0 };
    // The entry list ended early: an entry of length 0 or 1, or one running past the table's
    // end (the rest of the table is then not read), or a header length past the bytes given.
    bool truncated { false };

    std::span<const MadtCpu> cpu_list() const { return { cpus, cpu_count }; }
    std::span<const MadtIoApic> io_apic_list() const { return { io_apics, io_apic_count }; }
    std::span<const MadtOverride> override_list() const { return { overrides, override_count }; }
    usize skipped() const { return short_entries + duplicates + unreachable + over_cap; }
    // The override for ISA IRQ `irq`, or null (the IRQ is then GSI `irq`, edge, active high).
    const MadtOverride* override_for(u8 irq) const;
};

// Parses a MADT: `table` holds the bytes from its header on (the header's length is believed
// only up to table.size()). Keeps processor local APIC (type 0) and processor local x2APIC
// (type 9) entries that are enabled or online-capable, I/O APIC (type 1) and interrupt source
// override (type 2) entries, each kind in table order.
Madt parse_madt(std::span<const u8> table);

// The I/O APICs whose GSI ranges are usable, given how many inputs each has (`input_counts[i]`
// for madt.io_apics[i], read from the chip; 0 for one that could not be read): an I/O APIC
// whose range overlaps an earlier usable one's, or runs past 2^32, is dropped. Returns a mask
// (bit i: io_apics[i] is usable).
u32 usable_io_apics(const Madt& madt, std::span<const u32> input_counts);

} // namespace wk::kernel::x86_64
