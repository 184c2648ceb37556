#pragma once

#include <string_view>

#include "base/format.h"
#include "kernel/arch/x86_64/irq_spin_lock.h"

namespace wk::kernel::debug {

enum class LogLevel : u8 { Debug, Info, Warn, Error };

// The serial console as a FormatSink; "\n" becomes "\r\n". Safe in any context: it takes no
// locks, so a panic can always print (lines may interleave only if two CPUs panic at once).
class ConsoleSink final : public FormatSink {
public:
    void write(std::string_view text) override;
};

ConsoleSink& console_sink();
void set_minimum_log_level(LogLevel level);
bool log_level_enabled(LogLevel level);

// The lock of the kernel log: the ring (log_buffer.h) and the console lines written through it.
// A leaf: nothing else is taken under it (formatting a log line takes no lock).
extern x86_64::IrqSpinLock g_log_lock;

// One log line, "[seconds.micros] level: " then what is written to it, then "\n" when it ends:
// into the kernel log ring (log_buffer.h, read by dmesg) at every level, and on the console at
// or above the log level ("\n" becomes "\r\n" there). It holds the log lock (interrupts off)
// from start to end, so lines from different CPUs never interleave in the ring or on the
// console. For a line put together in pieces; debug::log writes whole ones.
class WK_SCOPED_CAPABILITY LogLine final : public FormatSink {
public:
    explicit LogLine(LogLevel level) WK_ACQUIRE(g_log_lock);
    ~LogLine() WK_RELEASE();
    LogLine(const LogLine&) = delete;
    LogLine& operator=(const LogLine&) = delete;

    void write(std::string_view text) override WK_REQUIRES(g_log_lock);

private:
    bool m_to_console;
    x86_64::InterruptState m_state;
};

// One line through LogLine.
template<typename... Args>
void log(LogLevel level, std::string_view format, const Args&... args)
{
    LogLine line(level);
    format_to(line, format, args...);
}

template<typename... Args>
void dbgln(std::string_view format, const Args&... args) { log(LogLevel::Debug, format, args...); }
template<typename... Args>
void info(std::string_view format, const Args&... args) { log(LogLevel::Info, format, args...); }
template<typename... Args>
void warn(std::string_view format, const Args&... args) { log(LogLevel::Warn, format, args...); }
template<typename... Args>
void error(std::string_view format, const Args&... args) { log(LogLevel::Error, format, args...); }

// Unformatted output to the console, for the console's own echo and prompts.
template<typename... Args>
void print(std::string_view format, const Args&... args)
{
    format_to(console_sink(), format, args...);
}

} // namespace wk::kernel::debug
