#include "kernel/sys/pipe.h"

#include <new>

#include "kernel/arch/x86_64/cpu.h"

namespace wk::kernel::sys {

using engine::wasi::Errno;
using engine::wasi::Expected;
using x86_64::InterruptDisabler;

namespace {
usize g_live_pipes; // changed with interrupts off

bool killed()
{
    auto* self = sched::current();
    return self && self->kill_requested();
}
} // namespace

Pipe::~Pipe()
{
    delete[] m_buffer;
    InterruptDisabler guard;
    --g_live_pipes;
}

usize Pipe::live_count()
{
    InterruptDisabler guard;
    return g_live_pipes;
}

Expected<PipeEnd::Pair> PipeEnd::create_pipe()
{
    {
        InterruptDisabler guard;
        if (g_live_pipes >= Pipe::kMaxPipes)
            return Errno::NFile;
        ++g_live_pipes; // the Pipe's destructor gives it back
    }
    Pipe* created = new (std::nothrow) Pipe;
    if (!created) {
        InterruptDisabler guard;
        --g_live_pipes;
        return Errno::NoMem;
    }
    RefPtr<Pipe> pipe = adopt_ref(*created);
    pipe->m_buffer = new (std::nothrow) u8[Pipe::kCapacity];
    if (!pipe->m_buffer)
        return Errno::NoMem;
    Pair pair;
    auto* read_end = new (std::nothrow) PipeEnd(pipe, true);
    if (!read_end)
        return Errno::NoMem;
    pair.read_end = adopt_ref(*read_end);
    auto* write_end = new (std::nothrow) PipeEnd(pipe, false);
    if (!write_end)
        return Errno::NoMem;
    pair.write_end = adopt_ref(*write_end);
    return pair;
}

PipeEnd::PipeEnd(RefPtr<Pipe> pipe, bool reading)
    : m_pipe(std::move(pipe))
    , m_reading(reading)
{
    InterruptDisabler guard;
    if (m_reading)
        ++m_pipe->m_readers;
    else
        ++m_pipe->m_writers;
}

PipeEnd::~PipeEnd()
{
    InterruptDisabler guard;
    Pipe& pipe = *m_pipe;
    if (m_reading) {
        if (--pipe.m_readers == 0)
            sched::wake_all(pipe.m_writable); // they fail with Errno::Pipe
    } else {
        if (--pipe.m_writers == 0)
            sched::wake_all(pipe.m_readable); // they see end of file
    }
}

Expected<usize> PipeEnd::read(Bytes buffer)
{
    if (!m_reading)
        return Errno::BadF;
    if (buffer.empty())
        return 0;
    Pipe& pipe = *m_pipe;
    InterruptDisabler guard;
    for (;;) {
        if (pipe.m_used > 0) {
            usize count = buffer.size() < pipe.m_used ? buffer.size() : pipe.m_used;
            // At most two runs: up to the end of the ring, then from its start.
            usize first = Pipe::kCapacity - pipe.m_head < count ? Pipe::kCapacity - pipe.m_head : count;
            __builtin_memcpy(buffer.data(), pipe.m_buffer + pipe.m_head, first);
            __builtin_memcpy(buffer.data() + first, pipe.m_buffer, count - first);
            pipe.m_head = (pipe.m_head + count) % Pipe::kCapacity;
            pipe.m_used -= count;
            if (pipe.m_used == 0)
                pipe.m_head = 0;
            sched::wake_all(pipe.m_writable);
            return count;
        }
        if (pipe.m_writers == 0)
            return 0;
        if (killed())
            return Errno::Intr;
        sched::block_on(pipe.m_readable); // a kill wakes it too (sched::request_kill)
    }
}

Expected<usize> PipeEnd::write(ReadonlyBytes data)
{
    if (m_reading)
        return Errno::BadF;
    Pipe& pipe = *m_pipe;
    InterruptDisabler guard;
    usize done = 0;
    // NOTE: the caller (KernelWasiSystem::write) hands over at most 4 KiB at a time, so the
    // copy below keeps interrupts off for a bounded stretch.
    while (done < data.size()) {
        if (pipe.m_readers == 0)
            return done > 0 ? Expected<usize>(done) : Errno::Pipe;
        if (pipe.m_used < Pipe::kCapacity) {
            usize room = Pipe::kCapacity - pipe.m_used;
            usize count = data.size() - done < room ? data.size() - done : room;
            usize tail = (pipe.m_head + pipe.m_used) % Pipe::kCapacity;
            usize first = Pipe::kCapacity - tail < count ? Pipe::kCapacity - tail : count;
            __builtin_memcpy(pipe.m_buffer + tail, data.data() + done, first);
            __builtin_memcpy(pipe.m_buffer, data.data() + done + first, count - first);
            pipe.m_used += count;
            done += count;
            sched::wake_all(pipe.m_readable);
            continue;
        }
        if (killed())
            return done > 0 ? Expected<usize>(done) : Errno::Intr;
        sched::block_on(pipe.m_writable);
    }
    return done;
}

bool PipeEnd::readable_now()
{
    if (!m_reading)
        return false;
    InterruptDisabler guard;
    return m_pipe->m_used > 0 || m_pipe->m_writers == 0;
}

} // namespace wk::kernel::sys
