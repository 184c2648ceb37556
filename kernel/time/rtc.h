#pragma once

#include "base/types.h"

// The wall clock: the CMOS real-time clock, read once at boot. WASI's realtime clock is
// that reading plus the time since (kernel/sys/kernel_wasi_system.cpp).
namespace wk::kernel::time {

struct CalendarTime {
    u32 year { 0 }; // e.g. 2026
    u32 month { 0 }; // 1..12
    u32 day { 0 };   // 1..31
    u32 hour { 0 };
    u32 minute { 0 };
    u32 second { 0 };
};

// Seconds since 1970-01-01 00:00:00 UTC of a calendar time (Gregorian), or 0 for a date
// before 1970, after 9999 or with a field out of range.
u64 seconds_since_epoch(const CalendarTime&);

// Reads the RTC (waiting out an update in progress, BCD or binary, 12 or 24 hours) and
// remembers it with the boot clock's reading. Zero when the RTC reads nonsense.
void read_wall_clock_at_boot();
// Nanoseconds since the Unix epoch now (the boot reading plus nanoseconds_since_boot()); when
// the RTC gave nothing, plain nanoseconds since boot.
u64 realtime_nanoseconds();

} // namespace wk::kernel::time
