#include "kernel/drivers/pci/pci.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/paging.h"
#include "kernel/arch/x86_64/power.h"
#include "kernel/debug/log.h"

namespace wk::kernel::drivers::pci {

namespace {

constexpr u16 kConfigAddressPort = 0xCF8;
constexpr u16 kConfigDataPort = 0xCFC;
constexpr u64 kDirectMapSpan = 4ull << 30; // always direct-mapped (kernel/mm/memory.cpp)
constexpr u64 kDeviceWindowBase = 0xFFFFFD8000000000ull;
constexpr u64 kDeviceWindowSize = 512ull << 30;
constexpr u64 kMaxDeviceMapping = 256ull << 20;
constexpr usize kMaxBridgeDepth = 8;

u64 g_ecam_physical;
volatile u8* g_ecam;
u8 g_ecam_first_bus;
u8 g_ecam_last_bus;
Function g_functions[kMaxFunctions];
usize g_function_count;
usize g_functions_dropped;
bool g_bus_scanned[256];
u64 g_device_window_used;

volatile u32* ecam_register(u8 bus, u8 device, u8 function, u16 offset)
{
    u64 at = (u64(bus - g_ecam_first_bus) << 20) | (u64(device) << 15) | (u64(function) << 12) | (offset & 0xFFC);
    return reinterpret_cast<volatile u32*>(g_ecam + at);
}

bool bus_reachable(u8 bus) { return !g_ecam || (bus >= g_ecam_first_bus && bus <= g_ecam_last_bus); }

u32 port_address(u8 bus, u8 device, u8 function, u16 offset)
{
    return 0x80000000u | (u32(bus) << 16) | (u32(device & 31) << 11) | (u32(function & 7) << 8) | (offset & 0xFC);
}

// Finds the MCFG entry for segment 0. The table is firmware input: its length bounds the walk.
void find_ecam()
{
    u64 mcfg = x86_64::find_acpi_table("MCFG");
    if (!mcfg)
        return;
    u32 length;
    __builtin_memcpy(&length, x86_64::phys_to_virt(mcfg + 4), 4);
    if (mcfg + length > kDirectMapSpan)
        return;
    const u8* table = static_cast<const u8*>(x86_64::phys_to_virt(mcfg));
    for (u32 at = 44; at + 16 <= length; at += 16) {
        u64 base;
        u16 segment;
        __builtin_memcpy(&base, table + at, 8);
        __builtin_memcpy(&segment, table + at + 8, 2);
        u8 first = table[at + 10];
        u8 last = table[at + 11];
        if (segment != 0 || last < first || (base & 0xFFFFF) != 0)
            continue;
        u64 size = (u64(last - first) + 1) << 20;
        auto mapped = map_device_memory(base, size);
        if (!mapped) {
            debug::warn("pci: cannot map ECAM at {:#x}: {}", base, mapped.error().message());
            return;
        }
        g_ecam_physical = base;
        g_ecam = *mapped;
        g_ecam_first_bus = first;
        g_ecam_last_bus = last;
        return;
    }
}

void record_function(u8 bus, u8 device, u8 function);

void scan_bus(u8 bus, usize depth)
{
    if (g_bus_scanned[bus] || !bus_reachable(bus) || depth > kMaxBridgeDepth)
        return;
    g_bus_scanned[bus] = true;
    for (u8 device = 0; device < 32; ++device) {
        FunctionConfig first(bus, device, 0);
        if (first.read16(kVendorId) == 0xFFFF)
            continue;
        bool multi = first.read8(kHeaderType) & 0x80;
        for (u8 function = 0; function < (multi ? 8 : 1); ++function) {
            FunctionConfig config(bus, device, function);
            if (config.read16(kVendorId) == 0xFFFF)
                continue;
            record_function(bus, device, function);
            if ((config.read8(kHeaderType) & 0x7F) == 1) {
                u8 secondary = config.read8(kSecondaryBus);
                if (secondary > bus)
                    scan_bus(secondary, depth + 1);
            }
        }
    }
}

void record_function(u8 bus, u8 device, u8 function)
{
    if (g_function_count == kMaxFunctions) {
        ++g_functions_dropped;
        return;
    }
    FunctionConfig config(bus, device, function);
    Function& entry = g_functions[g_function_count++];
    entry = Function {};
    entry.bus = bus;
    entry.device = device;
    entry.function = function;
    entry.vendor_id = config.read16(kVendorId);
    entry.device_id = config.read16(kVendorId + 2);
    u32 class_revision = config.read32(kClassRevision);
    entry.base_class = static_cast<u8>(class_revision >> 24);
    entry.subclass = static_cast<u8>(class_revision >> 16);
    entry.prog_if = static_cast<u8>(class_revision >> 8);
    entry.header_type = config.read8(kHeaderType) & 0x7F;
    entry.interrupt_line = config.read8(kInterruptLine);
    entry.interrupt_pin = config.read8(kInterruptPin);
    entry.bar_count = entry.header_type == 0 ? kBarCountDevice : entry.header_type == 1 ? kBarCountBridge : 0;
    if (entry.bar_count == 0)
        return;
    // Sizing writes the BARs: decoding stays off meanwhile so the device answers at no
    // half-written address.
    u16 command = config.command();
    config.write_command(command & ~(kCommandIo | kCommandMemory));
    for (u8 index = 0; index < entry.bar_count;) {
        auto bar = decode_bar(config, index, entry.bar_count);
        if (!bar) {
            entry.bar_error = true;
            debug::warn("pci: {:02x}:{:02x}.{} BAR {}: {}", bus, device, function, index, bar.error().message());
            ++index;
            continue;
        }
        entry.bars[index] = *bar;
        index = static_cast<u8>(index + bar->slots);
    }
    config.write_command(command);
}

} // namespace

u32 FunctionConfig::read32(u16 offset)
{
    if (g_ecam)
        return *ecam_register(m_bus, m_device, m_function, offset);
    x86_64::InterruptDisabler guard;
    x86_64::outl(kConfigAddressPort, port_address(m_bus, m_device, m_function, offset));
    return x86_64::inl(kConfigDataPort);
}

void FunctionConfig::write32(u16 offset, u32 value)
{
    if (g_ecam) {
        *ecam_register(m_bus, m_device, m_function, offset) = value;
        return;
    }
    x86_64::InterruptDisabler guard;
    x86_64::outl(kConfigAddressPort, port_address(m_bus, m_device, m_function, offset));
    x86_64::outl(kConfigDataPort, value);
}

void enumerate()
{
    find_ecam();
    scan_bus(g_ecam ? g_ecam_first_bus : 0, 0);
    if (g_ecam)
        debug::info("pci: {} functions (ECAM at {:#x}, buses {}..{})", g_function_count, g_ecam_physical, g_ecam_first_bus,
                    g_ecam_last_bus);
    else
        debug::info("pci: {} functions (configuration through ports 0xCF8/0xCFC)", g_function_count);
    if (g_functions_dropped)
        debug::warn("pci: {} more functions not kept (at most {})", g_functions_dropped, kMaxFunctions);
}

std::span<const Function> functions() { return { g_functions, g_function_count }; }
bool uses_ecam() { return g_ecam != nullptr; }
u64 ecam_base() { return g_ecam_physical; }
usize functions_dropped() { return g_functions_dropped; }

Result<volatile u8*> map_device_memory(u64 physical, u64 size)
{
    if (size == 0 || physical + size < physical)
        return Error::from("device memory range wraps or is empty", ErrorKind::OutOfRange);
    auto tables = x86_64::PageTables::current();
    if (physical + size <= kDirectMapSpan) {
        // Every 2 MiB page of the range must be an uncached (non-RAM) one.
        for (u64 page = physical & ~(x86_64::kHugePageSize - 1); page < physical + size; page += x86_64::kHugePageSize) {
            auto translation = tables.translate(reinterpret_cast<u64>(x86_64::phys_to_virt(page)));
            if (!translation || !(translation->flags & x86_64::kPageCacheDisable))
                return Error::from("device memory overlaps RAM", ErrorKind::OutOfRange);
        }
        return static_cast<volatile u8*>(x86_64::phys_to_virt(physical));
    }
    if (size > kMaxDeviceMapping)
        return Error::from("device memory range too large to map", ErrorKind::OutOfRange);
    if (tables.translate(reinterpret_cast<u64>(x86_64::phys_to_virt(physical))))
        return Error::from("device memory overlaps RAM", ErrorKind::OutOfRange);
    u64 first = physical & ~(x86_64::kPageSize - 1);
    u64 span = (physical + size - first + x86_64::kPageSize - 1) & ~(x86_64::kPageSize - 1);
    if (span > kDeviceWindowSize - g_device_window_used)
        return Error::from("device memory window full", ErrorKind::OutOfRange);
    u64 virt = kDeviceWindowBase + g_device_window_used;
    for (u64 at = 0; at < span; at += x86_64::kPageSize)
        TRY(tables.map(virt + at, first + at,
                       x86_64::kPageWritable | x86_64::kPageNoExecute | x86_64::kPageGlobal | x86_64::kPageCacheDisable
                           | x86_64::kPageWriteThrough));
    g_device_window_used += span;
    return reinterpret_cast<volatile u8*>(virt + (physical - first));
}

void enable_memory_and_dma(const Function& function)
{
    FunctionConfig config(function);
    config.write_command(static_cast<u16>((config.command() | kCommandMemory | kCommandBusMaster) & ~kCommandIo));
}

} // namespace wk::kernel::drivers::pci
