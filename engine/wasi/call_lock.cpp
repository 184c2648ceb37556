#include "engine/wasi/call_lock.h"

#include "engine/platform.h"

namespace wk::engine::wasi {

void CallLock::lock()
{
    Waiter waiter;
    {
        LockGuard guard(m_state_lock);
        if (!m_held) {
            m_held = true;
            return;
        }
        waiter.parker = platform::current_parker();
        platform::clear_park_token(waiter.parker);
        m_waiters.push_back(waiter);
    }
    for (;;) {
        {
            // NOTE: read under the state lock, which unlock holds while it unparks us, so
            // the record is not left (and its stack reused) before unpark is done with it.
            LockGuard guard(m_state_lock);
            if (waiter.granted)
                return;
        }
        // An interrupted park (the kernel's kill) waits on: the holder's call ends soon,
        // since a killed thread's calls return early.
        (void)platform::park(waiter.parker, ~u64 { 0 });
    }
}

void CallLock::unlock()
{
    LockGuard guard(m_state_lock);
    Waiter* next = m_waiters.pop_front();
    if (!next) {
        m_held = false;
        return;
    }
    // The lock passes to `next` without being released, so nobody can take it in between.
    next->granted = true;
    platform::unpark(next->parker);
}

} // namespace wk::engine::wasi
