#include "kernel/arch/x86_64/ioapic.h"

#include "kernel/arch/x86_64/irq_spin_lock.h"
#include "kernel/arch/x86_64/paging.h"
#include "kernel/arch/x86_64/power.h"
#include "kernel/debug/log.h"

namespace wk::kernel::x86_64 {

namespace {

constexpr u32 kRegisterVersion = 0x01;
constexpr u32 kRedirectionBase = 0x10;
constexpr u32 kMaxInputs = (0x100 - kRedirectionBase) / 2;
// Redirection entry, low half (82093AA, 3.2.4).
constexpr u32 kEntryActiveLow = 1u << 13;
constexpr u32 kEntryLevel = 1u << 15;
constexpr u32 kEntryMasked = 1u << 16;
// The register window: IOREGSEL (+0x00) and IOWIN (+0x10), as 32-bit words.
constexpr usize kSelectWord = 0;
constexpr usize kWindowWord = 4;

struct IoApic {
    volatile u32* registers { nullptr };
    u32 gsi_base { 0 };
    u32 inputs { 0 };
    u8 id { 0 };
    u8 version { 0 };
};

IoApic g_io_apics[Madt::kMaxIoApics];
usize g_io_apic_count;
Madt g_madt;
bool g_have_madt;
// IOREGSEL and IOWIN are one register pair per chip: every access selects then reads or writes,
// under this lock (so with interrupts off).
constinit IrqSpinLock g_register_lock;

u32 read_register_locked(const IoApic& chip, u32 reg) WK_REQUIRES(g_register_lock)
{
    chip.registers[kSelectWord] = reg;
    return chip.registers[kWindowWord];
}

void write_register_locked(const IoApic& chip, u32 reg, u32 value) WK_REQUIRES(g_register_lock)
{
    chip.registers[kSelectWord] = reg;
    chip.registers[kWindowWord] = value;
}

// The register window through the direct map, which maps everything outside RAM below 4 GiB
// uncached; null when its page is RAM (cached) or unmapped, or when the window (IOREGSEL to
// the EOI register, 0x44 bytes) crosses into the next page: a hostile MADT must not make us
// write memory.
volatile u32* map_registers(u32 address)
{
    constexpr u32 kWindowBytes = 0x44;
    if ((address & 0xFFF) > 0x1000 - kWindowBytes)
        return nullptr;
    auto translation = PageTables::current().translate(reinterpret_cast<u64>(phys_to_virt(address)));
    if (!translation || !(translation->flags & kPageCacheDisable))
        return nullptr;
    return static_cast<volatile u32*>(phys_to_virt(address));
}

IoApic* chip_for(u32 gsi)
{
    for (usize i = 0; i < g_io_apic_count; ++i) {
        auto& chip = g_io_apics[i];
        if (gsi >= chip.gsi_base && gsi - chip.gsi_base < chip.inputs)
            return &chip;
    }
    return nullptr;
}

// Reads each listed chip's input count (0: not mapped, or nothing answers).
void probe(const Madt& madt, IoApic (&found)[Madt::kMaxIoApics], u32 (&inputs)[Madt::kMaxIoApics])
{
    for (usize i = 0; i < madt.io_apic_count; ++i) {
        const auto& entry = madt.io_apics[i];
        found[i] = { .registers = map_registers(entry.address), .gsi_base = entry.gsi_base, .id = entry.id };
        if (!found[i].registers) {
            debug::warn("ioapic: I/O APIC {} at {:#x} is in RAM or unmapped; not used", entry.id, entry.address);
            continue;
        }
        u32 version;
        {
            IrqLockGuard lock { g_register_lock };
            version = read_register_locked(found[i], kRegisterVersion);
        }
        if (version == 0xFFFFFFFF) {
            debug::warn("ioapic: nothing answers at {:#x} (I/O APIC {}); not used", entry.address, entry.id);
            continue;
        }
        found[i].version = static_cast<u8>(version);
        inputs[i] = ((version >> 16) & 0xFF) + 1;
        // IOREGSEL is 8 bits: entries past 119 (registers 0x10 + 2n > 0xFF) cannot be reached.
        if (inputs[i] > kMaxInputs) {
            debug::warn("ioapic: I/O APIC {} reports {} inputs; the first {} used", entry.id, inputs[i], kMaxInputs);
            inputs[i] = kMaxInputs;
        }
        found[i].inputs = inputs[i];
    }
}

} // namespace

void initialize_io_apics()
{
    u64 physical = find_acpi_table("APIC");
    if (!physical) {
        debug::info("ioapic: no MADT; no I/O APIC");
        return;
    }
    g_madt = parse_madt(acpi_table_bytes(physical));
    if (g_madt.refused) {
        debug::warn("ioapic: MADT refused ({}); no I/O APIC", g_madt.refused);
        return;
    }
    g_have_madt = true;
    if (g_madt.bad_io_apics || g_madt.bad_overrides)
        debug::warn("ioapic: MADT: {} I/O APIC entries and {} interrupt source overrides skipped (short, duplicate or invalid)",
                    g_madt.bad_io_apics, g_madt.bad_overrides);
    IoApic found[Madt::kMaxIoApics] {};
    u32 inputs[Madt::kMaxIoApics] {};
    probe(g_madt, found, inputs);
    u32 usable = usable_io_apics(g_madt, inputs);
    for (usize i = 0; i < g_madt.io_apic_count; ++i) {
        if (!(usable & (1u << i))) {
            if (inputs[i])
                debug::warn("ioapic: I/O APIC {}: GSIs {}..{} overlap another's; not used", found[i].id, found[i].gsi_base,
                            u64(found[i].gsi_base) + inputs[i] - 1);
            continue;
        }
        auto& chip = g_io_apics[g_io_apic_count++];
        chip = found[i];
        IrqLockGuard lock { g_register_lock };
        for (u32 input = 0; input < chip.inputs; ++input) {
            write_register_locked(chip, kRedirectionBase + 2 * input, kEntryMasked);
            write_register_locked(chip, kRedirectionBase + 2 * input + 1, 0);
        }
    }
    for (usize i = 0; i < g_io_apic_count; ++i) {
        const auto& chip = g_io_apics[i];
        debug::info("ioapic: I/O APIC {} version {:#x}: GSIs {}..{}, all masked", chip.id, chip.version, chip.gsi_base,
                    chip.gsi_base + chip.inputs - 1);
    }
}

usize io_apic_count() { return g_io_apic_count; }

const Madt* io_apic_madt() { return g_have_madt ? &g_madt : nullptr; }

Result<void> route_gsi(u32 gsi, u8 vector, u32 apic_id, GsiMode mode)
{
    if (vector < 32 || apic_id > 0xFE)
        return Error::from("I/O APIC route to an exception vector or an unreachable APIC ID", ErrorKind::Unsupported);
    IoApic* chip = chip_for(gsi);
    if (!chip)
        return Error::from("no I/O APIC serves the GSI", ErrorKind::OutOfRange);
    u32 low = vector; // fixed delivery, physical destination
    if (mode.level)
        low |= kEntryLevel;
    if (mode.active_low)
        low |= kEntryActiveLow;
    u32 input = gsi - chip->gsi_base;
    IrqLockGuard lock { g_register_lock };
    // Masked while the halves change, so that no interrupt goes out half-programmed.
    write_register_locked(*chip, kRedirectionBase + 2 * input, low | kEntryMasked);
    write_register_locked(*chip, kRedirectionBase + 2 * input + 1, apic_id << 24);
    write_register_locked(*chip, kRedirectionBase + 2 * input, low);
    return {};
}

void mask_gsi(u32 gsi)
{
    IoApic* chip = chip_for(gsi);
    if (!chip)
        return;
    u32 input = gsi - chip->gsi_base;
    IrqLockGuard lock { g_register_lock };
    u32 low = read_register_locked(*chip, kRedirectionBase + 2 * input);
    write_register_locked(*chip, kRedirectionBase + 2 * input, low | kEntryMasked);
}

Result<u64> redirection_entry(u32 gsi)
{
    IoApic* chip = chip_for(gsi);
    if (!chip)
        return Error::from("no I/O APIC serves the GSI", ErrorKind::OutOfRange);
    u32 input = gsi - chip->gsi_base;
    IrqLockGuard lock { g_register_lock };
    u64 low = read_register_locked(*chip, kRedirectionBase + 2 * input);
    u64 high = read_register_locked(*chip, kRedirectionBase + 2 * input + 1);
    return (high << 32) | low;
}

} // namespace wk::kernel::x86_64
