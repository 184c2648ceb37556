// The lock a threaded WasiContext's calls take (engine/wasi/call_lock.h), and proc_exit's
// first-status rule once threaded.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "engine/wasi/call_lock.h"
#include "tests/wasi/fake_system.h"

using namespace wk;
using namespace wk::engine::wasi;
using wk::engine::wasi::testing::Guest;

TEST(WasiCallLock, ExcludesAndLosesNoWaiter)
{
    CallLock lock;
    constexpr int kThreads = 6;
    constexpr int kRounds = 3000;
    long counter = 0; // plain: only the lock orders its updates
    std::atomic<int> inside { 0 };
    std::atomic<bool> overlapped { false };
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < kRounds; ++i) {
                CallLockGuard guard(&lock);
                if (inside.fetch_add(1) != 0)
                    overlapped = true;
                counter = counter + 1;
                if (i % 64 == 0)
                    std::this_thread::yield(); // holders get preempted: waiters park
                inside.fetch_sub(1);
            }
        });
    }
    for (std::thread& thread : threads)
        thread.join();
    EXPECT_FALSE(overlapped.load());
    EXPECT_EQ(counter, long { kThreads } * kRounds);
    // Free again: a lock that stayed held would block here for good.
    lock.lock();
    lock.unlock();
}

TEST(WasiCallLock, GuardOfNoLockDoesNothing)
{
    CallLockGuard guard(nullptr);
    SUCCEED();
}

TEST(WasiCallLock, ContextTakesTheLockOnlyOnceThreaded)
{
    Guest g;
    EXPECT_FALSE(g.context.threaded());
    EXPECT_EQ(g.context.call_lock(), nullptr);
    g.context.enable_threads();
    EXPECT_TRUE(g.context.threaded());
    EXPECT_NE(g.context.call_lock(), nullptr);
}

TEST(WasiCallLock, ThreadedProcExitKeepsTheFirstStatus)
{
    Guest unthreaded; // no exit hook: proc_exit returns
    unthreaded.context.proc_exit(3);
    unthreaded.context.proc_exit(4);
    EXPECT_EQ(unthreaded.context.exit_status(), 4u);

    Guest g;
    g.context.enable_threads();
    EXPECT_FALSE(g.context.exit_status().has_value());
    g.context.proc_exit(0);
    g.context.proc_exit(9);
    EXPECT_EQ(g.context.exit_status(), 0u);
}
