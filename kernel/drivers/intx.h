#pragma once

#include "base/result.h"
#include "kernel/drivers/pci/pci.h"

// PCI INTx through the I/O APIC, for devices without MSI-X (docs/storage.md, "INTx through the
// I/O APIC"). A pin's GSI comes from the chipset's routing (kernel/drivers/pci/intx_route.h);
// the line is level-triggered and may be shared by several functions: each gets a handler, and
// an interrupt on the line asks every handler of it whether its device raised it (a virtio
// device's ISR status read answers and lowers its line at once). Lines get vectors
// kFirstIntxVector.. in the order they are first attached; they are aimed at the CPU that
// attaches them.
namespace wk::kernel::drivers {

inline constexpr u8 kFirstIntxVector = 0x50;
inline constexpr usize kMaxIntxLines = 8;
inline constexpr usize kMaxIntxHandlers = 8;
// A line that interrupts this many times in a row with no handler claiming it (a device we
// do not drive holds it asserted, or a wrong route) is masked and reported; its devices'
// waits then time out into polling.
inline constexpr u32 kUnclaimedLimit = 10000;

// Called with interrupts off on the line's CPU; true when its device had raised the line
// (and has now lowered it).
using IntxHandler = bool (*)(void* context);

struct IntxLine {
    u32 gsi { 0 };
    u8 vector { 0 };
};

// Finds `function`'s GSI, attaches `handler` to it and unmasks the line (once: the first
// handler of a line routes it). The handler may run from the moment this returns, also for
// another device's interrupt on the same line. Errors: the routing's (no pin, unknown
// chipset, ...), OutOfRange when no I/O APIC serves the GSI, OutOfMemory past kMaxIntxLines
// lines or kMaxIntxHandlers handlers.
[[nodiscard]] Result<IntxLine> attach_intx(const pci::Function& function, IntxHandler handler, void* context);

// Detaches every handler whose context is `context` (a device that failed to start after
// attach_intx); a line left without handlers is masked. The caller also sets the function's
// Interrupt Disable bit, so that the device cannot assert the line meanwhile.
void detach_intx(void* context);

// What became of the line of `gsi` (all zero for a GSI no handler is attached to).
struct IntxLineStatus {
    bool masked { false }; // masked after kUnclaimedLimit unclaimed interrupts in a row
    u64 interrupts { 0 };
    u64 unclaimed { 0 };
};
IntxLineStatus intx_line_status(u32 gsi);

} // namespace wk::kernel::drivers
