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
    u64 uncertainty; // TSC ticks: how far the window's edges (and the counter's reads) may be off
    u64 length;      // TSC ticks
};

// A TSC reading bracketed by the readings just before and after `read_between` (a port or
// MMIO access, which a host may stall): the event happened between `before` and `after`.
struct Bracket {
    u64 before;
    u64 after;
    u64 middle() const { return before + (after - before) / 2; }
    u64 width() const { return after - before; }
};

// Counts TSC ticks (and `counter`'s, if any) while PIT channel 2 counts down `pit_ticks`
// (1.193182 MHz). tsc_hz 0: no PIT. NOTE: each edge is bracketed by TSC readings, because a
// host may stall the virtual CPU at any port or MMIO access (seen under TCG on a loaded
// machine: a stall between opening the window and reading the TSC made it look up to 100 times
// shorter). The window opens at the gate's rising edge and closes between the last poll that
// saw the output low and the first that saw it high; the counter is read with its own bracket.
WindowRates measure_with_pit(u16 pit_ticks, const WindowCounter* counter)
{
    constexpr u64 kPitHz = 1193182;
    u8 gate = inb(0x61);
    outb(0x61, (gate & ~0x02) | 0x01); // speaker off, gate on
    outb(0x43, 0xB0);                  // channel 2, lobyte/hibyte, mode 0
    outb(0x42, pit_ticks & 0xFF);
    outb(0x42, pit_ticks >> 8);
    if (counter)
        counter->start();
    // Restart the count by toggling the gate.
    gate = inb(0x61);
    outb(0x61, gate & ~0x01);
    Bracket open { rdtsc(), 0 };
    outb(0x61, gate | 0x01);
    open.after = rdtsc();
    Bracket first_count { rdtsc(), 0 };
    u64 counted_at_open = counter ? counter->elapsed() : 0;
    first_count.after = rdtsc();
    Bracket close { first_count.after, 0 };
    u64 spins = 0;
    for (;;) {
        u64 before = rdtsc();
        bool high = inb(0x61) & 0x20;
        u64 after = rdtsc();
        if (high) {
            close.after = after;
            break;
        }
        close.before = before; // the output went high after this poll's read
        if (++spins > 100000000)
            return {}; // no PIT
    }
    Bracket last_count { rdtsc(), 0 };
    u64 counted_at_close = counter ? counter->elapsed() : 0;
    last_count.after = rdtsc();
    u64 length = close.middle() > open.middle() ? close.middle() - open.middle() : 1;
    u64 tsc_hz = length * kPitHz / pit_ticks;
    u64 counter_span = last_count.middle() - first_count.middle();
    u64 counted = counted_at_close - counted_at_open;
    u64 uncertainty = open.width() + close.width() + (counter ? first_count.width() + last_count.width() : 0);
    // NOTE: counted * tsc_hz stays within 64 bits below 2^28 counts (seconds of a 62.5 MHz
    // APIC timer, 2^36 Hz TSCs); a window stalled that long is never the one chosen.
    constexpr u64 kMaxCounted = u64 { 1 } << 28;
    u64 counter_hz = 0;
    if (counter && (counted >= kMaxCounted || counter_span == 0 || tsc_hz >= (u64 { 1 } << 36)))
        uncertainty = ~u64 { 0 };
    else if (counter)
        counter_hz = counted * tsc_hz / counter_span;
    return { tsc_hz, counter_hz, uncertainty, length };
}

// The window whose edges are known best: windows of 1 ms until one's uncertainty is under 1%
// of its length, at most kMaxWindows (then the tightest of them).
// NOTE: the calibration is on every boot's path to the shell prompt (docs/boot-and-machine-state.md,
// "Boot phases"): an unstalled window (edges known to a few microseconds under emulation,
// nanoseconds on hardware) is enough, so a quiet boot waits 1 ms; it was two windows, of
// which the smaller rate was taken, which let a stall at the window's start (a rate too small)
// through.
WindowRates measure_with_pit_repeatedly(const WindowCounter* counter)
{
    constexpr int kMaxWindows = 8;
    WindowRates best {};
    for (int window = 0; window < kMaxWindows; ++window) {
        WindowRates rates = measure_with_pit(1193, counter); // 1 ms
        if (rates.tsc_hz == 0)
            return {};
        if (best.tsc_hz == 0 || rates.uncertainty < best.uncertainty)
            best = rates;
        if (best.uncertainty * 100 < best.length)
            break;
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
u64 measure_tsc_hz_against_pit() { return measure_with_pit_repeatedly(nullptr).tsc_hz; }
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
