#include "kernel/sys/stream.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/debug/log.h"
#include "kernel/drivers/uart16550.h"
#include "kernel/sched/thread.h"

namespace wk::kernel::sys {

using engine::wasi::Errno;
using engine::wasi::Expected;
using engine::wasi::fail;

Expected<usize> ConsoleStream::read(Bytes buffer)
{
    if (m_output)
        return fail(Errno::BadF);
    if (buffer.empty())
        return 0;
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
        x86_64::sti_hlt();
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
