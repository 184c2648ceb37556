#pragma once

#include "base/span.h"
#include "base/types.h"
#include "kernel/debug/log.h"

namespace wk::kernel::debug {

// The kernel log ring (dmesg): every line debug::log formats, at every level (the console
// shows only those at or above the log level). Bounded: when full, the oldest bytes are
// overwritten and counted as dropped.
// Not thread-safe: the kernel's ring is behind the log lock (log_ring_locked, snapshot_log).
class LogBuffer {
public:
    static constexpr usize kCapacity = 64 * 1024;

    void append(ReadonlyBytes bytes);
    // Copies the newest min(out.size(), held()) bytes, oldest first, into `out`; returns how
    // many it copied.
    usize copy_newest(Bytes out) const;
    usize held() const { return m_total < kCapacity ? static_cast<usize>(m_total) : kCapacity; }
    u64 dropped() const { return m_total - held(); }
    u64 total() const { return m_total; }

private:
    u8 m_bytes[kCapacity] {};
    u64 m_total { 0 }; // bytes ever appended; the next one goes to m_total % kCapacity
};

// The kernel's ring; LogLine appends to it.
LogBuffer& log_ring_locked() WK_REQUIRES(g_log_lock);

struct LogSnapshot {
    usize copied; // into `out`, the newest bytes, oldest first
    usize held;
    u64 dropped;
    u64 total; // bytes ever appended
};
// Copies the newest min(out.size(), held) bytes of the kernel's ring under the log lock, so that
// no line lands halfway through the copy (at most LogBuffer::kCapacity bytes: a bounded hold).
LogSnapshot snapshot_log(Bytes out);

} // namespace wk::kernel::debug
