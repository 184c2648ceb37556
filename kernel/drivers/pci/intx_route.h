#pragma once

#include <span>

#include "base/result.h"
#include "base/types.h"
#include "kernel/arch/x86_64/madt.h"

// Which GSI (I/O APIC input) a PCI function's INTx pin reaches, without an AML interpreter:
// the routing of the two chipsets QEMU emulates, written down from their ACPI tables
// (docs/storage.md, "INTx through the I/O APIC"). Another machine needs its DSDT's _PRT
// evaluated; until then its devices without MSI-X are polled. Nothing here touches hardware
// (hosted tests: tests/unit/drivers/intx_route_test.cpp).
namespace wk::kernel::drivers::pci {

enum class IntxChipset : u8 {
    Unknown,
    // Q35 with the ICH9: on bus 0, pins reach PIRQ A..H, which in APIC mode are GSIs 16..23.
    Q35,
    // i440FX with the PIIX3: pins reach PIRQ A..D, which the firmware routed to ISA IRQs and
    // wrote in the Interrupt Line register.
    I440fx,
};

// The chipset from the host bridge at 00:00.0.
IntxChipset identify_chipset(u16 host_vendor, u16 host_device);
const char* chipset_name(IntxChipset chipset);

struct IntxRoute {
    u32 gsi { 0 };
    bool level { true };
    bool active_low { false };
};

struct IntxSource {
    u8 bus { 0 };
    u8 device { 0 };
    u8 pin { 0 };            // 1..4: INTA#..INTD#
    u8 interrupt_line { 0 }; // as the firmware left it
};

// The route of `source`'s pin. Errors: Unsupported for a function without a pin, an unknown
// chipset, or (Q35) a function behind a bridge; Malformed for a pin above 4 or (i440FX) an
// Interrupt Line the firmware did not route (0xFF) or that is no ISA IRQ a PIRQ can reach.
// `overrides` are the MADT's ISA interrupt source overrides (i440FX).
[[nodiscard]] Result<IntxRoute> route_intx(IntxChipset chipset, IntxSource source,
                                           std::span<const x86_64::MadtOverride> overrides);

} // namespace wk::kernel::drivers::pci
