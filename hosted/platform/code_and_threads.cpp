// engine/platform.h on Linux: patching live code, the tier-up worker threads and parking.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <new>
#include <sys/mman.h>
#include <pthread.h>

#include "engine/code_patch.h"
#include "engine/platform.h"

namespace wk::platform {

namespace {

// NOTE: one lock for every patch in the process: two patches of one page must not
// interleave their protection changes (the second could make the page read-only-execute
// while the first still writes).
std::mutex g_patch_lock;

} // namespace

Result<void> patch_code(void* address, ReadonlyBytes bytes)
{
    if (bytes.empty())
        return {};
    PatchPages pages = TRY(patch_pages(address, bytes, page_size()));
    uptr first = pages.first;
    uptr end = pages.end;
    std::lock_guard<std::mutex> guard(g_patch_lock);
    // NOTE: read-write-execute for the length of the copy, so that threads running code in
    // these pages go on running; the only moment the engine's code is writable and
    // executable at once (docs/optimizing-compiler.md, "Tier-up").
    if (mprotect(reinterpret_cast<void*>(first), end - first, PROT_READ | PROT_WRITE | PROT_EXEC) != 0)
        return Error::from("cannot make code writable", ErrorKind::Io);
    write_patch(address, bytes);
    if (mprotect(reinterpret_cast<void*>(first), end - first, PROT_READ | PROT_EXEC) != 0)
        return Error::from("cannot make code read-only again", ErrorKind::Io);
    return {};
}

struct Worker {
    pthread_t thread {};
    bool started { false };
    void (*entry)(Worker*, void*) { nullptr };
    void* argument { nullptr };
    std::mutex lock;
    std::condition_variable wake;
    bool woken { false };
};

Result<Worker*> start_worker(void (*entry)(Worker*, void* argument), void* argument)
{
    auto* worker = new (std::nothrow) Worker;
    if (!worker)
        return Error::out_of_memory();
    worker->entry = entry;
    worker->argument = argument;
    auto run = [](void* raw) -> void* {
        auto* self = static_cast<Worker*>(raw);
        self->entry(self, self->argument);
        return nullptr;
    };
    if (pthread_create(&worker->thread, nullptr, run, worker) != 0) {
        delete worker;
        return Error::from("cannot start a worker thread", ErrorKind::OutOfMemory);
    }
    worker->started = true;
    return worker;
}

void wake_worker(Worker* worker)
{
    {
        std::lock_guard<std::mutex> guard(worker->lock);
        worker->woken = true;
    }
    worker->wake.notify_one();
}

void wait_for_work(Worker* worker)
{
    std::unique_lock<std::mutex> guard(worker->lock);
    worker->wake.wait(guard, [worker] { return worker->woken; });
    worker->woken = false;
}

void join_worker(Worker* worker)
{
    if (worker->started)
        pthread_join(worker->thread, nullptr);
    delete worker;
}

struct Parker {
    std::mutex lock;
    std::condition_variable wake;
    bool token { false };
};

namespace {

thread_local Parker t_parker;

// NOTE: one wait of the condition variable is at most this long, so that a deadline far
// away (a timeout of INT64_MAX ns) never overflows the clock's arithmetic; the longer
// wait is a spurious return the engine's loop re-checks.
constexpr u64 kLongestParkNanoseconds = u64 { 3600 } * 1'000'000'000;

} // namespace

Parker* current_parker() { return &t_parker; }

ParkResult park(Parker* parker, u64 deadline_nanoseconds)
{
    std::unique_lock<std::mutex> guard(parker->lock);
    if (!parker->token) {
        if (deadline_nanoseconds == ~u64 { 0 }) {
            parker->wake.wait_for(guard, std::chrono::nanoseconds(kLongestParkNanoseconds));
        } else {
            u64 now = monotonic_nanoseconds();
            if (now >= deadline_nanoseconds)
                return ParkResult::TimedOut;
            u64 wait = deadline_nanoseconds - now;
            wait = wait < kLongestParkNanoseconds ? wait : kLongestParkNanoseconds;
            parker->wake.wait_for(guard, std::chrono::nanoseconds(wait));
        }
    }
    if (parker->token) {
        parker->token = false;
        return ParkResult::Unparked;
    }
    if (deadline_nanoseconds != ~u64 { 0 } && monotonic_nanoseconds() >= deadline_nanoseconds)
        return ParkResult::TimedOut;
    return ParkResult::Unparked; // spurious
}

void unpark(Parker* parker)
{
    std::lock_guard<std::mutex> guard(parker->lock);
    parker->token = true;
    parker->wake.notify_one();
}

void clear_park_token(Parker* parker)
{
    std::lock_guard<std::mutex> guard(parker->lock);
    parker->token = false;
}

} // namespace wk::platform
