#include "kernel/time/rtc.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/time/clock.h"

namespace wk::kernel::time {

namespace {

constexpr u16 kCmosIndex = 0x70;
constexpr u16 kCmosData = 0x71;
constexpr u8 kStatusA = 0x0A;
constexpr u8 kStatusB = 0x0B;
constexpr u8 kCentury = 0x32; // where QEMU and most PCs keep it (the FADT may say otherwise)

u64 g_epoch_ns_at_boot_clock_zero;
bool g_have_wall_clock;

u8 read_cmos(u8 index)
{
    x86_64::outb(kCmosIndex, index); // bit 7 clear: NMIs stay enabled
    return x86_64::inb(kCmosData);
}

struct Raw {
    u8 second, minute, hour, day, month, year, century;
    bool operator==(const Raw&) const = default;
};

Raw read_raw()
{
    return { read_cmos(0x00), read_cmos(0x02), read_cmos(0x04), read_cmos(0x07),
             read_cmos(0x08), read_cmos(0x09), read_cmos(kCentury) };
}

u32 from_bcd(u8 value) { return (value >> 4) * 10u + (value & 0x0F); }

bool is_leap(u32 year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

} // namespace

u64 seconds_since_epoch(const CalendarTime& time)
{
    static constexpr u32 kDaysBeforeMonth[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
    if (time.year < 1970 || time.year > 9999 || time.month < 1 || time.month > 12 || time.day < 1 || time.day > 31
        || time.hour > 23 || time.minute > 59 || time.second > 60)
        return 0;
    u64 days = 0;
    for (u32 year = 1970; year < time.year; ++year)
        days += is_leap(year) ? 366 : 365;
    days += kDaysBeforeMonth[time.month - 1];
    if (time.month > 2 && is_leap(time.year))
        ++days;
    days += time.day - 1;
    return ((days * 24 + time.hour) * 60 + time.minute) * 60 + time.second;
}

void read_wall_clock_at_boot()
{
    // Read until two readings agree outside an update (an update takes under 2 ms).
    Raw raw {};
    for (int attempt = 0; attempt < 1000; ++attempt) {
        while (read_cmos(kStatusA) & 0x80)
            ;
        Raw first = read_raw();
        while (read_cmos(kStatusA) & 0x80)
            ;
        raw = read_raw();
        if (raw == first)
            break;
    }
    u64 now_ns = nanoseconds_since_boot();
    u8 status_b = read_cmos(kStatusB);
    bool binary = status_b & 0x04;
    bool hours_24 = status_b & 0x02;
    auto decode = [&](u8 value) { return binary ? u32 { value } : from_bcd(value); };
    CalendarTime time;
    time.second = decode(raw.second);
    time.minute = decode(raw.minute);
    bool pm = !hours_24 && (raw.hour & 0x80);
    time.hour = decode(raw.hour & 0x7F);
    if (!hours_24)
        time.hour = (time.hour % 12) + (pm ? 12 : 0);
    time.day = decode(raw.day);
    time.month = decode(raw.month);
    u32 century = decode(raw.century);
    if (century < 19 || century > 99)
        century = 20;
    time.year = century * 100 + decode(raw.year);
    u64 seconds = seconds_since_epoch(time);
    if (seconds == 0)
        return;
    g_epoch_ns_at_boot_clock_zero = seconds * 1'000'000'000ull - now_ns;
    g_have_wall_clock = true;
}

u64 realtime_nanoseconds()
{
    u64 since_boot = nanoseconds_since_boot();
    return g_have_wall_clock ? g_epoch_ns_at_boot_clock_zero + since_boot : since_boot;
}

} // namespace wk::kernel::time
