#include "kernel/sys/stream.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/debug/log.h"
#include "kernel/drivers/uart16550.h"
#include "kernel/sched/thread.h"
#include "kernel/time/clock.h"

namespace wk::kernel::sys {

using engine::wasi::Errno;
using engine::wasi::Expected;
using engine::wasi::fail;

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
}
} // namespace

Expected<usize> ConsoleStream::read(Bytes buffer)
{
    if (m_output)
        return fail(Errno::BadF);
    if (buffer.empty())
        return 0;
    note_first_console_read();
    auto& uart = drivers::com1();
    usize count = 0;
    for (;;) {
        {
            x86_64::InterruptDisabler guard;
            while (count < buffer.size()) {
                auto byte = uart.try_read_byte();
                if (!byte)
                    break;
                buffer[count++] = *byte;
            }
        }
        if (count > 0)
            return count;
        if (auto* self = sched::current(); self && self->kill_requested())
            return fail(Errno::Intr);
        // Sleep rather than halt in place: other processes get the CPU while this one waits
        // for a key, and ps shows it blocked. A kill wakes it (sched::request_kill).
        sched::sleep_for(kInputPollNanoseconds);
    }
}

Expected<usize> ConsoleStream::write(ReadonlyBytes data)
{
    if (!m_output)
        return fail(Errno::BadF);
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
