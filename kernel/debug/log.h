#pragma once

#include <string_view>

#include "base/format.h"

namespace wk::kernel::debug {

enum class LogLevel : u8 { Debug, Info, Warn, Error };

// The serial console as a FormatSink; "\n" becomes "\r\n". Safe in any context: it takes no
// locks, so a panic can always print (lines may interleave only if two CPUs panic at once).
class ConsoleSink final : public FormatSink {
public:
    void write(std::string_view text) override;
};

// A log line's destination: the kernel log ring (log_buffer.h, read by dmesg) always, the
// console when `to_console`. "\n" becomes "\r\n" on the console only.
class LogSink final : public FormatSink {
public:
    constexpr explicit LogSink(bool to_console)
        : m_to_console(to_console)
    {
    }
    void write(std::string_view text) override;

private:
    bool m_to_console;
};

ConsoleSink& console_sink();
void set_minimum_log_level(LogLevel level);
bool log_level_enabled(LogLevel level);
// Starts a log line in `sink`; the version without a sink starts one on the console and in the
// ring, to be continued through log_sink() (a line put together in pieces).
void write_log_prefix(FormatSink& sink, LogLevel level);
void write_log_prefix(LogLevel level);
LogSink& log_sink();

// One line: "[seconds.micros] level: message", into the kernel log ring at every level and on
// the console at or above the log level. Interrupts are off while it prints.
template<typename... Args>
void log(LogLevel level, std::string_view format, const Args&... args)
{
    u64 flags;
    asm volatile("pushfq; popq %0; cli" : "=r"(flags)::"memory");
    LogSink sink(log_level_enabled(level));
    write_log_prefix(sink, level);
    format_to(sink, format, args...);
    sink.write("\n");
    if (flags & (1 << 9))
        asm volatile("sti" ::: "memory");
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
