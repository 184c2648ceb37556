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

ConsoleSink& console_sink();
void set_minimum_log_level(LogLevel level);
bool log_level_enabled(LogLevel level);
void write_log_prefix(LogLevel level);

// One line: "[seconds.micros] level: message". Interrupts are off while it prints.
template<typename... Args>
void log(LogLevel level, std::string_view format, const Args&... args)
{
    if (!log_level_enabled(level))
        return;
    u64 flags;
    asm volatile("pushfq; popq %0; cli" : "=r"(flags)::"memory");
    write_log_prefix(level);
    format_to(console_sink(), format, args...);
    console_sink().write("\n");
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
