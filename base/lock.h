#pragma once

#include <atomic>

#include "base/assert.h"

// Clang thread-safety analysis (-Wthread-safety). Annotate a lock type with
// WK_CAPABILITY, the data it protects with WK_GUARDED_BY, and functions that need it
// held with WK_REQUIRES (their names end in _locked).
#if defined(__clang__)
#    define WK_THREAD_ANNOTATION(x) __attribute__((x))
#else
#    define WK_THREAD_ANNOTATION(x)
#endif

#define WK_CAPABILITY(name) WK_THREAD_ANNOTATION(capability(name))
#define WK_SCOPED_CAPABILITY WK_THREAD_ANNOTATION(scoped_lockable)
#define WK_GUARDED_BY(lock) WK_THREAD_ANNOTATION(guarded_by(lock))
#define WK_PT_GUARDED_BY(lock) WK_THREAD_ANNOTATION(pt_guarded_by(lock))
#define WK_ACQUIRED_BEFORE(...) WK_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
#define WK_ACQUIRED_AFTER(...) WK_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))
#define WK_REQUIRES(...) WK_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define WK_EXCLUDES(...) WK_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define WK_ACQUIRE(...) WK_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define WK_TRY_ACQUIRE(...) WK_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define WK_RELEASE(...) WK_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define WK_ASSERT_CAPABILITY(lock) WK_THREAD_ANNOTATION(assert_capability(lock))
#define WK_RETURN_CAPABILITY(lock) WK_THREAD_ANNOTATION(lock_returned(lock))
#define WK_NO_THREAD_SAFETY_ANALYSIS WK_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace wk {

inline void cpu_relax()
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__riscv)
    __asm__ volatile(".insn i 0x0F, 0, x0, x0, 0x010"); // pause (Zihintpause)
#endif
}

// A test-and-test-and-set spin lock. It does not touch the interrupt state: kernel code
// that shares the lock with an interrupt handler must disable interrupts around it.
// Not recursive.
class WK_CAPABILITY("spinlock") SpinLock {
public:
    constexpr SpinLock() = default;
    SpinLock(const SpinLock&) = delete;
    SpinLock& operator=(const SpinLock&) = delete;

    void lock() WK_ACQUIRE()
    {
        while (m_locked.exchange(true, std::memory_order_acquire)) {
            while (m_locked.load(std::memory_order_relaxed))
                cpu_relax();
        }
    }

    bool try_lock() WK_TRY_ACQUIRE(true)
    {
        return !m_locked.load(std::memory_order_relaxed) && !m_locked.exchange(true, std::memory_order_acquire);
    }

    void unlock() WK_RELEASE()
    {
        WK_ASSERT(m_locked.load(std::memory_order_relaxed));
        m_locked.store(false, std::memory_order_release);
    }

    // For assertions only: another CPU may change it right after.
    bool is_locked() const { return m_locked.load(std::memory_order_relaxed); }

private:
    std::atomic<bool> m_locked { false };
};

// Holds a lock for its scope; the only way code should take one.
template<typename Lock>
class WK_SCOPED_CAPABILITY LockGuard {
public:
    explicit LockGuard(Lock& lock) WK_ACQUIRE(lock)
        : m_lock(lock)
    {
        m_lock.lock();
    }
    ~LockGuard() WK_RELEASE() { m_lock.unlock(); }

    LockGuard(const LockGuard&) = delete;
    LockGuard& operator=(const LockGuard&) = delete;

private:
    Lock& m_lock;
};

} // namespace wk
