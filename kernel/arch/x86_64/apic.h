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
// Enables the calling CPU's local APIC the way initialize_local_apic does the boot CPU's, with
// its timer masked (an application processor: kernel/arch/x86_64/smp.h).
void enable_local_apic_on_this_cpu();
void local_apic_end_of_interrupt();

// Interrupt command register values (SDM vol. 3, "Interrupt Command Register (ICR)"): delivery
// mode, level assert.
constexpr u32 kIpiInit = 0x4500;
constexpr u32 kIpiStartup = 0x4600; // | the start page (physical address >> 12, below 1 MiB)
constexpr u32 kIpiNmi = 0x4400;
constexpr u32 kIpiFixed = 0x4000;   // | the vector
// Sends an inter-processor interrupt to the local APIC `apic_id` (xAPIC, physical
// destination). False when the previous one was still pending after 1 ms or this one did not
// leave within 1 ms (the caller reports it).
bool send_ipi(u32 apic_id, u32 command);
// This CPU's local APIC ID (the destination of an MSI aimed at it).
u32 local_apic_id();
// Called on every timer tick, after the EOI, with interrupts off, with the frame of the
// interrupted code (which the callback may rewrite; it may also switch threads).
void set_timer_tick_callback(void (*callback)(InterruptFrame&));

u64 timer_ticks();
u32 timer_hz();
u64 apic_timer_frequency_hz();

} // namespace wk::kernel::x86_64
