#include "kernel/drivers/intx.h"

#include "kernel/arch/x86_64/apic.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/interrupts.h"
#include "kernel/arch/x86_64/ioapic.h"
#include "kernel/debug/log.h"
#include "kernel/drivers/pci/intx_route.h"
#include "kernel/sched/thread.h"

namespace wk::kernel::drivers {

namespace {

struct Line {
    u32 gsi { 0 };
    u8 vector { 0 };
    bool masked { false };
    u32 unclaimed_in_a_row { 0 };
    u64 interrupts { 0 };
    u64 unclaimed { 0 };
};

struct Attachment {
    usize line { 0 };
    IntxHandler handler { nullptr };
    void* context { nullptr };
};

Line g_lines[kMaxIntxLines];
usize g_line_count;
Attachment g_handlers[kMaxIntxHandlers];
usize g_handler_count;

pci::IntxChipset chipset()
{
    for (auto& function : pci::functions()) {
        if (function.bus == 0 && function.device == 0 && function.function == 0)
            return pci::identify_chipset(function.vendor_id, function.device_id);
    }
    return pci::IntxChipset::Unknown;
}

void on_line_interrupt(x86_64::InterruptFrame& frame)
{
    usize index = frame.vector - kFirstIntxVector;
    if (index >= g_line_count) {
        x86_64::local_apic_end_of_interrupt();
        return;
    }
    Line& line = g_lines[index];
    ++line.interrupts;
    bool claimed = false;
    // Every handler of the line is asked: two devices may have raised it at once.
    for (usize i = 0; i < g_handler_count; ++i) {
        if (g_handlers[i].line == index && g_handlers[i].handler(g_handlers[i].context))
            claimed = true;
    }
    if (claimed) {
        line.unclaimed_in_a_row = 0;
    } else {
        ++line.unclaimed;
        if (++line.unclaimed_in_a_row == kUnclaimedLimit) {
            x86_64::mask_gsi(line.gsi);
            line.masked = true;
            debug::warn("intx: GSI {}: {} interrupts in a row that no device claimed; line masked, its devices are polled",
                        line.gsi, kUnclaimedLimit);
        }
    }
    // NOTE: after the devices lowered the line: the EOI (broadcast to the I/O APICs) clears
    // the entry's remote IRR, and a line still asserted interrupts again at once.
    x86_64::local_apic_end_of_interrupt();
    if (claimed)
        sched::on_tick(); // runs a woken thread now when the CPU was idle
}

// The line of `gsi`, routed to this CPU when it is new. Interrupts are off (the caller's).
Result<usize> line_for(u32 gsi, const pci::IntxRoute& route)
{
    for (usize i = 0; i < g_line_count; ++i) {
        if (g_lines[i].gsi == gsi)
            return i;
    }
    if (g_line_count == kMaxIntxLines)
        return Error::from("no INTx vector left", ErrorKind::OutOfMemory);
    usize index = g_line_count;
    u8 vector = static_cast<u8>(kFirstIntxVector + index);
    x86_64::set_interrupt_handler(vector, on_line_interrupt);
    TRY(x86_64::route_gsi(gsi, vector, x86_64::local_apic_id(), { .level = route.level, .active_low = route.active_low }));
    g_lines[index] = { .gsi = gsi, .vector = vector };
    g_line_count = index + 1;
    return index;
}

} // namespace

Result<IntxLine> attach_intx(const pci::Function& function, IntxHandler handler, void* context)
{
    auto* madt = x86_64::io_apic_madt();
    std::span<const x86_64::MadtOverride> overrides;
    if (madt)
        overrides = madt->override_list();
    pci::IntxSource source { .bus = function.bus, .device = function.device, .pin = function.interrupt_pin,
                             .interrupt_line = function.interrupt_line };
    auto route = TRY(pci::route_intx(chipset(), source, overrides));
    if (g_handler_count == kMaxIntxHandlers)
        return Error::from("no INTx handler slot left", ErrorKind::OutOfMemory);
    // NOTE: the line is aimed at this CPU, which takes no interrupt until the handler is in
    // place, so the first interrupt (maybe another device's on the same line) finds it.
    x86_64::InterruptDisabler no_interrupts;
    usize line = TRY(line_for(route.gsi, route));
    g_handlers[g_handler_count++] = { .line = line, .handler = handler, .context = context };
    return IntxLine { .gsi = route.gsi, .vector = g_lines[line].vector };
}

void detach_intx(void* context)
{
    x86_64::InterruptDisabler no_interrupts;
    usize kept = 0;
    for (usize i = 0; i < g_handler_count; ++i) {
        if (g_handlers[i].context != context)
            g_handlers[kept++] = g_handlers[i];
    }
    g_handler_count = kept;
    for (usize line = 0; line < g_line_count; ++line) {
        bool used = false;
        for (usize i = 0; i < g_handler_count; ++i)
            used = used || g_handlers[i].line == line;
        if (!used)
            x86_64::mask_gsi(g_lines[line].gsi);
    }
}

IntxLineStatus intx_line_status(u32 gsi)
{
    for (usize i = 0; i < g_line_count; ++i) {
        if (g_lines[i].gsi == gsi)
            return { .masked = g_lines[i].masked, .interrupts = g_lines[i].interrupts, .unclaimed = g_lines[i].unclaimed };
    }
    return {};
}

} // namespace wk::kernel::drivers
