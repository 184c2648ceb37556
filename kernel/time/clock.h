#pragma once

#include "base/types.h"

// The kernel's clock: the TSC, calibrated once at boot. Time zero is the first instruction
// of the boot code (boot_tsc). Before calibration every reading is zero.
namespace wk::kernel::time {

enum class CalibrationSource : u8 { None, KvmClock, Cpuid, Pit };

// A counter that runs beside the TSC during the PIT windows, so that one wait calibrates both
// (the local APIC timer: x86_64::apic_timer_counter). start() begins a count; elapsed() reads
// the ticks since then.
struct WindowCounter {
    void (*start)();
    u64 (*elapsed)();
};

// Calibrates the TSC: exact from KVM's pvclock or CPUID leaf 0x15 when available, otherwise
// measured against the PIT over a short window. With `counter`, returns the counter's rate
// measured over the same PIT window as the TSC's, or 0 when there was no PIT window (the
// caller then calibrates it against the TSC).
u64 calibrate_tsc(u64 boot_tsc, const WindowCounter* counter = nullptr);

u64 tsc_frequency_hz();
// Measures the TSC's rate against the PIT now, the way a boot without kvmclock or CPUID leaf
// 0x15 does (the tightest-bracketed 1 ms window); 0 without a PIT. For the clock's tests.
u64 measure_tsc_hz_against_pit();
CalibrationSource calibration_source();
const char* calibration_source_name();
u64 boot_tsc();
u64 nanoseconds_since_boot();
u64 tsc_to_nanoseconds(u64 ticks);
// Busy-waits; for calibration and drivers only.
void spin_for_nanoseconds(u64 nanoseconds);

} // namespace wk::kernel::time
