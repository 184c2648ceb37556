#pragma once

#include "base/span.h"
#include "base/types.h"

namespace wk::kernel::debug {

// The kernel log ring (dmesg): every line debug::log formats, at every level (the console
// shows only those at or above the log level). Bounded: when full, the oldest bytes are
// overwritten and counted as dropped.
// NOTE: callers append with interrupts off (debug::log does), and the machine has one CPU, so
// appends and snapshots never interleave.
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

LogBuffer& log_buffer();

} // namespace wk::kernel::debug
