#include "engine/wasi/exit.h"
#include "kernel/debug/ktest.h"
#include "kernel/fs/file_system.h"
#include "kernel/fs/inode.h"
#include "kernel/mm/memory.h"
#include "kernel/proc/process.h"
#include "kernel/sched/thread.h"
#include "kernel/sys/root_fs.h"

namespace wk::kernel::proc {

namespace {

namespace wasi = engine::wasi;
using wasi::Errno;

// Hand-encoded command modules (no toolchain needed in the kernel's tests).
// (module (func (export "_start") unreachable))
constexpr u8 kTrapModule[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,                   // magic, version
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00,                               // type () -> ()
    0x03, 0x02, 0x01, 0x00,                                           // func 0: type 0
    0x07, 0x0a, 0x01, 0x06, '_', 's', 't', 'a', 'r', 't', 0x00, 0x00, // export _start
    0x0a, 0x05, 0x01, 0x03, 0x00, 0x00, 0x0b,                         // unreachable
};
// (module (func (export "_start") (loop (br 0))))
constexpr u8 kLoopModule[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
    0x03, 0x02, 0x01, 0x00,
    0x07, 0x0a, 0x01, 0x06, '_', 's', 't', 'a', 'r', 't', 0x00, 0x00,
    0x0a, 0x09, 0x01, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b,
};
// (module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
//         (func (export "_start") (call 0 (i32.const 7))))
constexpr u8 kExitModule[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x08, 0x02, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x00, 0x00,
    0x02, 0x24, 0x01, 0x16, 'w', 'a', 's', 'i', '_', 's', 'n', 'a', 'p', 's', 'h', 'o', 't', '_', 'p', 'r', 'e',
    'v', 'i', 'e', 'w', '1', 0x09, 'p', 'r', 'o', 'c', '_', 'e', 'x', 'i', 't', 0x00, 0x00,
    0x03, 0x02, 0x01, 0x01,
    0x07, 0x0a, 0x01, 0x06, '_', 's', 't', 'a', 'r', 't', 0x00, 0x01,
    0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x07, 0x10, 0x00, 0x0b,
};
// The magic number and then nonsense.
constexpr u8 kMalformedModule[] = { 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x7f, 0x60 };

bool write_file(StringView path, ReadonlyBytes contents)
{
    sys::FsGuard guard;
    auto& file_system = sys::root_fs();
    (void)file_system.create_directory(file_system.root(), "/ktest-proc");
    fs::OpenFlags flags;
    flags.create = true;
    flags.truncate = true;
    auto inode = file_system.open(file_system.root(), path, flags);
    if (!inode || !(*inode)->is_file())
        return false;
    auto written = file_system.write(static_cast<fs::File&>(**inode), 0, contents);
    bool ok = written && *written == contents.size();
    *inode = nullptr; // dropped under the guard
    return ok;
}

void install_modules()
{
    (void)write_file("/ktest-proc/trap", ReadonlyBytes(kTrapModule, sizeof(kTrapModule)));
    (void)write_file("/ktest-proc/loop", ReadonlyBytes(kLoopModule, sizeof(kLoopModule)));
    (void)write_file("/ktest-proc/exit7", ReadonlyBytes(kExitModule, sizeof(kExitModule)));
    (void)write_file("/ktest-proc/malformed", ReadonlyBytes(kMalformedModule, sizeof(kMalformedModule)));
}

// Spawns with empty stdio (nothing reaches the console) from the kernel (parent 0).
wasi::Expected<u32> spawn_quietly(StringView path)
{
    SpawnRequest request;
    request.path = path;
    request.arguments = Span<const StringView>(&path, 1);
    for (auto& source : request.stdio)
        source.null = true;
    return spawn(request);
}

u32 status_of(StringView path)
{
    auto pid = spawn_quietly(path);
    if (!pid)
        return 1000 + static_cast<u32>(pid.error());
    auto status = wait(*pid, 0);
    return status ? *status : 2000 + static_cast<u32>(status.error());
}

u32 errno_of(const wasi::Expected<u32>& result) { return result ? 0u : static_cast<u32>(result.error()); }

} // namespace

KERNEL_TEST(proc_exit_status_trap_and_errors)
{
    install_modules();
    KEXPECT_EQ(status_of("/ktest-proc/exit7"), 7u);
    KEXPECT_EQ(status_of("/ktest-proc/trap"), engine::wasi::kTrapExitStatus);
    KEXPECT_EQ(errno_of(spawn_quietly("/ktest-proc/missing")), static_cast<u32>(Errno::NoEnt));
    KEXPECT_EQ(errno_of(spawn_quietly("/ktest-proc/malformed")), static_cast<u32>(Errno::NoExec));
    KEXPECT_EQ(errno_of(spawn_quietly("/ktest-proc")), static_cast<u32>(Errno::NoExec)); // a directory
    KEXPECT_EQ(errno_of(wait(999999, 0)), static_cast<u32>(Errno::Child));
    KEXPECT_EQ(static_cast<u32>(kill(999999)), static_cast<u32>(Errno::Srch));
}

KERNEL_TEST(proc_second_spawn_hits_the_module_cache)
{
    install_modules();
    drop_module_cache();
    auto before = module_cache_statistics();
    KEXPECT_EQ(status_of("/ktest-proc/exit7"), 7u);
    KEXPECT_EQ(status_of("/ktest-proc/exit7"), 7u);
    auto after = module_cache_statistics();
    KEXPECT_EQ(after.misses, before.misses + 1);
    KEXPECT_EQ(after.hits, before.hits + 1);
    KEXPECT_EQ(after.entries, 1u);
    // Rewriting the file changes its identity: compiled again.
    install_modules();
    KEXPECT_EQ(status_of("/ktest-proc/exit7"), 7u);
    KEXPECT_EQ(module_cache_statistics().misses, before.misses + 2);
}

// A tight loop with no checks in it is ended by kill through the timer; ps sees it running
// first; everything it had comes back.
KERNEL_TEST(proc_kill_ends_a_tight_loop_and_frees_everything)
{
    install_modules();
    // A first round compiles the module and leaves it in the cache (which keeps its code), and
    // spins long enough for its loop to tier up: the module's compile worker and optimised
    // code then stay with the cached module too.
    if (auto warm = spawn_quietly("/ktest-proc/loop")) {
        sched::sleep_for(20'000'000);
        (void)kill(*warm);
        (void)wait(*warm, 0);
    }
    for (u32 i = 0; i < 1000 && !module_cache_tier_up_idle(); ++i)
        sched::sleep_for(10'000'000);
    mm::trim_heap(); // spare slabs are not what this test looks for
    u64 frames_before = mm::free_frame_count();
    auto pid = spawn_quietly("/ktest-proc/loop");
    KEXPECT(pid.has_value());
    if (!pid)
        return;
    sched::sleep_for(20'000'000); // let it spin for a few time slices
    ProcessInfo processes[kMaxProcesses];
    usize total = list(Span<ProcessInfo>(processes, kMaxProcesses));
    bool seen = false;
    for (usize i = 0; i < total && i < kMaxProcesses; ++i) {
        if (processes[i].pid == *pid) {
            seen = true;
            KEXPECT_EQ(static_cast<u32>(processes[i].state), static_cast<u32>(ProcessState::Running));
            KEXPECT(processes[i].cpu_ns > 0);
            KEXPECT_EQ(processes[i].memory_bytes, 0u); // the module has no memory
        }
    }
    KEXPECT(seen);
    KEXPECT_EQ(static_cast<u32>(kill(*pid)), 0u);
    auto status = wait(*pid, 0);
    KEXPECT(status.has_value() && *status == kKilledStatus);
    mm::trim_heap();
    KEXPECT_EQ(mm::free_frame_count(), frames_before);
}

// Spawning stops at kMaxProcesses with Again: a process counts until it is waited for, so
// children that exited at once still hold their slots. Waiting frees them.
KERNEL_TEST(proc_process_limit)
{
    install_modules();
    u32 pids[kMaxProcesses + 1];
    usize spawned = 0;
    Errno refusal = Errno::Success;
    while (spawned <= kMaxProcesses) {
        auto pid = spawn_quietly("/ktest-proc/exit7");
        if (!pid) {
            refusal = pid.error();
            break;
        }
        pids[spawned++] = *pid;
    }
    KEXPECT_EQ(static_cast<u32>(refusal), static_cast<u32>(Errno::Again));
    KEXPECT_EQ(spawned, static_cast<usize>(kMaxProcesses));
    u32 collected = 0;
    for (usize i = 0; i < spawned; ++i) {
        auto status = wait(pids[i], 0);
        collected += status && *status == 7 ? 1 : 0;
    }
    KEXPECT_EQ(collected, static_cast<u32>(spawned));
    KEXPECT_EQ(list(Span<ProcessInfo>()), 0u);
    KEXPECT_EQ(status_of("/ktest-proc/exit7"), 7u); // room again
}

} // namespace wk::kernel::proc
