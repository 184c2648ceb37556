#include "kernel/debug/log_buffer.h"

namespace wk::kernel::debug {

void LogBuffer::append(ReadonlyBytes bytes)
{
    // Only the last kCapacity bytes of a longer append can survive it.
    usize skip = bytes.size() > kCapacity ? bytes.size() - kCapacity : 0;
    m_total += skip;
    for (usize i = skip; i < bytes.size();) {
        usize at = static_cast<usize>(m_total % kCapacity);
        usize run = kCapacity - at;
        if (run > bytes.size() - i)
            run = bytes.size() - i;
        __builtin_memcpy(m_bytes + at, bytes.data() + i, run);
        i += run;
        m_total += run;
    }
}

usize LogBuffer::copy_newest(Bytes out) const
{
    usize count = held() < out.size() ? held() : out.size();
    u64 first = m_total - count;
    for (usize done = 0; done < count;) {
        usize at = static_cast<usize>((first + done) % kCapacity);
        usize run = kCapacity - at;
        if (run > count - done)
            run = count - done;
        __builtin_memcpy(out.data() + done, m_bytes + at, run);
        done += run;
    }
    return count;
}

namespace {

constinit LogBuffer g_ring WK_GUARDED_BY(g_log_lock);

} // namespace

LogBuffer& log_ring_locked() { return g_ring; }

LogSnapshot snapshot_log(Bytes out)
{
    x86_64::IrqLockGuard guard { g_log_lock };
    return { g_ring.copy_newest(out), g_ring.held(), g_ring.dropped(), g_ring.total() };
}

} // namespace wk::kernel::debug
