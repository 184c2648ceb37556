#pragma once

#include <span>

#include "base/types.h"

namespace wk::kernel::x86_64 {

// Exit statuses written to QEMU's isa-debug-exit device (iobase 0xf4). QEMU exits with
// (value << 1) | 1, so the launcher (tools/qemu-run) maps 33 to success and 35 to failure.
constexpr u8 kDebugExitSuccess = 0x10;
constexpr u8 kDebugExitFailure = 0x11;
// Other statuses (2..63) are written as 0x40 + status, so QEMU exits with 129 + 2 * status and
// the launcher maps that back; larger statuses become 63.
constexpr u8 kDebugExitStatusBase = 0x40;
constexpr u32 kDebugExitMaxStatus = 63;

// Remembers where the ACPI tables are, for power_off_success() on machines without the QEMU device.
void set_acpi_rsdp(u64 rsdp_physical);
// The physical address of the ACPI table with this 4-character signature (its header and
// length checked, below 4 GiB), or 0 when there is none.
u64 find_acpi_table(const char* signature);
// The bytes of the table at `physical` (find_acpi_table's result): its header's length, cut
// at 4 GiB (what the boot direct map covers); empty for a table that starts too high.
std::span<const u8> acpi_table_bytes(u64 physical);

// Ends the machine: isa-debug-exit under QEMU, then ACPI S5, then halts.
[[noreturn]] void power_off_success();
// Ends the machine with `status` as QEMU's exit status (through tools/qemu-run; 0 and 1 as
// above, 2..63 as kDebugExitStatusBase + status); elsewhere ACPI S5 whatever the status.
[[noreturn]] void power_off_with_status(u32 status);
// Ends the machine with a failure status under QEMU; elsewhere halts (so a person can read it).
[[noreturn]] void power_off_failure();

} // namespace wk::kernel::x86_64
