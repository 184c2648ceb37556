#pragma once

#include "base/result.h"
#include "base/types.h"
#include "kernel/arch/x86_64/madt.h"

// The I/O APICs: the chips that turn device interrupt lines (global system interrupts, GSIs)
// into local APIC interrupts (Intel 82093AA datasheet; the ICH9 datasheet's "Advanced
// Programmable Interrupt Controller" section). Found through the MADT; each has an index
// register (IOREGSEL, +0x00) and a data window (IOWIN, +0x10); register 1 holds the version
// and the highest redirection entry, entries are registers 0x10 + 2n (low) and 0x11 + 2n
// (high). Used for devices without MSI-X (docs/storage.md, "Interrupts").
//
// NOTE: a level-triggered input is acknowledged by the local APIC's EOI alone: the local APIC
// broadcasts it to every I/O APIC, which clears the entry's remote IRR (the spurious vector
// register's "suppress EOI broadcast" bit, which would stop that, is never set). Version 0x20
// chips also have a directed EOI register (0x40), which is not needed then.
namespace wk::kernel::x86_64 {

struct GsiMode {
    bool level { false };      // level-triggered (else edge)
    bool active_low { false }; // asserted low (else high)
};

// Reads the MADT, maps every I/O APIC it lists (its register page must be outside RAM), reads
// how many inputs each has and masks them all. An I/O APIC whose GSI range overlaps an earlier
// one's, or whose version register reads all ones (nothing there), is left alone and logged.
// Without a MADT or usable I/O APIC, route_gsi refuses every GSI. Call once, at boot.
void initialize_io_apics();
usize io_apic_count();
// The MADT as read by initialize_io_apics (its ISA interrupt source overrides); null before it
// or without a readable MADT.
const Madt* io_apic_madt();

// Points GSI `gsi` at `vector` of the local APIC `apic_id` (fixed delivery, physical
// destination) with `mode`, unmasked. OutOfRange when no usable I/O APIC serves `gsi`;
// Unsupported for an APIC ID above 0xFE or a vector below 32.
[[nodiscard]] Result<void> route_gsi(u32 gsi, u8 vector, u32 apic_id, GsiMode mode);
// Masks GSI `gsi`'s entry (nothing when no I/O APIC serves it). Safe in an interrupt handler.
void mask_gsi(u32 gsi);
// GSI `gsi`'s redirection entry as the chip holds it (high half << 32 | low half). OutOfRange
// when no usable I/O APIC serves `gsi`.
[[nodiscard]] Result<u64> redirection_entry(u32 gsi);

} // namespace wk::kernel::x86_64
