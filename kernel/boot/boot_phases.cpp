#include "kernel/boot/boot_phases.h"

#include "base/format.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/debug/log.h"
#include "kernel/time/clock.h"

namespace wk::kernel::boot {

namespace {

constexpr const char* kPhaseNames[] = { "memory", "clock",    "timer",   "smp",          "storage", "root",
                                        "init",   "read",     "compiled", "started", "instantiated", "prompt" };
static_assert(sizeof(kPhaseNames) / sizeof(kPhaseNames[0]) == static_cast<usize>(BootPhase::Count));

// TSC readings, 0 = not marked: raw ticks, converted when logged, because the memory phase
// ends before the TSC is calibrated. Written by one thread at a time in practice (boot, then
// the first process); a race would lose one mark, never corrupt one.
u64 g_phase_tsc[static_cast<usize>(BootPhase::Count)];
bool g_logged;

} // namespace

void mark_boot_phase(BootPhase phase)
{
    u64& slot = g_phase_tsc[static_cast<usize>(phase)];
    if (slot == 0)
        slot = x86_64::rdtsc() | 1; // never 0 once marked
}

void log_boot_phases()
{
    if (g_logged)
        return;
    g_logged = true;
    mark_boot_phase(BootPhase::Prompt);
    char line[256];
    BufferFormatSink sink(Span<char>(line, sizeof(line))); // cuts, never overflows
    bool first = true;
    for (usize i = 0; i < static_cast<usize>(BootPhase::Count); ++i) {
        if (g_phase_tsc[i] == 0)
            continue;
        u64 ticks = g_phase_tsc[i] > time::boot_tsc() ? g_phase_tsc[i] - time::boot_tsc() : 0;
        u64 us = time::tsc_to_nanoseconds(ticks) / 1000;
        format_to(sink, "{}{} {}.{:03}", first ? "" : ", ", kPhaseNames[i], us / 1000, us % 1000);
        first = false;
    }
    debug::dbgln("boot: phases (ms since the first instruction): {}", sink.view());
}

} // namespace wk::kernel::boot
