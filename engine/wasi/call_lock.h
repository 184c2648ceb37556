#pragma once

#include "base/intrusive_list.h"
#include "base/lock.h"
#include "base/types.h"

namespace wk::platform {
struct Parker;
}

namespace wk::engine::wasi {

// A blocking lock for the WASI calls of a program whose threads share one WasiContext
// (wasi-threads, docs/wasi.md "Threads"). A thread that finds it held queues a record on
// its own stack and parks (engine/platform.h), so a call that blocks while holding it (a
// console read, a sleeping poll_oneoff) makes the others wait without spinning. unlock
// frees it and wakes the oldest waiter, which takes it unless a running thread took it
// first (then it parks again, still first in line): no hand-off, so that a busy lock does
// not wait for each waiter to be scheduled in turn.
// NOTE: contract: the holder never leaves its frame without unlock (proc_exit, which
// unwinds, is never called with it held). Not recursive.
class CallLock {
public:
    CallLock() = default;
    CallLock(const CallLock&) = delete;
    CallLock& operator=(const CallLock&) = delete;

    // False when the thread's park is interrupted (the kernel's kill) before it got the lock:
    // then it does not hold it.
    [[nodiscard]] bool lock();
    void unlock();

private:
    struct Waiter {
        platform::Parker* parker { nullptr };
        IntrusiveListNode node;
    };

    SpinLock m_state_lock;
    bool m_held WK_GUARDED_BY(m_state_lock) { false };
    IntrusiveList<Waiter, &Waiter::node> m_waiters WK_GUARDED_BY(m_state_lock);
};

// Holds a CallLock for its scope, or nothing when given none. held() is false when the
// thread was killed while waiting for it: the call must not run (it returns Intr).
class CallLockGuard {
public:
    explicit CallLockGuard(CallLock* lock)
        : m_lock(lock)
    {
        if (m_lock && !m_lock->lock())
            m_lock = nullptr;
        m_held = m_lock || !lock;
    }
    bool held() const { return m_held; }
    ~CallLockGuard()
    {
        if (m_lock)
            m_lock->unlock();
    }
    CallLockGuard(const CallLockGuard&) = delete;
    CallLockGuard& operator=(const CallLockGuard&) = delete;

private:
    CallLock* m_lock;
    bool m_held { true };
};

} // namespace wk::engine::wasi
