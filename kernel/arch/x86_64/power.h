#pragma once

#include "base/types.h"

namespace wk::kernel::x86_64 {

// Exit statuses written to QEMU's isa-debug-exit device (iobase 0xf4). QEMU exits with
// (value << 1) | 1, so the launcher (tools/qemu-run) maps 33 to success and 35 to failure.
constexpr u8 kDebugExitSuccess = 0x10;
constexpr u8 kDebugExitFailure = 0x11;

// Remembers where the ACPI tables are, for power_off_success() on machines without the QEMU device.
void set_acpi_rsdp(u64 rsdp_physical);

// Ends the machine: isa-debug-exit under QEMU, then ACPI S5, then halts.
[[noreturn]] void power_off_success();
// Ends the machine with a failure status under QEMU; elsewhere halts (so a person can read it).
[[noreturn]] void power_off_failure();

} // namespace wk::kernel::x86_64
