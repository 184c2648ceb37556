// engine/platform.h on Linux: patching live code and the tier-up worker threads.
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

} // namespace wk::platform
