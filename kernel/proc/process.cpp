#include "kernel/proc/process.h"

#include <new>

#include "base/fixed_string.h"
#include "base/format.h"
#include "base/ref_ptr.h"
#include "kernel/boot/boot_phases.h"
#include "engine/compile/compiled_module.h"
#include "engine/compile/tier_up.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/trap.h"
#include "engine/wasi/command.h"
#include "engine/wasi/wasi_context.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/entropy.h"
#include "kernel/fs/inode.h"
#include "kernel/mm/memory.h"
#include "kernel/object/channel.h"
#include "kernel/object/handle_table.h"
#include "kernel/proc/direct_call.h"
#include "kernel/proc/module_cache.h"
#include "kernel/proc/module_loader.h"
#include "kernel/proc/process_record.h"
#include "kernel/proc/process_stack.h"
#include "kernel/proc/process_threads.h"
#include "kernel/sched/thread.h"
#include "kernel/sys/kernel_wasi_system.h"
#include "kernel/sys/root_fs.h"
#include "kernel/sys/stream.h"
#include "kernel/sys/wasmkern_module.h"
#include "kernel/debug/log.h"
#include "kernel/time/clock.h"

namespace wk::kernel::proc {

namespace wasi = engine::wasi;
namespace runtime = engine::runtime;
using engine::compile::CompiledModule;
using wasi::Errno;
using x86_64::InterruptDisabler;

namespace {

// Linear memory one process may commit: at most this, and at most half of what is free
// when it starts, so that one memory bomb cannot starve the kernel.
constexpr u64 kMaxProcessMemory = u64 { 1 } << 30;
engine::compile::Tier g_tier = engine::compile::Tier::Tiered;
i32 g_tier_threshold = 1000;
bool g_tier_osr = true;
bool g_lazy = true;

// Stack a spawn needs below the caller (decoding, validating and compiling run on it). A
// process calling spawn from deeper than that (deep recursion first) gets NoMem instead of
// running the kernel into its guard page.
constexpr u64 kSpawnStackNeeded = 192 * 1024;

} // namespace

void Process::release_resources()
{
    // Its threads were joined (ProcessThreads::finish). NOTE: list() and kill() read the
    // pointer with interrupts off.
    ProcessThreads* dying_threads = nullptr;
    {
        InterruptDisabler guard;
        dying_threads = threads;
        threads = nullptr;
    }
    delete dying_threads;
    // Direct calls: none is inside (call_serve returns only when none is), and none can
    // enter once the service is shut down; its endpoints then answer Pipe.
    if (caller.service) {
        caller.service->shut_down();
        caller.service->unref();
        caller.service = nullptr;
    }
    caller.instance = nullptr;
    caller.store = nullptr;
    RefPtr<runtime::Store> dying_store;
    {
        InterruptDisabler guard; // list() reads the store with interrupts off
        dying_store = std::move(store);
    }
    delete linker;
    linker = nullptr;
    dying_store = nullptr;
    // Its handles close when it dies: children it holds the only handles of become orphans.
    delete handles;
    handles = nullptr;
    delete context;
    context = nullptr;
    delete system;
    system = nullptr;
    module = {};
}

namespace {

// The table: slots hold processes from spawn until they are waited for (or reaped).
Process* g_table[kMaxProcesses];
usize g_reserved; // slots promised to spawns in progress
u32 g_next_pid = 1;

sys::ConsoleStream g_console_input(false);
sys::ConsoleStream g_console_output(true);
sys::NullStream g_null;

Process* find_locked(u32 pid)
{
    for (Process* process : g_table) {
        if (process && process->pid == pid)
            return process;
    }
    return nullptr;
}

usize count_locked()
{
    usize count = 0;
    for (Process* process : g_table)
        count += process ? 1 : 0;
    return count;
}

Process* current_process()
{
    auto* thread = sched::current();
    return thread ? thread->process() : nullptr;
}

// Joins the process thread (it has exited or is about to) and frees the process.
void destroy(Process* process)
{
    if (process->thread)
        (void)sched::join(process->thread);
    if (process->stack)
        give_process_stack(*process->stack);
    process->release_resources(); // nothing left unless spawn failed half-way
    delete process;
}

// Orphans (their parent exited before waiting) that have exited leave the table here.
void reap_orphans()
{
    for (;;) {
        Process* reaped = nullptr;
        {
            InterruptDisabler guard;
            for (Process*& slot : g_table) {
                if (slot && slot->orphan && slot->exited) {
                    reaped = slot;
                    slot = nullptr;
                    break;
                }
            }
        }
        if (!reaped)
            return;
        destroy(reaped);
    }
}

template<typename... Args>
void report(Process& process, StringView format, const Args&... args)
{
    auto text = try_format(format, args...);
    if (text && process.context)
        process.context->write_diagnostic(text->view());
}

// Instantiates and runs the module; returns the exit status.
u32 run(Process& process)
{
    if (process.thread->kill_requested())
        return process.kill_status;
    auto instance = process.store->instantiate(*process.module.module, *process.linker);
    if (!instance) {
        if (auto status = process.context->exit_status()) // proc_exit in the start function
            return *status;
        if (process.thread->kill_requested())
            return process.kill_status;
        report(process, "error: {}: cannot instantiate: {}\n", process.path.view(), instance.error());
        return kInstantiateFailedStatus;
    }
    boot::mark_boot_phase(boot::BootPhase::Instantiated);
    wasi::bind_command(*process.context, **instance);
    process.caller.store = process.store.get();
    process.caller.instance = instance->get();
    process.caller.main_thread = process.thread;
    auto outcome = wasi::run_start(*process.store, **instance, *process.context);
    if (outcome && outcome->exit_status)
        return *outcome->exit_status;
    if (process.thread->kill_requested())
        return process.kill_status;
    if (!outcome) {
        report(process, "error: {}: {}\n", process.path.view(), outcome.error());
        return kInstantiateFailedStatus;
    }
    if (outcome->trap)
        report(process, "error: wasm trap: {}\n", engine::trap_message(outcome->trap->kind));
    return outcome->status();
}

i64 process_main(void* argument)
{
    auto& process = *static_cast<Process*>(argument);
    process.thread->set_process(&process);
    boot::mark_boot_phase(boot::BootPhase::Started);
    u32 status = run(process);
    // A threaded program ends as a whole (docs/process-abi.md, "Threads").
    if (process.threads)
        process.threads->finish();
    // NOTE: the module's counts (shared by every process of the module since it was compiled).
    if (process.module.module) {
        auto counts = engine::compile::tier_up_counts(*process.module.module);
        if (counts.hot > 0)
            debug::dbgln("tier-up: {} (pid {}): module has {} functions optimised, {} refused; OSR {} compiled, {} entered",
                         process.path.view(), process.pid, counts.tiered_up, counts.refused, counts.osr_compiled,
                         counts.osr_entered);
    }
    process.release_resources();
    InterruptDisabler guard;
    process.status = status;
    process.exited = true;
    sched::wake_all(process.exit_waiters);
    object::notify_signal_change(); // its handles' wait_many
    return status;
}

runtime::RuntimeLimits process_limits();

// Finds the compiled module for `path`: from the cache, or read, validated and compiled.
wasi::Expected<CompiledModule> load_module(const SpawnRequest& request)
{
    RefPtr<fs::Inode> inode;
    ModuleIdentity identity;
    {
        sys::FsGuard guard;
        auto& file_system = sys::root_fs();
        auto resolved = file_system.resolve(file_system.root(), request.path);
        if (!resolved)
            return resolved.error();
        inode = std::move(*resolved);
        if (!inode->is_file()) {
            inode = nullptr;
            if (request.diagnostics)
                format_to(*request.diagnostics, "error: {}: not a regular file\n", request.path);
            return Errno::NoExec;
        }
        auto stat = inode->stat();
        identity = { stat.inode, stat.size, stat.modify_time, stat.change_time };
    }
    auto drop_inode = [&] {
        sys::FsGuard guard;
        inode = nullptr;
    };
    if (auto cached = module_cache().find(request.path, identity)) {
        drop_inode();
        return std::move(*cached);
    }
    u64 compile_limit = process_limits().max_memory_bytes;
    u64 needed = 0;
    auto read = read_module(inode, identity, compile_limit, needed); // drops inode
    if (!read) {
        if (read.error() == Errno::NoMem && needed > compile_limit && request.diagnostics)
            format_to(*request.diagnostics, "error: {}: compiling needs about {} MiB, more than the {} MiB a process may use now\n",
                      request.path, needed >> 20, compile_limit >> 20);
        return read.error();
    }
    boot::mark_boot_phase(boot::BootPhase::Read);
    u64 compile_start = time::nanoseconds_since_boot();
    usize module_size = read->bytes.size();
    auto compiled = engine::compile::load_and_compile(std::move(read->bytes), engine::Features {}, compile_options());
    // Compiling is most of a first spawn (a boot's, under emulation); dmesg shows it.
    debug::dbgln("spawn: {}: {} bytes compiled in {} us", request.path, module_size,
                 (time::nanoseconds_since_boot() - compile_start) / 1000);
    boot::mark_boot_phase(boot::BootPhase::Compiled);
    if (!compiled) {
        if (request.diagnostics)
            format_to(*request.diagnostics, "error: {}: {}\n", request.path, compiled.error());
        return errno_of(compiled.error(), Errno::NoExec);
    }
    if (read->unchanged)
        module_cache().insert(request.path, identity, *compiled);
    return std::move(*compiled);
}

wasi::Expected<void> install_stdio(Process& process, const SpawnRequest& request)
{
    for (u32 fd = 0; fd < 3; ++fd) {
        const StdioSource& source = request.stdio[fd];
        wasi::Filetype filetype = wasi::Filetype::CharacterDevice;
        wasi::HostHandle handle = -1;
        if (source.system) {
            auto shared = source.system->share_into(source.handle, *process.system, filetype);
            if (!shared)
                return shared.error();
            handle = *shared;
        } else {
            sys::Stream& stream = source.null ? static_cast<sys::Stream&>(g_null)
                                  : fd == 0   ? static_cast<sys::Stream&>(g_console_input)
                                              : static_cast<sys::Stream&>(g_console_output);
            auto opened = process.system->open_stream(stream);
            if (!opened)
                return opened.error();
            handle = *opened;
        }
        if (!process.context->set_stdio(fd, handle, filetype)) {
            (void)process.system->close(handle);
            return Errno::NoMem;
        }
    }
    return {};
}

runtime::RuntimeLimits process_limits()
{
    runtime::RuntimeLimits limits;
    u64 memory = mm::half_of_free_memory(kMaxProcessMemory);
    limits.max_memory_bytes = memory;
    limits.max_store_memory_bytes = memory;
    limits.max_memory64_reservation = memory;
    limits.max_store_reserved_bytes = u64 { 64 } << 30; // eight i32 memories
    limits.max_table_elements = 1'000'000;
    limits.max_store_table_elements = 4'000'000;
    return limits;
}

// Everything of a process but its thread.
wasi::Expected<void> build(Process& process, const SpawnRequest& request)
{
    process.system = new (std::nothrow) sys::KernelWasiSystem(sys::root_fs());
    if (!process.system)
        return Errno::NoMem;
    process.context = new (std::nothrow) wasi::WasiContext(*process.system);
    process.linker = new (std::nothrow) runtime::Linker;
    if (!process.context || !process.linker)
        return Errno::NoMem;
    if (auto installed = install_stdio(process, request); !installed)
        return installed.error();
    if (!wasi::add_command_line(*process.context, request.arguments, request.environment))
        return Errno::NoMem;
    auto root = process.system->open_directory("/");
    if (!root)
        return root.error();
    if (!wasi::add_command_preopen(*process.context, *root, "/"))
        return Errno::NoMem;
    if (request.tcp_listen_port != 0) {
        auto listener = process.system->open_tcp_listener(request.tcp_listen_port, kTcpListenBacklog);
        if (!listener)
            return listener.error();
        if (!process.context->add_listening_socket(*listener)) {
            (void)process.system->close(*listener);
            return Errno::NoMem;
        }
    }
    auto store = runtime::Store::create(process_limits());
    if (!store)
        return Errno::NoMem;
    process.store = std::move(*store);
    u32 salt = 0;
    x86_64::fill_random(Bytes(reinterpret_cast<u8*>(&salt), sizeof salt));
    process.handles = new (std::nothrow) object::HandleTable(salt);
    if (!process.handles)
        return Errno::NoMem;
    for (const HandleGrant& grant : request.handles) {
        if (auto added = process.handles->add(RefPtr<object::KernelObject>(grant.object), grant.rights); !added)
            return added.error();
    }
    process.caller = { process.pid, process.system, process.context, process.handles };
    if (!wasi::define_command(*process.store, *process.linker, *process.context))
        return Errno::NoMem;
    if (!sys::define_wasmkern(*process.store, *process.linker, process.caller))
        return Errno::NoMem;
    process.threads = new (std::nothrow) ProcessThreads(process);
    if (!process.threads)
        return Errno::NoMem;
    if (auto defined = process.threads->define(*process.store, *process.linker); !defined) {
        if (request.diagnostics)
            format_to(*request.diagnostics, "error: {}: cannot define wasi-threads: {}\n", request.path, defined.error());
        return errno_of(defined.error(), Errno::NoExec);
    }
    return {};
}

} // namespace

wasi::Expected<u32> spawn(const SpawnRequest& request)
{
    if (auto* stack = current_process_stack()) {
        u64 stack_pointer = reinterpret_cast<u64>(__builtin_frame_address(0));
        if (stack_pointer < stack->memory.floor + kSpawnStackNeeded
            || !ensure_stack_to(*stack, *sched::current(), stack_pointer - kSpawnStackNeeded))
            return Errno::NoMem;
    }
    if (request.stack_bytes < kMinStackBytes || request.stack_bytes > kMaxStackBytes
        || request.handles.size() > kMaxSpawnHandles)
        return Errno::Inval;
    u64 argument_bytes = 0;
    for (StringView argument : request.arguments)
        argument_bytes += argument.size() + 1;
    for (StringView variable : request.environment)
        argument_bytes += variable.size() + 1;
    if (argument_bytes > kMaxSpawnArgumentBytes)
        return Errno::TooBig;
    reap_orphans();
    {
        InterruptDisabler guard;
        if (count_locked() + g_reserved >= kMaxProcesses)
            return Errno::Again;
        ++g_reserved;
    }
    auto unreserve = [] {
        InterruptDisabler guard;
        --g_reserved;
    };

    auto module = load_module(request);
    if (!module) {
        unreserve();
        return module.error();
    }
    auto* process = new (std::nothrow) Process;
    auto path = String::try_create(request.path);
    if (!process || !path) {
        delete process;
        unreserve();
        return Errno::NoMem;
    }
    process->path = std::move(*path);
    process->module = std::move(*module);
    process->parent_pid = request.parent_pid;
    process->stack_bytes = request.stack_bytes;
    process->kernel_child = request.parent_pid == 0;
    // The name shown in ps: the file name, without its directory.
    copy_truncated(process->name, request.path.substr(request.path.find_last_of('/') + 1));
    {
        InterruptDisabler guard;
        process->pid = g_next_pid++;
    }
    if (auto built = build(*process, request); !built) {
        destroy(process);
        unreserve();
        return built.error();
    }

    auto stack = take_process_stack((request.stack_bytes + 4095) & ~u64 { 4095 });
    if (!stack) {
        destroy(process);
        unreserve();
        return Errno::NoMem;
    }
    stack->budget = process->store->shared_memory_budget();
    process->stack = std::move(*stack);
    mm::KernelStack thread_stack { process->stack->memory.bottom, process->stack->memory.top };
    // The thread must not run before the process is in the table: interrupts stay off
    // from its creation to the insertion (one CPU).
    InterruptDisabler guard;
    // A caller that is being killed creates nothing: a child started now would outlive the
    // kill as an orphan that nobody asked for.
    if (Process* caller = current_process(); caller && caller->kill_requested) {
        --g_reserved;
        x86_64::sti();
        destroy(process);
        return Errno::Intr;
    }
    auto thread = sched::spawn_on_stack(process->name, process_main, process, thread_stack);
    --g_reserved;
    if (!thread) {
        x86_64::sti(); // destroy() frees memory and may block on nothing; not with interrupts off
        destroy(process);
        return Errno::NoMem;
    }
    process->thread = *thread;
    for (Process*& slot : g_table) {
        if (!slot) {
            slot = process;
            break;
        }
    }
    return process->pid;
}

wasi::Expected<u32> wait(u32 pid, u32 caller_pid) { return wait_watching(pid, caller_pid, nullptr); }

namespace {

// caller_pid 0 with `any_parent`: a handle holder's wait (wait_handle).
wasi::Expected<u32> wait_for(u32 pid, u32 caller_pid, bool any_parent, bool (*interrupted)())
{
    // NOTE: a watching wait sleeps in steps instead of blocking on the exit: nothing wakes
    // it for a console byte (the UART raises no interrupt here), as ConsoleStream::read.
    constexpr u64 kWatchNanoseconds = 1'000'000;
    Process* process = nullptr;
    {
        InterruptDisabler guard;
        process = find_locked(pid);
        if (!process || (!any_parent && (process->parent_pid != caller_pid || process->orphan)))
            return Errno::Child;
        while (!process->exited) {
            if (sched::current()->kill_requested())
                return Errno::Intr;
            if (!interrupted)
                sched::block_on(process->exit_waiters);
            else if (interrupted())
                return Errno::Canceled;
            else
                sched::sleep_for(kWatchNanoseconds);
            // NOTE: found again by pid after every sleep: another holder of a handle to it may
            // have waited and freed it meanwhile (pids are not reused).
            process = find_locked(pid);
            if (!process)
                return Errno::Child;
        }
        for (Process*& slot : g_table) {
            if (slot == process)
                slot = nullptr;
        }
    }
    u32 status = process->status;
    destroy(process);
    return status;
}

void fill_info(const Process& process, ProcessInfo& info)
{
    info = {};
    info.pid = process.pid;
    info.parent_pid = process.parent_pid;
    if (process.exited)
        info.state = ProcessState::Exited;
    else if (process.thread->state() == sched::ThreadState::Blocked
             || process.thread->state() == sched::ThreadState::Sleeping)
        info.state = ProcessState::Blocked;
    else
        info.state = ProcessState::Running;
    info.memory_bytes = process.store ? process.store->memory_budget().used() : 0;
    info.cpu_ns = sched::cpu_nanoseconds(*process.thread);
    if (process.threads)
        info.cpu_ns += process.threads->cpu_nanoseconds_locked();
    __builtin_memcpy(info.name, process.name, sizeof(info.name));
}

} // namespace

wasi::Expected<u32> wait_watching(u32 pid, u32 caller_pid, bool (*interrupted)())
{
    return wait_for(pid, caller_pid, false, interrupted);
}

wasi::Expected<u32> wait_handle(u32 pid, bool (*interrupted)()) { return wait_for(pid, 0, true, interrupted); }

bool add_process_reference(u32 pid)
{
    InterruptDisabler guard;
    Process* process = find_locked(pid);
    if (!process)
        return false;
    ++process->references;
    return true;
}

void drop_process_reference(u32 pid)
{
    InterruptDisabler guard;
    Process* process = find_locked(pid);
    if (!process || process->references == 0)
        return;
    if (--process->references == 0 && !process->kernel_child) {
        process->orphan = true;
        process->parent_pid = 0;
    }
}

bool inspect(u32 pid, ProcessInfo& out)
{
    InterruptDisabler guard;
    Process* process = find_locked(pid);
    if (!process)
        return false;
    fill_info(*process, out);
    return true;
}

Errno kill(u32 pid, u32 status)
{
    InterruptDisabler guard;
    Process* process = find_locked(pid);
    if (!process)
        return Errno::Srch;
    if (process->exited)
        return Errno::Success;
    if (!process->kill_requested)
        process->kill_status = status;
    process->kill_requested = true;
    sched::request_kill(process->thread);
    if (process->threads)
        process->threads->kill_all_locked(false);
    return Errno::Success;
}

usize list(Span<ProcessInfo> out)
{
    reap_orphans();
    InterruptDisabler guard;
    usize total = 0;
    // In pid order: pids only grow, so repeatedly take the smallest above the last one.
    u32 last = 0;
    for (;;) {
        Process* next = nullptr;
        for (Process* process : g_table) {
            if (process && process->pid > last && (!next || process->pid < next->pid))
                next = process;
        }
        if (!next)
            break;
        last = next->pid;
        if (total < out.size())
            fill_info(*next, out[total]);
        ++total;
    }
    return total;
}

ProcessStack* current_process_stack()
{
    Process* process = current_process();
    if (!process)
        return nullptr;
    if (process->threads && sched::current() != process->thread)
        return process->threads->stack_of(*sched::current());
    return process->stack ? &*process->stack : nullptr;
}

u32 current_pid()
{
    Process* process = current_process();
    return process ? process->pid : 0;
}

sys::KernelWasiSystem* current_system()
{
    Process* process = current_process();
    return process ? process->system : nullptr;
}

void set_compile_options(engine::compile::Tier tier, i32 threshold, bool osr, bool lazy)
{
    g_tier = tier;
    g_tier_threshold = threshold < 1 ? 1 : threshold;
    g_tier_osr = osr;
    g_lazy = lazy;
}

engine::compile::CompileOptions compile_options()
{
    engine::compile::CompileOptions options;
    options.tier = g_tier;
    options.tier_up_threshold = g_tier_threshold;
    // A process thread is deep in wasm frames when its budget runs out, with only the host-call
    // reserve below (48 KiB): too little for the optimising tier. No worker: stay baseline.
    options.tier_up_inline_without_worker = false;
    options.tier_up_osr = g_tier_osr;
    // NOTE: a lazy compile runs the baseline on the process's thread, in that reserve: the
    // baseline is one pass, not recursive, with its compiler state on the heap (6.4 KiB of
    // stack measured hosted: docs/isolation.md, "Lazy compilation").
    options.lazy = g_lazy;
    return options;
}

void drop_module_cache() { module_cache().clear(); }

void forget_cached_module(u64 inode) { module_cache().forget_inode(inode); }

CacheStatistics module_cache_statistics()
{
    auto& cache = module_cache();
    cache.collect();
    CacheStatistics statistics { cache.entries(), cache.bytes(), cache.hits(), cache.misses() };
    cache.for_each_module([&](const CompiledModule& module) {
        auto counts = engine::compile::tier_up_counts(*module.module);
        statistics.tiered_up += counts.tiered_up;
        statistics.tier_refused += counts.refused + counts.osr_refused;
        statistics.osr_compiled += counts.osr_compiled;
        statistics.osr_entered += counts.osr_entered;
        statistics.tier_space_bytes += module.code->tier_space_committed_bytes();
    });
    return statistics;
}

bool module_cache_tier_up_idle()
{
    bool idle = true;
    module_cache().for_each_module([&](const CompiledModule& module) { idle = idle && engine::compile::tier_up_idle(*module.module); });
    return idle;
}

void on_timer_tick(x86_64::InterruptFrame& frame)
{
    sched::on_tick(); // may run other threads; this frame is ours again when it returns
    auto* thread = sched::current();
    if (!thread || !thread->kill_requested())
        return;
    auto* activation = thread->wasm_activation();
    if (!activation || activation->landing_pc == 0 || !engine::is_wasm_code(frame.rip))
        return;
    // Leave the wasm code as proc_exit does: at the activation's landing, which restores the
    // registers its entry saved. Wasm frames own nothing, so nothing is skipped that needs
    // freeing; the process thread then sees kill_requested and frees the rest.
    auto landing = engine::leave_at_landing(*activation, engine::TrapKind::Exit);
    activation->trap_pc = frame.rip;
    activation->trap_fp = frame.rbp;
    frame.rip = landing.pc;
    frame.rsp = landing.sp;
    frame.rbp = landing.fp;
    frame.rax = landing.rax;
}

} // namespace wk::kernel::proc
