#include <new>

#include "base/vector.h"
#include "engine/wasi/wasi_context.h"
#include "kernel/object/channel.h"
#include "kernel/object/handle_table.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_object.h"
#include "kernel/sys/wasmkern_calls.h"

namespace wk::kernel::sys::calls {

using engine::wasi::Errno;
using object::ObjectType;
namespace rights = object::rights;

namespace {

constexpr u32 kHandleRecordSize = 16;
constexpr u32 kProcessRecordSize = 64;

// Rights of a handle process_by_pid makes: enough to stop and look at a process, not to
// collect its status (that stays with whoever started it).
constexpr u32 kManagedProcessRights = rights::kKill | rights::kInspect | rights::kDuplicate | rights::kTransfer;

u32 code(Errno error) { return static_cast<u32>(error); }

} // namespace

u32 handle_close(WasmkernCaller& caller, u32 handle)
{
    Errno result = caller.handles->close(handle);
    if (result == Errno::Success)
        object::notify_signal_change(); // a wait_many on the handle ends (Canceled)
    return code(result);
}

u32 handle_duplicate(WasmkernCaller& caller, u32 handle, u32 wanted_rights, u32 handle_out)
{
    auto memory = caller.context->memory();
    if (!memory.contains(handle_out, 4))
        return code(Errno::Fault);
    auto duplicate = caller.handles->duplicate(handle, wanted_rights);
    if (!duplicate)
        return code(duplicate.error());
    return code(memory.write_u32(handle_out, *duplicate));
}

u32 handles(WasmkernCaller& caller, u32 buffer, u32 length, u32 count_out)
{
    auto memory = caller.context->memory();
    if (!memory.contains(buffer, length) || !memory.contains(count_out, 4))
        return code(Errno::Fault);
    // NOTE: on the heap: 12 KiB would be a quarter of the host-call stack reserve.
    Vector<object::HandleInfo> records;
    if (!records.try_resize(caller.handles->count()))
        return code(Errno::NoMem);
    u32 total = caller.handles->list(records.span());
    u32 written = total < length / kHandleRecordSize ? total : length / kHandleRecordSize;
    for (u32 i = 0; i < written; ++i) {
        u32 fields[4] = { records[i].value, static_cast<u32>(records[i].type), records[i].rights, 0 };
        if (Errno error = memory.write_bytes(buffer + i * kHandleRecordSize,
                                             ReadonlyBytes(reinterpret_cast<const u8*>(fields), sizeof fields));
            error != Errno::Success)
            return code(error);
    }
    return code(memory.write_u32(count_out, total));
}

u32 process_info(WasmkernCaller& caller, u32 handle, u32 buffer, u32 length)
{
    auto memory = caller.context->memory();
    if (!memory.contains(buffer, length))
        return code(Errno::Fault);
    if (length < kProcessRecordSize)
        return code(Errno::Inval);
    auto process = caller.handles->get_as<proc::ProcessObject>(handle, ObjectType::Process, rights::kInspect);
    if (!process)
        return code(process.error());
    proc::ProcessInfo info;
    if (!proc::inspect(process->object->pid(), info))
        return code(Errno::Srch); // waited for by another holder of a handle to it
    u8 record[kProcessRecordSize] {};
    __builtin_memcpy(record + 0, &info.pid, 4);
    __builtin_memcpy(record + 4, &info.parent_pid, 4);
    u32 state = static_cast<u32>(info.state);
    __builtin_memcpy(record + 8, &state, 4);
    __builtin_memcpy(record + 16, &info.memory_bytes, 8);
    __builtin_memcpy(record + 24, &info.cpu_ns, 8);
    __builtin_memcpy(record + 32, info.name, sizeof(info.name));
    return code(memory.write_bytes(buffer, ReadonlyBytes(record, sizeof record)));
}

u32 process_by_pid(WasmkernCaller& caller, u32 resource, u32 pid, u32 handle_out)
{
    auto memory = caller.context->memory();
    if (!memory.contains(handle_out, 4))
        return code(Errno::Fault);
    if (auto root = caller.handles->get(resource, ObjectType::Resource, rights::kManage); !root)
        return code(root.error());
    if (caller.handles->count() == object::HandleTable::kCapacity)
        return code(Errno::MFile);
    auto* created = new (std::nothrow) proc::ProcessObject;
    if (!created)
        return code(Errno::NoMem);
    auto process = adopt_ref(*static_cast<object::KernelObject*>(created));
    if (!created->attach(pid))
        return code(Errno::Srch);
    auto handle = caller.handles->add(std::move(process), kManagedProcessRights);
    if (!handle)
        return code(handle.error());
    return code(memory.write_u32(handle_out, *handle));
}

} // namespace wk::kernel::sys::calls
