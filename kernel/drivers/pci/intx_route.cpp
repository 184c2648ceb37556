#include "kernel/drivers/pci/intx_route.h"

namespace wk::kernel::drivers::pci {

namespace {

constexpr u16 kIntelVendor = 0x8086;
constexpr u16 kQ35HostBridge = 0x29C0;    // 82G33/Q35 DRAM controller (QEMU's q35 MCH)
constexpr u16 kI440fxHostBridge = 0x1237; // 82441FX (QEMU's pc)
// ICH9 in APIC mode: PIRQ A..H drive I/O APIC inputs 16..23 (ICH9 datasheet, "PIRQ
// routing"; QEMU's ich9 model does the same).
constexpr u32 kPirqAGsi = 16;

// QEMU's q35 DSDT (\_SB.PCI0._PRT in APIC mode): the link a bus-0 slot's pin reaches, as a
// PIRQ index (0 = A). Slots 0..23 rotate over E..H starting at E + slot % 4; slot 24 and the
// PCIe-to-PCI bridge slot 30 start at E; slots 25..29 and 31 (the ICH9's own functions,
// after the default D<N>IR values) start at A. Every link is a GSI link (GSIA..GSIH) whose
// resource is level-triggered, active high.
u32 q35_pirq(u8 slot, u8 pin_index)
{
    u32 base = 4; // E
    u32 start = 0;
    if (slot < 24)
        start = slot & 3;
    else if ((slot >= 25 && slot <= 29) || slot == 31)
        base = 0; // A
    return base + ((start + pin_index) & 3);
}

} // namespace

IntxChipset identify_chipset(u16 host_vendor, u16 host_device)
{
    if (host_vendor != kIntelVendor)
        return IntxChipset::Unknown;
    if (host_device == kQ35HostBridge)
        return IntxChipset::Q35;
    if (host_device == kI440fxHostBridge)
        return IntxChipset::I440fx;
    return IntxChipset::Unknown;
}

const char* chipset_name(IntxChipset chipset)
{
    switch (chipset) {
    case IntxChipset::Q35: return "Q35/ICH9";
    case IntxChipset::I440fx: return "i440FX/PIIX3";
    default: return "unknown chipset";
    }
}

Result<IntxRoute> route_intx(IntxChipset chipset, IntxSource source, std::span<const x86_64::MadtOverride> overrides)
{
    if (source.pin == 0)
        return Error::from("the function has no interrupt pin", ErrorKind::Unsupported);
    if (source.pin > 4)
        return Error::malformed("interrupt pin register above 4 (INTD#)");
    if (source.device > 31)
        return Error::malformed("PCI device number above 31");
    u8 pin_index = static_cast<u8>(source.pin - 1);
    switch (chipset) {
    case IntxChipset::Q35:
        if (source.bus != 0)
            return Error::from("INTx behind a bridge is not routed (needs the bridge's swizzle and _PRT)", ErrorKind::Unsupported);
        return IntxRoute { .gsi = kPirqAGsi + q35_pirq(source.device, pin_index), .level = true, .active_low = false };
    case IntxChipset::I440fx: {
        // The PIIX3 drives the ISA IRQ the firmware chose (its PIRQ route control registers);
        // the I/O APIC sees it at the ISA IRQ's GSI. 0, 1, 2, 8 and 13 are the timer, the
        // keyboard, the cascade, the RTC and the FPU: no PIRQ can be routed there.
        u8 irq = source.interrupt_line;
        if (irq == 0xFF)
            return Error::malformed("the firmware did not route the pin (Interrupt Line 0xFF)");
        if (irq > 15 || irq == 0 || irq == 1 || irq == 2 || irq == 8 || irq == 13)
            return Error::malformed("Interrupt Line is no ISA IRQ a PIRQ can reach");
        IntxRoute route { .gsi = irq, .level = true, .active_low = false };
        for (auto& entry : overrides) {
            if (entry.source != irq)
                continue;
            route.gsi = entry.gsi;
            // "Conforms" for a PCI interrupt: level, and active high as QEMU's LNKA..LNKD say.
            route.level = entry.trigger != x86_64::MadtTrigger::Edge;
            route.active_low = entry.polarity == x86_64::MadtPolarity::ActiveLow;
        }
        return route;
    }
    default:
        return Error::from("INTx routing of this chipset is unknown (needs the DSDT's _PRT)", ErrorKind::Unsupported);
    }
}

} // namespace wk::kernel::drivers::pci
