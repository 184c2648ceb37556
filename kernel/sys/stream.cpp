#include "kernel/sys/stream.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/boot/boot_phases.h"
#include "kernel/debug/log.h"
#include "kernel/drivers/uart16550.h"
#include "kernel/sched/thread.h"
#include "kernel/time/clock.h"

namespace wk::kernel::sys {

using engine::wasi::Errno;
using engine::wasi::Expected;

namespace {
// How often a reader waiting for console input looks again (the UART raises no interrupt here).
constexpr u64 kInputPollNanoseconds = 1'000'000;

// The end of boot as a user sees it: the first read of the console by a process is the shell
// waiting at its first prompt (it writes the prompt, then reads), which the kernel cannot see
// otherwise.
// NOTE: logged at debug level, so it goes to the kernel log ring (dmesg) but, at the default
// log level, not onto the console, where it would land between the prompt and what is typed.
bool g_console_read_before = false;

void note_first_console_read()
{
    if (g_console_read_before)
        return;
    g_console_read_before = true;
    u64 boot_ns = time::nanoseconds_since_boot();
    debug::dbgln("boot: first instruction to shell prompt (first console read) in {}.{:03} ms",
                 boot_ns / 1000000, (boot_ns / 1000) % 1000);
    boot::log_boot_phases();
}

constexpr u8 kCtrlC = 0x03;

// The console input buffer (stream.h); changed with interrupts off.
u8 g_input[kConsoleInputBytes];
usize g_input_head;
usize g_input_used;
u32 g_watchers;
bool g_interrupted;

// Moves UART bytes into the buffer until it holds `wanted` bytes (or the UART is empty).
// NOTE: a reader takes only what it asked for, so that the bytes typed after a command stay
// in the UART until someone wants them: a Ctrl-C typed ahead is still seen by the watch
// that the shell starts once the command runs.
void drain_uart_locked(usize wanted = kConsoleInputBytes)
{
    auto& uart = drivers::com1();
    if (wanted > kConsoleInputBytes)
        wanted = kConsoleInputBytes;
    while (g_input_used < wanted) {
        auto byte = uart.try_read_byte();
        if (!byte)
            return;
        if (*byte == kCtrlC && g_watchers > 0) {
            g_interrupted = true;
            continue;
        }
        g_input[(g_input_head + g_input_used) % kConsoleInputBytes] = *byte;
        ++g_input_used;
    }
}
} // namespace

void begin_console_watch()
{
    x86_64::InterruptDisabler guard;
    if (g_watchers++ == 0)
        g_interrupted = false; // a Ctrl-C from before the watch is not for it
}

void end_console_watch()
{
    x86_64::InterruptDisabler guard;
    --g_watchers;
}

bool take_console_interrupt()
{
    x86_64::InterruptDisabler guard;
    drain_uart_locked();
    bool interrupted = g_interrupted;
    g_interrupted = false;
    return interrupted;
}

std::optional<u8> take_console_byte()
{
    x86_64::InterruptDisabler guard;
    drain_uart_locked(1);
    if (g_input_used == 0)
        return std::nullopt;
    u8 byte = g_input[g_input_head];
    g_input_head = (g_input_head + 1) % kConsoleInputBytes;
    --g_input_used;
    return byte;
}

Expected<usize> ConsoleStream::read(Bytes buffer)
{
    if (m_output)
        return Errno::BadF;
    if (buffer.empty())
        return 0;
    note_first_console_read();
    usize count = 0;
    for (;;) {
        {
            x86_64::InterruptDisabler guard;
            drain_uart_locked(buffer.size());
            while (count < buffer.size() && g_input_used > 0) {
                buffer[count++] = g_input[g_input_head];
                g_input_head = (g_input_head + 1) % kConsoleInputBytes;
                --g_input_used;
            }
        }
        if (count > 0)
            return count;
        if (auto* self = sched::current(); self && self->kill_requested())
            return Errno::Intr;
        // Sleep rather than halt in place: other processes get the CPU while this one waits
        // for a key, and ps shows it blocked. A kill wakes it (sched::request_kill).
        sched::sleep_for(kInputPollNanoseconds);
    }
}

Expected<usize> ConsoleStream::write(ReadonlyBytes data)
{
    if (!m_output)
        return Errno::BadF;
    debug::console_sink().write(StringView(reinterpret_cast<const char*>(data.data()), data.size()));
    return data.size();
}

bool ConsoleStream::readable_now()
{
    // NOTE: the UART has no peek; a byte taken here would be lost, so readiness is only
    // "maybe" for the console: a reader waits in read().
    return !m_output;
}

} // namespace wk::kernel::sys
