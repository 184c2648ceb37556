#include "engine/wasi/call_lock.h"

#include "engine/platform.h"

namespace wk::engine::wasi {

bool CallLock::lock()
{
    Waiter waiter;
    for (;;) {
        {
            LockGuard guard(m_state_lock);
            if (!m_held) {
                m_held = true;
                if (m_waiters.contains(waiter))
                    m_waiters.remove(waiter);
                return true;
            }
            if (!m_waiters.contains(waiter)) {
                waiter.parker = platform::current_parker();
                platform::clear_park_token(waiter.parker);
                m_waiters.push_back(waiter);
            }
        }
        // An interrupted park (the kernel's kill) gives up: the holder may be blocked for
        // as long as it likes (a service's thread waiting, while this thread is a client
        // of another process calling into it), and a killed thread must not wait for it.
        if (platform::park(waiter.parker, ~u64 { 0 }) == platform::ParkResult::Interrupted) {
            LockGuard guard(m_state_lock);
            if (m_waiters.contains(waiter))
                m_waiters.remove(waiter);
            // NOTE: an unlock may have woken this waiter as the first in line: pass the
            // wake-up on, so the next one does not sleep with the lock free.
            if (!m_held) {
                if (Waiter* first = m_waiters.first())
                    platform::unpark(first->parker);
            }
            return false;
        }
    }
}

void CallLock::unlock()
{
    LockGuard guard(m_state_lock);
    m_held = false;
    // NOTE: under the state lock, which the waiter takes before it leaves its record, so
    // the record (on its stack) lives while unpark uses it. The waiter stays queued (first)
    // until it takes the lock, so a thread that takes the lock first does not make it lose
    // its place.
    if (Waiter* first = m_waiters.first())
        platform::unpark(first->parker);
}

} // namespace wk::engine::wasi
