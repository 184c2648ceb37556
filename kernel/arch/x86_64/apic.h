#pragma once

#include "base/types.h"
#include "kernel/time/clock.h"
#include "kernel/arch/x86_64/interrupts.h"

namespace wk::kernel::x86_64 {

// Masks the legacy 8259 PICs and enables this CPU's local APIC (xAPIC, through the direct map,
// which maps the APIC page uncached).
void initialize_local_apic();
// The APIC timer as a counter for time::calibrate_tsc's PIT windows (masked, one-shot from
// 0xFFFFFFFF, divided by 16), so that the TSC's calibration measures it too. Needs
// initialize_local_apic.
time::WindowCounter apic_timer_counter();
// Starts the APIC timer periodically at `hz`. Its rate is `apic_hz` (divided by 16) when
// known (calibrate_tsc's result with apic_timer_counter), otherwise calibrated here against
// the TSC over 1 ms.
void start_apic_timer(u32 hz, u64 apic_hz);
void local_apic_end_of_interrupt();
// This CPU's local APIC ID (the destination of an MSI aimed at it).
u32 local_apic_id();
// Called on every timer tick, after the EOI, with interrupts off, with the frame of the
// interrupted code (which the callback may rewrite; it may also switch threads).
void set_timer_tick_callback(void (*callback)(InterruptFrame&));

u64 timer_ticks();
u32 timer_hz();
u64 apic_timer_frequency_hz();

} // namespace wk::kernel::x86_64
