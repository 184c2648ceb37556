#include "kernel/spec/spec_suite.h"

#include "base/string.h"
#include "base/vector.h"
#include "engine/spec/runner.h"
#include "kernel/debug/log.h"
#include "kernel/fs/file_system.h"
#include "kernel/platform/compile_worker.h"
#include "kernel/proc/process.h"
#include "kernel/sched/thread.h"
#include "kernel/sys/root_fs.h"
#include "kernel/time/clock.h"

namespace wk::kernel::spec {

namespace {

// A script may be large (the biggest suite file is about 1.5 MB); refuse what could
// not be a script rather than fill the heap.
constexpr u64 kMaxScriptBytes = 16 * 1024 * 1024;

// The whole file at `path`, read a chunk at a time under the file-system lock.
Result<Vector<u8>> read_whole_file(StringView path)
{
    RefPtr<fs::Inode> inode;
    {
        sys::FsGuard guard;
        auto& file_system = sys::root_fs();
        auto resolved = file_system.resolve(file_system.root(), path);
        if (!resolved)
            return Error::from("no such file", ErrorKind::Io);
        inode = std::move(*resolved);
    }
    auto drop = [&] {
        sys::FsGuard guard;
        inode = nullptr;
    };
    if (!inode->is_file()) {
        drop();
        return Error::from("not a file", ErrorKind::Io);
    }
    auto& file = static_cast<fs::File&>(*inode);
    Vector<u8> contents;
    u64 offset = 0;
    for (;;) {
        u8 chunk[4096];
        usize got = 0;
        {
            sys::FsGuard guard;
            if (file.size() > kMaxScriptBytes)
                break;
            got = file.read_at(offset, Bytes(chunk, sizeof chunk));
        }
        if (got == 0)
            break;
        if (!contents.try_extend(Span<const u8>(chunk, got))) {
            drop();
            return Error::out_of_memory();
        }
        offset += got;
    }
    bool too_big = offset >= kMaxScriptBytes;
    drop();
    if (too_big)
        return Error::from("larger than a script may be", ErrorKind::OutOfRange);
    return contents;
}

struct SuiteRun {
    StringView list_path;
    bool ok { false };
};

i64 suite_thread(void* argument)
{
    auto& run = *static_cast<SuiteRun*>(argument);
    auto list = read_whole_file(run.list_path);
    if (!list) {
        debug::print("spec: {}: {}\n", run.list_path, list.error().message());
        return 1;
    }
    StringView directory = run.list_path.substr(0, run.list_path.rfind('/') + 1);
    StringView lines(reinterpret_cast<char const*>(list->data()), list->size());
    engine::spec::Tally tally;
    bool all_read = true;
    u64 scripts = 0;
    u64 start_ns = time::nanoseconds_since_boot();
    while (!lines.empty()) {
        usize end = lines.find('\n');
        StringView line = lines.substr(0, end);
        lines = end == StringView::npos ? StringView() : lines.substr(end + 1);
        if (line.empty())
            continue;
        StringBuilder path;
        path.append(directory);
        path.append(line);
        auto script = read_whole_file(path.view());
        if (!script) {
            debug::print("spec: {}: cannot read: {}\n", path.view(), script.error().message());
            all_read = false;
            continue;
        }
        engine::spec::run_script(line, StringView(reinterpret_cast<char const*>(script->data()), script->size()),
                                 tally, debug::console_sink(), proc::compile_options());
        if (++scripts % 16 == 0) {
            engine::spec::Counts so_far = tally.totals();
            debug::print("spec: {} scripts, {} passed, {} failed, {} skipped so far\n", scripts, so_far.passed,
                         so_far.failed, so_far.skipped);
        }
    }
    u64 elapsed_ms = (time::nanoseconds_since_boot() - start_ns) / 1000000;
    debug::print("spec: {} scripts in {} ms\n", scripts, elapsed_ms);
    auto workers = platform::compile_worker_statistics();
    debug::print("spec: tier-up: {} compile workers started, {} refused, deepest stack {} KiB\n", workers.started,
                 workers.refused, workers.stack_high_water / 1024);
    engine::spec::write_summary(tally, debug::console_sink());
    run.ok = all_read && tally.totals().failed == 0;
    return 0;
}

} // namespace

bool run_suite(StringView list_path)
{
    SuiteRun run { list_path };
    // NOTE: as big as a process thread's: the wasm stack reserve (52 KiB, docs/boot-and-machine-state.md)
    // would leave the default 64 KiB too little for the scripts' recursion.
    auto thread = sched::spawn("spec", suite_thread, &run, 512 * 1024);
    if (!thread) {
        debug::print("spec: cannot start the suite thread: {}\n", thread.error().message());
        return false;
    }
    (void)sched::join(*thread);
    return run.ok;
}

} // namespace wk::kernel::spec
