#include "kernel/console/process_commands.h"

#include <new>

#include "base/vector.h"
#include "kernel/debug/log.h"
#include "kernel/mm/memory.h"
#include "kernel/object/kernel_object.h"
#include "kernel/platform/compile_worker.h"
#include "kernel/proc/process.h"
#include "kernel/sched/thread.h"
#include "kernel/time/clock.h"

namespace wk::kernel::console {

using debug::print;
namespace wasi = engine::wasi;

namespace {

constexpr usize kMaxArguments = 32;

// The console's words for spawn's errors: Again from spawn means the process table is full.
const char* errno_name(wasi::Errno error)
{
    return error == wasi::Errno::Again ? "too many processes" : describe(error);
}

struct DebugSink final : public FormatSink {
    void write(StringView text) override { debug::console_sink().write(text); }
};

// Splits at spaces into views of `arguments`; at most kMaxArguments.
usize split(std::string_view arguments, StringView (&words)[kMaxArguments])
{
    usize count = 0;
    usize i = 0;
    while (i < arguments.size() && count < kMaxArguments) {
        while (i < arguments.size() && arguments[i] == ' ')
            ++i;
        usize start = i;
        while (i < arguments.size() && arguments[i] != ' ')
            ++i;
        if (i > start)
            words[count++] = StringView(arguments.data() + start, i - start);
    }
    return count;
}

std::optional<u32> parse_pid(std::string_view text)
{
    if (text.empty() || text.size() > 9)
        return std::nullopt;
    u32 value = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        value = value * 10 + static_cast<u32>(c - '0');
    }
    return value;
}

// Spawns from a console line: the program's argv[0] is the path as typed.
std::optional<u32> spawn_line(std::string_view arguments, const char* command)
{
    StringView words[kMaxArguments];
    usize count = split(arguments, words);
    if (count == 0) {
        print("usage: {} PATH [ARGS...]\n", command);
        return std::nullopt;
    }
    DebugSink diagnostics;
    proc::SpawnRequest request;
    request.path = words[0];
    request.arguments = Span<const StringView>(words, count);
    request.diagnostics = &diagnostics;
    request.stdio[0].null = true; // the console keeps the keyboard (docs/process-abi.md)
    auto pid = proc::spawn(request);
    if (!pid) {
        print("{}: {}: {} (errno {})\n", command, words[0], errno_name(pid.error()), static_cast<u32>(pid.error()));
        return std::nullopt;
    }
    return *pid;
}

void wait_and_report(u32 pid)
{
    auto status = proc::wait(pid, 0);
    if (!status) {
        print("wait: {}: {}\n", pid, errno_name(status.error()));
        return;
    }
    print("[process {} exited with status {}]\n", pid, *status);
}

} // namespace

void command_run(std::string_view arguments)
{
    if (auto pid = spawn_line(arguments, "run"))
        wait_and_report(*pid);
}

void command_spawn(std::string_view arguments)
{
    if (auto pid = spawn_line(arguments, "spawn"))
        print("[process {} started]\n", *pid);
}

void command_wait(std::string_view arguments)
{
    auto pid = parse_pid(arguments);
    if (!pid) {
        print("usage: wait PID\n");
        return;
    }
    wait_and_report(*pid);
}

void command_kill(std::string_view arguments)
{
    auto pid = parse_pid(arguments);
    if (!pid) {
        print("usage: kill PID\n");
        return;
    }
    auto error = proc::kill(*pid);
    if (error != wasi::Errno::Success)
        print("kill: {}: {}\n", *pid, errno_name(error));
}

void command_ps(std::string_view)
{
    proc::ProcessInfo processes[proc::kMaxProcesses];
    usize total = proc::list(Span<proc::ProcessInfo>(processes, proc::kMaxProcesses));
    static constexpr const char* kStates[] = { "running", "blocked", "exited" };
    print("  PID  PPID STATE       MEMORY    CPU(ms) NAME\n");
    for (usize i = 0; i < total && i < proc::kMaxProcesses; ++i) {
        auto& info = processes[i];
        print("{:>5} {:>5} {:<8} {:>9} {:>10} {}\n", info.pid, info.parent_pid, kStates[static_cast<u32>(info.state)],
              info.memory_bytes, info.cpu_ns / 1000000, static_cast<const char*>(info.name));
    }
    print("{} processes\n", total);
}

void command_cache(std::string_view arguments)
{
    if (arguments == "drop") {
        proc::drop_module_cache();
        mm::trim_heap(); // the compiled code's heap blocks too, for leak checks
    } else if (arguments == "idle") {
        // Waits (at most a minute) until the cached modules' tier-up compiles are done, so
        // that tests can look at the counts without racing the compile workers.
        constexpr u64 kStepMs = 10;
        constexpr u64 kLimitMs = 60'000;
        u64 waited = 0;
        while (!proc::module_cache_tier_up_idle() && waited < kLimitMs) {
            sched::sleep_for(kStepMs * 1'000'000);
            waited += kStepMs;
        }
        print(proc::module_cache_tier_up_idle() ? "tier-up: idle after {} ms\n" : "tier-up: still compiling after {} ms\n",
              waited);
    } else if (!arguments.empty()) {
        print("usage: cache [drop|idle]\n");
        return;
    }
    auto statistics = proc::module_cache_statistics();
    print("module cache: {} entries, {} KiB, {} hits, {} misses\n", statistics.entries, statistics.bytes / 1024,
          statistics.hits, statistics.misses);
    auto workers = platform::compile_worker_statistics();
    print("tier-up: {} functions tiered up, {} refused, {} OSR entries ({} entered), {} KiB optimised code; "
          "{} compile workers running, {} started, {} refused, deepest stack {} KiB\n",
          statistics.tiered_up, statistics.tier_refused, statistics.osr_compiled, statistics.osr_entered,
          statistics.tier_space_bytes / 1024, workers.running, workers.started, workers.refused,
          workers.stack_high_water / 1024);
}

void command_spawnbench(std::string_view arguments)
{
    StringView words[kMaxArguments];
    usize count = split(arguments, words);
    if (count < 2) {
        print("usage: spawnbench N PATH [ARGS...]\n");
        return;
    }
    auto rounds = parse_pid(std::string_view(words[0].data(), words[0].size()));
    if (!rounds || *rounds == 0) {
        print("usage: spawnbench N PATH [ARGS...]\n");
        return;
    }
    DebugSink diagnostics;
    proc::SpawnRequest request;
    request.path = words[1];
    request.arguments = Span<const StringView>(words + 1, count - 1);
    request.diagnostics = &diagnostics;
    for (auto& source : request.stdio)
        source.null = true;
    // Round 0 may compile (a cache miss); the others find the module in the cache.
    u64 first_spawn = 0, first_total = 0, spawn_sum = 0, total_sum = 0, spawn_min = ~u64 { 0 };
    for (u32 round = 0; round <= *rounds; ++round) {
        u64 start = time::nanoseconds_since_boot();
        auto pid = proc::spawn(request);
        u64 spawned = time::nanoseconds_since_boot();
        if (!pid) {
            print("spawnbench: {}: {}\n", words[1], errno_name(pid.error()));
            return;
        }
        (void)proc::wait(*pid, 0);
        u64 done = time::nanoseconds_since_boot();
        if (round == 0) {
            first_spawn = spawned - start;
            first_total = done - start;
            continue;
        }
        spawn_sum += spawned - start;
        total_sum += done - start;
        if (spawned - start < spawn_min)
            spawn_min = spawned - start;
    }
    print("spawnbench: first spawn {} us (spawn to exit {} us)\n", first_spawn / 1000, first_total / 1000);
    print("spawnbench: cached spawn {} us average, {} us best; spawn to exit {} us average ({} rounds)\n",
          spawn_sum / *rounds / 1000, spawn_min / 1000, total_sum / *rounds / 1000, *rounds);
}

bool run_first_process(std::string_view path)
{
    DebugSink diagnostics;
    StringView argument(path.data(), path.size());
    proc::SpawnRequest request;
    request.path = argument;
    request.arguments = Span<const StringView>(&argument, 1);
    request.diagnostics = &diagnostics;
    // The first process alone gets the root resource (docs/process-abi.md, "Handles"); what
    // else may power off or list processes is its decision, made by handing it on.
    auto* resource = new (std::nothrow) object::ResourceObject;
    if (!resource) {
        debug::info("init: cannot start {}: out of memory", argument);
        return false;
    }
    auto root = adopt_ref(*static_cast<object::KernelObject*>(resource));
    proc::HandleGrant grant { root.get(), object::rights::kAll };
    request.handles = Span<const proc::HandleGrant>(&grant, 1);
    auto pid = proc::spawn(request);
    root = nullptr; // the shell's handle holds the resource from now on
    if (!pid) {
        debug::info("init: cannot start {}: {}", argument, errno_name(pid.error()));
        return false;
    }
    auto status = proc::wait(*pid, 0);
    debug::info("init: {} exited with status {}", argument, status ? *status : ~0u);
    return true;
}

} // namespace wk::kernel::console
