#include "kernel/debug/log.h"

#include "kernel/debug/log_buffer.h"
#include "kernel/drivers/uart16550.h"
#include "kernel/time/clock.h"

namespace wk::kernel::debug {

namespace {

LogLevel g_minimum_level = LogLevel::Info;

constexpr std::string_view level_name(LogLevel level)
{
    switch (level) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warn: return "warn";
    case LogLevel::Error: return "error";
    }
    return "?";
}

} // namespace

void ConsoleSink::write(std::string_view text)
{
    auto& uart = drivers::com1();
    for (char c : text) {
        if (c == '\n')
            uart.write_byte('\r');
        uart.write_byte(static_cast<u8>(c));
    }
}

constinit x86_64::IrqSpinLock g_log_lock;

LogLine::LogLine(LogLevel level)
    : m_to_console(log_level_enabled(level))
{
    m_state = g_log_lock.lock();
    u64 micros = time::nanoseconds_since_boot() / 1000;
    format_to(*this, "[{:>5}.{:06}] {}: ", micros / 1000000, micros % 1000000, level_name(level));
}

LogLine::~LogLine()
{
    write("\n");
    g_log_lock.unlock(m_state);
}

void LogLine::write(std::string_view text)
{
    log_ring_locked().append(ReadonlyBytes(reinterpret_cast<const u8*>(text.data()), text.size()));
    if (m_to_console)
        console_sink().write(text);
}

ConsoleSink& console_sink()
{
    static constinit ConsoleSink sink;
    return sink;
}

void set_minimum_log_level(LogLevel level) { g_minimum_level = level; }
bool log_level_enabled(LogLevel level) { return level >= g_minimum_level; }

} // namespace wk::kernel::debug
