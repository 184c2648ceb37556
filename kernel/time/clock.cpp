#include "kernel/time/clock.h"

#include "kernel/arch/x86_64/cpu.h"

namespace wk::kernel::time {

using namespace x86_64;

namespace {

u64 g_boot_tsc;
u64 g_tsc_hz;
// Nanoseconds per tick as a 32.32 fixed-point factor, so conversion is one 128-bit multiply.
u64 g_ns_per_tick_fp32;
CalibrationSource g_source = CalibrationSource::None;

// KVM's pvclock page: the hypervisor fills it in when we hand its address to the MSR.
struct [[gnu::packed]] PvclockTimeInfo {
    u32 version;
    u32 pad0;
    u64 tsc_timestamp;
    u64 system_time;
    u32 tsc_to_system_mul;
    i8 tsc_shift;
    u8 flags;
    u8 pad[2];
};
alignas(64) volatile PvclockTimeInfo g_pvclock;

constexpr u32 kMsrKvmSystemTimeNew = 0x4B564D01;
constexpr u32 kKvmFeatureClocksource2 = 1 << 3;

u64 virt_to_phys_kernel_image(const volatile void* address)
{
    // NOTE: kernel image addresses are KERNEL_VMA + physical (linker.ld).
    return reinterpret_cast<uptr>(address) - 0xFFFFFFFF80000000ull;
}

bool is_kvm()
{
    if (!(cpuid(1).ecx & (1u << 31)))
        return false;
    auto leaf = cpuid(0x40000000);
    return leaf.ebx == 0x4B4D564B && leaf.ecx == 0x564B4D56 && leaf.edx == 0x4D; // "KVMKVMKVM\0\0\0"
}

u64 try_kvmclock()
{
    if (!is_kvm())
        return 0;
    if (!(cpuid(0x40000001).eax & kKvmFeatureClocksource2))
        return 0;
    wrmsr(kMsrKvmSystemTimeNew, virt_to_phys_kernel_image(&g_pvclock) | 1);
    u32 mul = 0;
    i8 shift = 0;
    for (int attempt = 0; attempt < 1000; ++attempt) {
        u32 version = g_pvclock.version;
        if (version & 1)
            continue;
        asm volatile("" ::: "memory");
        mul = g_pvclock.tsc_to_system_mul;
        shift = g_pvclock.tsc_shift;
        asm volatile("" ::: "memory");
        if (g_pvclock.version == version)
            break;
    }
    wrmsr(kMsrKvmSystemTimeNew, 0); // we only wanted the frequency
    if (mul == 0)
        return 0;
    // ns = ((ticks << shift) * mul) >> 32, so Hz = 1e9 * 2^32 / mul, scaled back by the shift.
    unsigned __int128 hz = (static_cast<unsigned __int128>(1000000000ull) << 32) / mul;
    if (shift > 0)
        hz >>= shift;
    else if (shift < 0)
        hz <<= -shift;
    return static_cast<u64>(hz);
}

u64 try_cpuid_leaf_15()
{
    if (cpuid(0).eax < 0x15)
        return 0;
    auto leaf = cpuid(0x15);
    if (leaf.eax == 0 || leaf.ebx == 0 || leaf.ecx == 0)
        return 0;
    return u64(leaf.ecx) * leaf.ebx / leaf.eax;
}

struct WindowRates {
    u64 tsc_hz;
    u64 counter_hz;
};

// Counts TSC ticks (and `counter`'s, if any) while PIT channel 2 counts down `pit_ticks`
// (1.193182 MHz). tsc_hz 0: no PIT.
WindowRates measure_with_pit(u16 pit_ticks, const WindowCounter* counter)
{
    constexpr u64 kPitHz = 1193182;
    u8 gate = inb(0x61);
    outb(0x61, (gate & ~0x02) | 0x01); // speaker off, gate on
    outb(0x43, 0xB0);                  // channel 2, lobyte/hibyte, mode 0
    outb(0x42, pit_ticks & 0xFF);
    outb(0x42, pit_ticks >> 8);
    // Restart the count by toggling the gate.
    gate = inb(0x61);
    outb(0x61, gate & ~0x01);
    outb(0x61, gate | 0x01);
    if (counter)
        counter->start();
    u64 start = rdtsc();
    u64 spins = 0;
    while (!(inb(0x61) & 0x20)) {
        if (++spins > 100000000)
            return {}; // no PIT
    }
    u64 end = rdtsc();
    u64 counted = counter ? counter->elapsed() : 0;
    return { (end - start) * kPitHz / pit_ticks, counted * kPitHz / pit_ticks };
}

// A delay between the PIT expiring and our TSC read (a host that deschedules the virtual CPU,
// an SMI) can only make a window look longer, so the smallest of a few windows is the best;
// the counter's figure comes from that window too (read right after the TSC, a delay there
// inflates both).
// NOTE: two windows of 1 ms (it was three of 2 ms): the calibration is on every boot's path
// to the shell prompt (docs/kernel-abi.md, "Boot phases"). A window's error is the latency of
// one poll of port 0x61 (a few microseconds under emulation), well under 1% of 1 ms.
WindowRates measure_with_pit_repeatedly(const WindowCounter* counter)
{
    WindowRates best {};
    for (int window = 0; window < 2; ++window) {
        WindowRates rates = measure_with_pit(1193, counter); // 1 ms
        if (rates.tsc_hz == 0)
            return {};
        if (best.tsc_hz == 0 || rates.tsc_hz < best.tsc_hz)
            best = rates;
    }
    return best;
}

} // namespace

u64 calibrate_tsc(u64 boot_tsc, const WindowCounter* counter)
{
    g_boot_tsc = boot_tsc;
    u64 counter_hz = 0;
    WindowRates rates {};
    if ((g_tsc_hz = try_kvmclock()))
        g_source = CalibrationSource::KvmClock;
    else if ((g_tsc_hz = try_cpuid_leaf_15()))
        g_source = CalibrationSource::Cpuid;
    else if ((rates = measure_with_pit_repeatedly(counter)).tsc_hz) {
        g_tsc_hz = rates.tsc_hz;
        counter_hz = rates.counter_hz;
        g_source = CalibrationSource::Pit;
    } else {
        g_tsc_hz = 1000000000; // a guess that keeps time moving
        g_source = CalibrationSource::None;
    }
    g_ns_per_tick_fp32 = static_cast<u64>((static_cast<unsigned __int128>(1000000000ull) << 32) / g_tsc_hz);
    return counter_hz;
}

u64 tsc_frequency_hz() { return g_tsc_hz; }
CalibrationSource calibration_source() { return g_source; }

const char* calibration_source_name()
{
    switch (g_source) {
    case CalibrationSource::KvmClock: return "kvmclock";
    case CalibrationSource::Cpuid: return "cpuid 0x15";
    case CalibrationSource::Pit: return "PIT";
    case CalibrationSource::None: break;
    }
    return "uncalibrated";
}

u64 boot_tsc() { return g_boot_tsc; }

u64 tsc_to_nanoseconds(u64 ticks)
{
    return static_cast<u64>((static_cast<unsigned __int128>(ticks) * g_ns_per_tick_fp32) >> 32);
}

u64 nanoseconds_since_boot()
{
    if (g_ns_per_tick_fp32 == 0)
        return 0;
    return tsc_to_nanoseconds(rdtsc() - g_boot_tsc);
}

void spin_for_nanoseconds(u64 nanoseconds)
{
    u64 start = nanoseconds_since_boot();
    while (nanoseconds_since_boot() - start < nanoseconds)
        pause();
}

} // namespace wk::kernel::time
