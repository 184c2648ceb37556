#include "kernel/arch/x86_64/apic.h"

#include <atomic>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/interrupts.h"
#include "kernel/arch/x86_64/paging.h"
#include "kernel/time/clock.h"

namespace wk::kernel::x86_64 {

namespace {

constexpr u32 kApicBaseMsr = 0x1B;
enum ApicRegister : u32 {
    kApicId = 0x20,
    kTaskPriority = 0x80,
    kEndOfInterrupt = 0xB0,
    kSpuriousVectorRegister = 0xF0,
    kInterruptCommandLow = 0x300,
    kInterruptCommandHigh = 0x310,
    kLvtTimer = 0x320,
    kTimerInitialCount = 0x380,
    kTimerCurrentCount = 0x390,
    kTimerDivide = 0x3E0,
};
constexpr u32 kLvtMasked = 1 << 16;
constexpr u32 kLvtPeriodic = 1 << 17;
constexpr u32 kIcrDeliveryPending = 1 << 12;

volatile u32* g_apic;
std::atomic<u64> g_ticks;
u32 g_hz;
u64 g_apic_hz;
void (*g_tick_callback)(InterruptFrame&);

u32 read(u32 reg) { return g_apic[reg / 4]; }
void write(u32 reg, u32 value) { g_apic[reg / 4] = value; }

void on_timer(InterruptFrame& frame)
{
    g_ticks.fetch_add(1, std::memory_order_relaxed);
    local_apic_end_of_interrupt();
    if (g_tick_callback)
        g_tick_callback(frame); // may switch threads; this frame resumes when we are scheduled again
}

} // namespace

void initialize_local_apic()
{
    // Remap the PICs away from the exception vectors, then mask every line.
    outb(0x20, 0x11);
    outb(0xA0, 0x11);
    outb(0x21, 0x20);
    outb(0xA1, 0x28);
    outb(0x21, 0x04);
    outb(0xA1, 0x02);
    outb(0x21, 0x01);
    outb(0xA1, 0x01);
    outb(0x21, 0xFF);
    outb(0xA1, 0xFF);

    u64 base = rdmsr(kApicBaseMsr);
    wrmsr(kApicBaseMsr, base | (1 << 11)); // global enable
    g_apic = static_cast<volatile u32*>(phys_to_virt(base & 0xFFFFFF000ull));
    write(kSpuriousVectorRegister, 0x100 | kSpuriousVector);
}

void enable_local_apic_on_this_cpu()
{
    u64 base = rdmsr(kApicBaseMsr);
    wrmsr(kApicBaseMsr, base | (1 << 11)); // global enable
    write(kTaskPriority, 0);
    write(kLvtTimer, kLvtMasked | kTimerVector);
    write(kSpuriousVectorRegister, 0x100 | kSpuriousVector);
}

namespace {

bool wait_for_ipi_delivery()
{
    u64 deadline = rdtsc() + time::tsc_frequency_hz() / 1000;
    while (read(kInterruptCommandLow) & kIcrDeliveryPending) {
        if (rdtsc() > deadline)
            return false;
        pause();
    }
    return true;
}

} // namespace

bool send_ipi(u32 apic_id, u32 command)
{
    InterruptDisabler no_interrupts; // the two writes belong together
    if (!wait_for_ipi_delivery())
        return false;
    write(kInterruptCommandHigh, apic_id << 24);
    write(kInterruptCommandLow, command);
    return wait_for_ipi_delivery();
}

namespace {

void start_counting()
{
    write(kTimerDivide, 0x3); // divide by 16
    write(kLvtTimer, kLvtMasked | kTimerVector);
    write(kTimerInitialCount, 0xFFFFFFFF);
}

u64 ticks_counted() { return 0xFFFFFFFFu - read(kTimerCurrentCount); }

} // namespace

time::WindowCounter apic_timer_counter() { return { start_counting, ticks_counted }; }

void start_apic_timer(u32 hz, u64 apic_hz)
{
    set_interrupt_handler(kTimerVector, on_timer);
    if (apic_hz == 0) {
        start_counting();
        constexpr u64 kWindowNs = 1000000;
        time::spin_for_nanoseconds(kWindowNs);
        apic_hz = ticks_counted() * (1000000000 / kWindowNs);
    }
    write(kTimerInitialCount, 0);
    g_apic_hz = apic_hz;
    g_hz = hz;
    u64 count = g_apic_hz / hz;
    if (count == 0)
        count = 1;
    write(kLvtTimer, kLvtPeriodic | kTimerVector);
    write(kTimerInitialCount, static_cast<u32>(count > 0xFFFFFFFF ? 0xFFFFFFFF : count));
}

void set_timer_tick_callback(void (*callback)(InterruptFrame&)) { g_tick_callback = callback; }

void local_apic_end_of_interrupt() { write(kEndOfInterrupt, 0); }

u32 local_apic_id() { return read(kApicId) >> 24; }

u64 timer_ticks() { return g_ticks.load(std::memory_order_relaxed); }
u32 timer_hz() { return g_hz; }
u64 apic_timer_frequency_hz() { return g_apic_hz; }

} // namespace wk::kernel::x86_64
