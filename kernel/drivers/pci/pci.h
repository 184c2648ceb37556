#pragma once

#include <span>

#include "base/result.h"
#include "kernel/drivers/pci/pci_config.h"

// PCI enumeration in the kernel: configuration access through ECAM when ACPI has an MCFG
// table (q35), through ports 0xCF8/0xCFC otherwise (i440fx); bus 0 and the buses behind
// PCI-to-PCI bridges, each bus once. Enumeration runs once at boot; the list is read-only
// afterwards.
namespace wk::kernel::drivers::pci {

inline constexpr usize kMaxFunctions = 64;

struct Function {
    u8 bus { 0 };
    u8 device { 0 };
    u8 function { 0 };
    u8 header_type { 0 }; // without the multi-function bit
    u16 vendor_id { 0 };
    u16 device_id { 0 };
    u8 base_class { 0 };
    u8 subclass { 0 };
    u8 prog_if { 0 };
    u8 interrupt_line { 0 }; // what the firmware routed INTx to (its meaning is the chipset's: intx_route.h)
    u8 interrupt_pin { 0 };  // 0: no INTx; 1..4: INTA#..INTD#
    u8 bar_count { 0 };
    Bar bars[kBarCountDevice] {};
    // A BAR that could not be decoded (a hostile or broken device): its slot reads None.
    bool bar_error { false };
};

// A function's configuration space through whichever access the machine has.
class FunctionConfig final : public ConfigSpace {
public:
    explicit FunctionConfig(const Function& function)
        : m_bus(function.bus)
        , m_device(function.device)
        , m_function(function.function)
    {
    }
    FunctionConfig(u8 bus, u8 device, u8 function)
        : m_bus(bus)
        , m_device(device)
        , m_function(function)
    {
    }
    u32 read32(u16 offset) override;
    void write32(u16 offset, u32 value) override;

private:
    u8 m_bus, m_device, m_function;
};

void enumerate();
std::span<const Function> functions();
// "ECAM at 0x..." or "ports 0xCF8/0xCFC".
bool uses_ecam();
u64 ecam_base();
// Functions beyond kMaxFunctions that were seen but not kept.
usize functions_dropped();

// Maps `size` bytes of device memory at `physical` uncached and returns where; below 4 GiB this
// is the direct map (uncached outside RAM), above it a device window. OutOfRange for a range
// that overlaps RAM, wraps, or does not fit the window.
[[nodiscard]] Result<volatile u8*> map_device_memory(u64 physical, u64 size);

// Enables memory decoding and bus mastering (DMA) for a function.
void enable_memory_and_dma(const Function& function);

} // namespace wk::kernel::drivers::pci
