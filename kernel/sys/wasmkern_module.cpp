#include "kernel/sys/wasmkern_module.h"

#include <type_traits>
#include <utility>

#include "base/format_sink.h"
#include "base/vector.h"
#include "engine/runtime/host_function.h"
#include "engine/wasi/wasi_context.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/power.h"
#include "kernel/debug/log.h"
#include "kernel/debug/log_buffer.h"
#include "kernel/mm/memory.h"
#include "kernel/object/handle_table.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_object.h"
#include "kernel/sys/kernel_wasi_system.h"
#include "kernel/sys/root_fs.h"
#include "kernel/sys/wasmkern_calls.h"
#include "kernel/sys/stream.h"

namespace wk::kernel::sys {

namespace wasi = engine::wasi;
using engine::runtime::VMContext;
using engine::runtime::VMVal;
using engine::ValType;
using wasi::Errno;
using object::ObjectType;
namespace rights = object::rights;

namespace {

// The rights of the handle spawn returns: everything that can be done to a process.
constexpr u32 kChildRights = rights::kDuplicate | rights::kTransfer | rights::kWait | rights::kKill | rights::kInspect;
// Bytes of one entry of spawn_with_handles' list: u32 handle, u32 rights.
constexpr u32 kSpawnHandleEntrySize = 8;

// Bounds of the byte buffers spawn takes (argv, env), beyond which it is `toobig`.
constexpr usize kMaxSpawnStrings = 4096;
constexpr u32 kProcessRecordSize = 64;
constexpr u32 kMemoryRecordSize = 32;
constexpr u32 kLogInfoSize = 16;

WasmkernCaller& caller_of(VMContext* self)
{
    return *static_cast<WasmkernCaller*>(engine::runtime::HostFunction::from_vmctx(self).data());
}

// Writes to the caller's descriptor 2 (spawn's diagnostics); nothing when it is closed.
class StderrSink final : public FormatSink {
public:
    explicit StderrSink(WasmkernCaller& caller)
        : m_caller(caller)
    {
    }
    void write(StringView text) override { m_caller.context->write_diagnostic(text); }

private:
    WasmkernCaller& m_caller;
};

// Splits a buffer of NUL-terminated strings. A last string without its NUL is `inval`.
Errno split_strings(ReadonlyBytes buffer, Vector<StringView>& strings)
{
    usize start = 0;
    for (usize i = 0; i < buffer.size(); ++i) {
        if (buffer[i] != 0)
            continue;
        if (strings.size() == kMaxSpawnStrings)
            return Errno::TooBig;
        if (!strings.try_append(StringView(reinterpret_cast<const char*>(buffer.data()) + start, i - start)))
            return Errno::NoMem;
        start = i + 1;
    }
    return start == buffer.size() ? Errno::Success : Errno::Inval;
}

// spawn with handles for the child and a stack size for its wasm frames: `handles` lists
// `count` pairs (u32 handle, u32 rights) of the caller's handles, each needing the duplicate
// right; the child gets a handle to each object with the rights given (and those the caller's
// handle has). stack_bytes 0 is the default (8 MiB); other values outside [64 KiB, 256 MiB]
// are `inval`; rounded up to 4 KiB. The handle to the child goes to `handle_out`.
// spawn_listening adds `tcp_port`: the child's listening socket (docs/networking.md).
u32 call_spawn_listening(WasmkernCaller& caller, u32 path_ptr, u32 path_len, u32 argv_ptr, u32 argv_len,
                         u32 env_ptr, u32 env_len, u32 stdin_fd, u32 stdout_fd, u32 stderr_fd, u32 handles_ptr,
                         u32 handles_count, u32 stack_bytes, u32 tcp_port, u32 handle_out)
{
    if (tcp_port > 0xFFFF)
        return static_cast<u32>(Errno::Inval);
    auto memory = caller.context->memory();
    auto path = memory.string(path_ptr, path_len);
    if (!path)
        return static_cast<u32>(path.error());
    auto argv = memory.bytes(argv_ptr, argv_len);
    auto env = memory.bytes(env_ptr, env_len);
    if (!argv || !env || !memory.contains(handle_out, 4))
        return static_cast<u32>(Errno::Fault);
    if (handles_count > proc::kMaxSpawnHandles)
        return static_cast<u32>(Errno::Inval);
    auto handle_list = memory.bytes(handles_ptr, handles_count * kSpawnHandleEntrySize);
    if (!handle_list)
        return static_cast<u32>(Errno::Fault);
    // The objects stay referenced here until spawn has given the child its own references.
    RefPtr<object::KernelObject> granted_objects[proc::kMaxSpawnHandles];
    proc::HandleGrant grants[proc::kMaxSpawnHandles];
    for (u32 i = 0; i < handles_count; ++i) {
        u32 entry[2];
        __builtin_memcpy(entry, handle_list->data() + i * kSpawnHandleEntrySize, sizeof entry);
        auto found = caller.handles->get(entry[0], ObjectType::None, rights::kDuplicate);
        if (!found)
            return static_cast<u32>(found.error());
        granted_objects[i] = std::move(found->object);
        grants[i] = { granted_objects[i].get(), entry[1] & found->rights };
    }
    // Room for the child's handle first: a child whose handle could not be made would run on
    // unreachable.
    if (caller.handles->count() == object::HandleTable::kCapacity)
        return static_cast<u32>(Errno::MFile);
    auto* child = new (std::nothrow) proc::ProcessObject;
    if (!child)
        return static_cast<u32>(Errno::NoMem);
    auto child_object = adopt_ref(*static_cast<object::KernelObject*>(child));
    Vector<StringView> arguments;
    Vector<StringView> environment;
    if (Errno error = split_strings(*argv, arguments); error != Errno::Success)
        return static_cast<u32>(error);
    if (Errno error = split_strings(*env, environment); error != Errno::Success)
        return static_cast<u32>(error);

    StderrSink diagnostics(caller);
    proc::SpawnRequest request;
    request.path = *path;
    request.arguments = arguments.span();
    request.environment = environment.span();
    request.parent_pid = caller.pid;
    request.handles = Span<const proc::HandleGrant>(grants, handles_count);
    request.diagnostics = &diagnostics;
    if (stack_bytes != 0)
        request.stack_bytes = stack_bytes;
    request.tcp_listen_port = static_cast<u16>(tcp_port);
    u32 fds[3] = { stdin_fd, stdout_fd, stderr_fd };
    for (u32 i = 0; i < 3; ++i) {
        const wasi::FdEntry* entry = caller.context->entry(fds[i]);
        if (!entry || !entry->open)
            return static_cast<u32>(Errno::BadF);
        request.stdio[i] = { caller.system, entry->handle };
    }
    auto pid = proc::spawn(request);
    if (!pid)
        return static_cast<u32>(pid.error());
    // Cannot fail: the child is in the table and only a handle can wait for it.
    (void)child->attach(*pid);
    auto handle = caller.handles->add(std::move(child_object), kChildRights);
    if (!handle)
        return static_cast<u32>(handle.error()); // not reached: room was checked, nothing ran since
    return static_cast<u32>(memory.write_u32(handle_out, *handle));
}

u32 call_spawn_with_handles(WasmkernCaller& caller, u32 path_ptr, u32 path_len, u32 argv_ptr, u32 argv_len,
                            u32 env_ptr, u32 env_len, u32 stdin_fd, u32 stdout_fd, u32 stderr_fd, u32 handles_ptr,
                            u32 handles_count, u32 stack_bytes, u32 handle_out)
{
    return call_spawn_listening(caller, path_ptr, path_len, argv_ptr, argv_len, env_ptr, env_len, stdin_fd, stdout_fd,
                                stderr_fd, handles_ptr, handles_count, stack_bytes, 0, handle_out);
}

u32 call_spawn_with_stack(WasmkernCaller& caller, u32 path_ptr, u32 path_len, u32 argv_ptr, u32 argv_len,
                          u32 env_ptr, u32 env_len, u32 stdin_fd, u32 stdout_fd, u32 stderr_fd, u32 handle_out,
                          u32 stack_bytes)
{
    return call_spawn_with_handles(caller, path_ptr, path_len, argv_ptr, argv_len, env_ptr, env_len, stdin_fd,
                                   stdout_fd, stderr_fd, 0, 0, stack_bytes, handle_out);
}

u32 call_spawn(WasmkernCaller& caller, u32 path_ptr, u32 path_len, u32 argv_ptr, u32 argv_len, u32 env_ptr,
               u32 env_len, u32 stdin_fd, u32 stdout_fd, u32 stderr_fd, u32 handle_out)
{
    return call_spawn_with_handles(caller, path_ptr, path_len, argv_ptr, argv_len, env_ptr, env_len, stdin_fd,
                                   stdout_fd, stderr_fd, 0, 0, 0, handle_out);
}

// The process behind `handle`, when the handle has `required` rights.
ErrnoResult<u32> process_pid(WasmkernCaller& caller, u32 handle, u32 required)
{
    auto process = caller.handles->get_as<proc::ProcessObject>(handle, ObjectType::Process, required);
    if (!process)
        return process.error();
    return process->object->pid();
}

// wait and wait_console: the status, then the handle is closed (as waitpid reaps). They take
// the call lock themselves (call_lock_of): to find the process, and to close the handle.
u32 wait_and_close(WasmkernCaller& caller, u32 handle, u32 status_out, bool watch_console)
{
    auto memory = caller.context->memory();
    if (!memory.contains(status_out, 4))
        return static_cast<u32>(Errno::Fault);
    ErrnoResult<u32> pid;
    {
        wasi::CallLockGuard guard(call_lock_of(caller));
        if (!guard.held())
            return static_cast<u32>(Errno::Intr);
        pid = process_pid(caller, handle, rights::kWait);
    }
    if (!pid)
        return static_cast<u32>(pid.error());
    if (watch_console)
        begin_console_watch();
    auto status = proc::wait_handle(*pid, watch_console ? take_console_interrupt : nullptr);
    if (watch_console)
        end_console_watch();
    if (!status)
        return static_cast<u32>(status.error());
    {
        // NOTE: killed while waiting for the lock, the handle stays (teardown closes it).
        wasi::CallLockGuard guard(call_lock_of(caller));
        if (guard.held())
            (void)caller.handles->close(handle);
    }
    return static_cast<u32>(memory.write_u32(status_out, *status));
}

u32 call_wait(WasmkernCaller& caller, u32 handle, u32 status_out) { return wait_and_close(caller, handle, status_out, false); }

// Like wait, while watching the serial console for Ctrl-C (stream.h): `canceled` when one
// arrives before the child exits (the caller decides what to stop).
u32 call_wait_console(WasmkernCaller& caller, u32 handle, u32 status_out)
{
    return wait_and_close(caller, handle, status_out, true);
}

u32 kill_with_status(WasmkernCaller& caller, u32 handle, u32 status)
{
    auto pid = process_pid(caller, handle, rights::kKill);
    if (!pid)
        return static_cast<u32>(pid.error());
    Errno error = proc::kill(*pid, status);
    // Waited for by another holder: it had exited, so there is nothing left to kill.
    return static_cast<u32>(error == Errno::Srch ? Errno::Success : error);
}

u32 call_kill(WasmkernCaller& caller, u32 handle) { return kill_with_status(caller, handle, proc::kKilledStatus); }

u32 call_interrupt(WasmkernCaller& caller, u32 handle) { return kill_with_status(caller, handle, proc::kInterruptedStatus); }

// A new pipe: its read end's descriptor, then its write end's, as two u32 at `fds_out`.
u32 call_pipe(WasmkernCaller& caller, u32 fds_out)
{
    auto memory = caller.context->memory();
    if (!memory.contains(fds_out, 8))
        return static_cast<u32>(Errno::Fault);
    auto handles = caller.system->open_pipe();
    if (!handles)
        return static_cast<u32>(handles.error());
    auto read_fd = caller.context->add_descriptor(handles->read_end, wasi::Filetype::Unknown, wasi::rights::kInputStream);
    if (!read_fd) {
        (void)caller.system->close(handles->read_end);
        (void)caller.system->close(handles->write_end);
        return static_cast<u32>(read_fd.error());
    }
    auto write_fd = caller.context->add_descriptor(handles->write_end, wasi::Filetype::Unknown, wasi::rights::kOutputStream);
    if (!write_fd) {
        (void)caller.context->fd_close(*read_fd); // closes its handle too
        (void)caller.system->close(handles->write_end);
        return static_cast<u32>(write_fd.error());
    }
    u32 fds[2] = { *read_fd, *write_fd };
    return static_cast<u32>(memory.write_bytes(fds_out, ReadonlyBytes(reinterpret_cast<const u8*>(fds), sizeof fds)));
}

u32 call_ps(WasmkernCaller& caller, u32 resource, u32 buffer, u32 length, u32 count_out)
{
    auto memory = caller.context->memory();
    if (!memory.contains(buffer, length) || !memory.contains(count_out, 4))
        return static_cast<u32>(Errno::Fault);
    if (auto root = caller.handles->get(resource, ObjectType::Resource, rights::kInspect); !root)
        return static_cast<u32>(root.error());
    Vector<proc::ProcessInfo> processes;
    if (!processes.try_resize(proc::kMaxProcesses))
        return static_cast<u32>(Errno::NoMem);
    usize total = proc::list(processes.span());
    usize fit = length / kProcessRecordSize;
    usize written = total < processes.size() ? total : processes.size();
    if (written > fit)
        written = fit;
    for (usize i = 0; i < written; ++i) {
        const auto& info = processes[i];
        u8 record[kProcessRecordSize] {};
        auto put32 = [&](usize offset, u32 value) { __builtin_memcpy(record + offset, &value, 4); };
        auto put64 = [&](usize offset, u64 value) { __builtin_memcpy(record + offset, &value, 8); };
        put32(0, info.pid);
        put32(4, info.parent_pid);
        put32(8, static_cast<u32>(info.state));
        put32(12, 0);
        put64(16, info.memory_bytes);
        put64(24, info.cpu_ns);
        __builtin_memcpy(record + 32, info.name, sizeof(info.name));
        (void)memory.write_bytes(buffer + i * kProcessRecordSize, ReadonlyBytes(record, sizeof(record)));
    }
    return static_cast<u32>(memory.write_u32(count_out, static_cast<u32>(total)));
}

// NOTE: the counters are read without the allocators' locks: each is one aligned u64, and a
// snapshot that may be a moment stale is all the record promises.
u32 call_meminfo(WasmkernCaller& caller, u32 buffer, u32 length)
{
    auto memory = caller.context->memory();
    if (!memory.contains(buffer, length))
        return static_cast<u32>(Errno::Fault);
    if (length < kMemoryRecordSize)
        return static_cast<u32>(Errno::Inval);
    auto heap = mm::heap_statistics();
    u64 fields[4] = { mm::total_frame_count() * mm::kFrameSize, mm::free_frame_count() * mm::kFrameSize,
                      heap.bytes_in_use, heap.pages_held * mm::kFrameSize };
    u8 record[kMemoryRecordSize];
    __builtin_memcpy(record, fields, sizeof record);
    return static_cast<u32>(memory.write_bytes(buffer, ReadonlyBytes(record, sizeof record)));
}

// The newest min(buf_len, held) bytes of the kernel log ring, oldest first; the info record
// says how many were copied, how many the ring holds and how many it has dropped.
u32 call_dmesg(WasmkernCaller& caller, u32 buffer, u32 length, u32 info_out)
{
    auto memory = caller.context->memory();
    if (!memory.contains(buffer, length) || !memory.contains(info_out, kLogInfoSize))
        return static_cast<u32>(Errno::Fault);
    usize wanted = length < debug::LogBuffer::kCapacity ? length : debug::LogBuffer::kCapacity;
    // A snapshot taken under the log lock (the guest's memory is written afterwards, outside it).
    Vector<u8> snapshot;
    if (!snapshot.try_resize(wanted))
        return static_cast<u32>(Errno::NoMem);
    auto taken = debug::snapshot_log(Bytes(snapshot.data(), wanted));
    u8 info[kLogInfoSize];
    u32 copied32 = static_cast<u32>(taken.copied);
    u32 held = static_cast<u32>(taken.held);
    __builtin_memcpy(info, &copied32, 4);
    __builtin_memcpy(info + 4, &held, 4);
    __builtin_memcpy(info + 8, &taken.dropped, 8);
    Errno result = memory.write_bytes(buffer, ReadonlyBytes(snapshot.data(), taken.copied));
    if (result != Errno::Success)
        return static_cast<u32>(result);
    return static_cast<u32>(memory.write_bytes(info_out, ReadonlyBytes(info, sizeof info)));
}

// Returns only when the handle is not the root resource with the power right.
u32 call_poweroff(WasmkernCaller& caller, u32 resource, u32 status)
{
    if (auto root = caller.handles->get(resource, ObjectType::Resource, rights::kPower); !root)
        return static_cast<u32>(root.error());
    debug::print("powering off (status {} from process {})\n", status, caller.pid);
    unmount_data();
    x86_64::power_off_with_status(status);
}

// The two entries of one call: `native` with the wasm calling convention (the
// HostFunction, then the i32 parameters) and `array` for VMVal-array callers.
template<auto Function>
struct Entry;

template<typename R, typename... Args, R (*Function)(WasmkernCaller&, Args...)>
struct Entry<Function> {
    static_assert((std::is_same_v<Args, u32> && ...), "wasmkern calls take i32 parameters");
    static constexpr bool kHasResult = !std::is_void_v<R>;
    static constexpr ValType kParams[sizeof...(Args) + 1] = { (static_cast<void>(sizeof(Args)), ValType::i32())...,
                                                             ValType::i32() };

    // Like the WASI calls, ends a killed caller once the call returned (WasiContext::end_call).
    static R native(VMContext* self, Args... args)
    {
        WasmkernCaller& caller = caller_of(self);
        if constexpr (kHasResult) {
            R result = locked(caller, args...);
            if (caller.context)
                caller.context->end_call();
            return result;
        } else {
            locked(caller, args...);
            if (caller.context)
                caller.context->end_call();
        }
    }

    // NOTE: the calls of a threaded process (wasi-threads) hold its WASI call lock, as its
    // WASI calls do: the handle table and the descriptors serve one call at a time. Not
    // call_serve, which parks while other processes' calls run this process's functions
    // (whose WASI and window calls take the lock themselves), nor the calls that block
    // (kTakesLockItself: call_lock_of). Released before end_call.
    static R locked(WasmkernCaller& caller, Args... args)
    {
        engine::wasi::CallLock* lock = kTakesLockItself ? nullptr : call_lock_of(caller);
        engine::wasi::CallLockGuard guard(lock);
        // Killed while waiting for the lock: the call does not run (end_call ends the
        // thread, so the value is never seen).
        if (!guard.held()) {
            if constexpr (std::is_void_v<R>)
                return;
            else
                return static_cast<R>(Errno::Intr);
        }
        return Function(caller, args...);
    }

    template<auto Other>
    static constexpr bool is()
    {
        if constexpr (std::is_same_v<decltype(Function), decltype(Other)>)
            return Function == Other;
        else
            return false;
    }
    static constexpr bool kTakesLockItself = is<&calls::call_serve>() || is<&call_wait>() || is<&call_wait_console>()
        || is<&calls::wait_many>() || is<&calls::wait_many_until>() || is<&calls::port_wait>() || is<&calls::call>();

    static void array(VMContext* self, VMVal* values) { call(self, values, std::index_sequence_for<Args...> {}); }

private:
    template<usize... I>
    static void call(VMContext* self, VMVal* values, std::index_sequence<I...>)
    {
        if constexpr (kHasResult)
            values[0] = VMVal::from_u32(native(self, values[I].u32_value()...));
        else
            native(self, values[I].u32_value()...);
    }
};

struct Definition {
    const char* name;
    Span<const ValType> params;
    bool has_result;
    engine::runtime::VMArrayCall array_call;
    const void* native_code;
};

template<auto Function>
constexpr Definition define(const char* name)
{
    using E = Entry<Function>;
    return { name, Span<const ValType>(E::kParams, sizeof(E::kParams) / sizeof(ValType) - 1), E::kHasResult, &E::array,
             reinterpret_cast<const void*>(&E::native) };
}

} // namespace

engine::wasi::CallLock* call_lock_of(WasmkernCaller& caller) { return caller.context ? caller.context->call_lock() : nullptr; }

Result<void> define_wasmkern(engine::runtime::Store& store, engine::runtime::Linker& linker, WasmkernCaller& caller)
{
    static const Definition functions[] = {
        define<&call_spawn>("spawn"),
        define<&call_spawn_with_stack>("spawn_with_stack"),
        define<&call_wait>("wait"),
        define<&call_kill>("kill"),
        define<&call_ps>("ps"),
        define<&call_meminfo>("meminfo"),
        define<&call_dmesg>("dmesg"),
        define<&call_poweroff>("poweroff"),
        define<&call_pipe>("pipe"),
        define<&call_wait_console>("wait_console"),
        define<&call_interrupt>("interrupt"),
        define<&call_spawn_with_handles>("spawn_with_handles"),
        define<&call_spawn_listening>("spawn_listening"),
        define<&calls::handle_close>("handle_close"),
        define<&calls::handle_duplicate>("handle_duplicate"),
        define<&calls::handles>("handles"),
        define<&calls::process_info>("process_info"),
        define<&calls::process_by_pid>("process_by_pid"),
        define<&calls::channel_create>("channel_create"),
        define<&calls::channel_write>("channel_write"),
        define<&calls::channel_read>("channel_read"),
        define<&calls::wait_many>("wait_many"),
        define<&calls::wait_many_until>("wait_many_until"),
        define<&calls::event_create>("event_create"),
        define<&calls::event_signal>("event_signal"),
        define<&calls::timer_create>("timer_create"),
        define<&calls::timer_set>("timer_set"),
        define<&calls::timer_set_slack>("timer_set_slack"),
        define<&calls::timer_cancel>("timer_cancel"),
        define<&calls::port_create>("port_create"),
        define<&calls::port_add>("port_add"),
        define<&calls::port_remove>("port_remove"),
        define<&calls::port_queue>("port_queue"),
        define<&calls::port_wait>("port_wait"),
        define<&calls::sock_connect>("sock_connect"),
        define<&calls::resolve>("resolve"),
        define<&calls::ping>("ping"),
        define<&calls::net_status>("net_status"),
        define<&calls::udp_bind>("udp_bind"),
        define<&calls::udp_send_to>("udp_send_to"),
        define<&calls::udp_recv_from>("udp_recv_from"),
        define<&calls::call_offer>("call_offer"),
        define<&calls::call>("call"),
        define<&calls::call_serve>("call_serve"),
        define<&calls::call_window_read>("call_window_read"),
        define<&calls::call_window_write>("call_window_write"),
    };
    const ValType errno_result[] = { ValType::i32() };
    for (const Definition& function : functions) {
        Span<const ValType> results = function.has_result ? Span<const ValType>(errno_result, 1) : Span<const ValType>();
        u32 type_id = TRY(store.types().intern_function(function.params, results));
        auto* funcref = TRY(store.create_host_function(type_id, function.array_call, function.native_code, &caller));
        TRY(linker.define(kWasmkernModuleName, StringView(function.name, c_string_length(function.name)),
                          engine::runtime::Extern::from(funcref)));
    }
    return {};
}

} // namespace wk::kernel::sys
