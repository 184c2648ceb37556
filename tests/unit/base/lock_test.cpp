#include <thread>

#include <gtest/gtest.h>

#include "base/lock.h"

using namespace wk;

namespace {

class Counter {
public:
    void increment() WK_EXCLUDES(m_lock)
    {
        LockGuard guard(m_lock);
        increment_locked();
    }
    void increment_locked() WK_REQUIRES(m_lock) { m_value = m_value + 1; }
    long value() WK_EXCLUDES(m_lock)
    {
        LockGuard guard(m_lock);
        return m_value;
    }
    SpinLock& lock() WK_RETURN_CAPABILITY(m_lock) { return m_lock; }

private:
    SpinLock m_lock;
    long m_value WK_GUARDED_BY(m_lock) { 0 };
};

} // namespace

TEST(SpinLock, TwoThreadsCountExactly)
{
    Counter counter;
    constexpr int kIterations = 200000;
    auto work = [&] {
        for (int i = 0; i < kIterations; ++i)
            counter.increment();
    };
    std::thread a(work);
    std::thread b(work);
    a.join();
    b.join();
    EXPECT_EQ(counter.value(), 2L * kIterations);
}

// Takes and drops the lock in ways the analysis cannot follow (through test assertions).
void try_lock_scenario() WK_NO_THREAD_SAFETY_ANALYSIS
{
    SpinLock lock;
    EXPECT_FALSE(lock.is_locked());
    ASSERT_TRUE(lock.try_lock());
    EXPECT_TRUE(lock.is_locked());
    EXPECT_FALSE(lock.try_lock());
    bool other_thread_got_it = true;
    std::thread([&]() WK_NO_THREAD_SAFETY_ANALYSIS {
        other_thread_got_it = lock.try_lock();
        if (other_thread_got_it)
            lock.unlock();
    }).join();
    EXPECT_FALSE(other_thread_got_it);
    lock.unlock();
    EXPECT_FALSE(lock.is_locked());
    {
        LockGuard guard(lock);
        EXPECT_TRUE(lock.is_locked());
    }
    EXPECT_FALSE(lock.is_locked());
}

TEST(SpinLock, TryLock)
{
    try_lock_scenario();
}

void unlock_unheld() WK_NO_THREAD_SAFETY_ANALYSIS
{
    SpinLock lock;
    lock.unlock();
}

TEST(SpinLockDeathTest, UnlockingAnUnheldLockAsserts)
{
    EXPECT_DEATH(unlock_unheld(), "ASSERTION FAILED");
}
