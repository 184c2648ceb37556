#include <new>

#include "engine/wasi/wasi_context.h"
#include "kernel/object/channel.h"
#include "kernel/object/wait.h"
#include "kernel/sys/wasmkern_calls.h"

namespace wk::kernel::sys::calls {

using engine::wasi::Errno;
using object::ChannelEndpoint;
using object::ObjectType;
namespace rights = object::rights;

namespace {

// The rights of both handles channel_create gives.
constexpr u32 kEndpointRights = rights::kDuplicate | rights::kTransfer | rights::kRead | rights::kWrite | rights::kWait;
constexpr u32 kWaitItemSize = 12; // u32 handle, u32 signals wanted, u32 signals observed (out)
constexpr u32 kMaxWaitItems = 64;
constexpr u32 kWaitForever = 0xFFFF'FFFFu;

u32 code(Errno error) { return static_cast<u32>(error); }

} // namespace

u32 channel_create(WasmkernCaller& caller, u32 handles_out)
{
    auto memory = caller.context->memory();
    if (!memory.contains(handles_out, 8))
        return code(Errno::Fault);
    if (caller.handles->count() + 2 > object::HandleTable::kCapacity)
        return code(Errno::MFile);
    auto pair = ChannelEndpoint::create_pair();
    if (!pair)
        return code(pair.error());
    u32 values[2];
    values[0] = *caller.handles->add(std::move(pair->first), kEndpointRights); // room checked above
    values[1] = *caller.handles->add(std::move(pair->second), kEndpointRights);
    return code(memory.write_bytes(handles_out, ReadonlyBytes(reinterpret_cast<const u8*>(values), sizeof values)));
}

u32 channel_write(WasmkernCaller& caller, u32 handle, u32 bytes_ptr, u32 bytes_len, u32 handles_ptr, u32 handles_count)
{
    auto memory = caller.context->memory();
    auto bytes = memory.bytes(bytes_ptr, bytes_len);
    if (!bytes)
        return code(Errno::Fault);
    if (bytes_len > ChannelEndpoint::kMaxMessageBytes || handles_count > ChannelEndpoint::kMaxMessageHandles)
        return code(Errno::Inval);
    auto transfer_list = memory.bytes(handles_ptr, handles_count * 8);
    if (!transfer_list)
        return code(Errno::Fault);
    auto endpoint = caller.handles->get_as<ChannelEndpoint>(handle, ObjectType::Channel, rights::kWrite);
    if (!endpoint)
        return code(endpoint.error());
    u32 transfers[2 * ChannelEndpoint::kMaxMessageHandles];
    __builtin_memcpy(transfers, transfer_list->data(), handles_count * 8);
    object::ChannelMessage message;
    if (!message.bytes.try_resize(bytes_len))
        return code(Errno::NoMem);
    __builtin_memcpy(message.bytes.data(), bytes->data(), bytes_len);
    return code(endpoint->object->write(std::move(message), *caller.handles, Span<const u32>(transfers, handles_count * 2)));
}

u32 channel_read(WasmkernCaller& caller, u32 handle, u32 bytes_ptr, u32 bytes_capacity, u32 handles_ptr,
                 u32 handles_capacity, u32 actual_out)
{
    auto memory = caller.context->memory();
    if (!memory.contains(bytes_ptr, bytes_capacity) || handles_capacity > 0x1000'0000u
        || !memory.contains(handles_ptr, handles_capacity * 4) || !memory.contains(actual_out, 8))
        return code(Errno::Fault);
    auto endpoint = caller.handles->get_as<ChannelEndpoint>(handle, ObjectType::Channel, rights::kRead);
    if (!endpoint)
        return code(endpoint.error());
    auto message = endpoint->object->read(bytes_capacity, handles_capacity, *caller.handles);
    if (!message) {
        if (message.error() == Errno::MsgSize) {
            if (auto sizes = endpoint->object->peek()) {
                u32 actual[2] = { sizes->bytes, sizes->handles };
                (void)memory.write_bytes(actual_out, ReadonlyBytes(reinterpret_cast<const u8*>(actual), sizeof actual));
            }
        }
        return code(message.error());
    }
    u32 actual[2] = { static_cast<u32>(message->bytes.size()), static_cast<u32>(message->handles.size()) };
    // The ranges were checked: these writes cannot fail, and the table had room (read checked).
    (void)memory.write_bytes(bytes_ptr, ReadonlyBytes(message->bytes.data(), message->bytes.size()));
    for (u32 i = 0; i < actual[1]; ++i) {
        auto& moved = message->handles[i];
        u32 value = *caller.handles->add(std::move(moved.object), moved.rights);
        (void)memory.write_u32(handles_ptr + i * 4, value);
    }
    return code(memory.write_bytes(actual_out, ReadonlyBytes(reinterpret_cast<const u8*>(actual), sizeof actual)));
}

namespace {

// The items' handles still name `objects` (each with the wait right): Canceled when one was
// closed or sent away, Intr when the caller was killed waiting for the call lock. Reads the
// table's removal count into `removals` under the same lock.
Errno look_up_items(WasmkernCaller& caller, const u32* fields, u32 count, RefPtr<object::KernelObject>* objects,
                    u32& removals)
{
    engine::wasi::CallLockGuard guard(call_lock_of(caller));
    if (!guard.held())
        return Errno::Intr;
    for (u32 i = 0; i < count; ++i) {
        auto found = caller.handles->get(fields[i * 3], ObjectType::None, rights::kWait);
        if (!found)
            return objects[i] ? Errno::Canceled : found.error();
        if (objects[i] && found->object.get() != objects[i].get())
            return Errno::Canceled;
        objects[i] = std::move(found->object);
    }
    removals = caller.handles->removals();
    return Errno::Success;
}

// wait_many and wait_many_until: the items' wait until `deadline` (ns since boot, or none).
// NOTE: the wait holds no call lock (call_lock_of), so the handle table is not read while it
// waits: a handle closed or sent away meanwhile (by another thread of the caller's process, or
// a direct call into it) changes the table's removal count, which the wait sees (closing and
// sending wake waits); it then looks its handles up again under the lock, and one that no
// longer names its object ends the wait (Canceled): the caller waits on handles, not on objects
// it no longer holds.
u32 wait_items(WasmkernCaller& caller, u32 items_ptr, u32 count, u64 deadline)
{
    auto memory = caller.context->memory();
    if (count == 0 || count > kMaxWaitItems)
        return code(Errno::Inval);
    auto items = memory.bytes(items_ptr, count * kWaitItemSize);
    if (!items)
        return code(Errno::Fault);
    u32 fields[kMaxWaitItems * 3];
    __builtin_memcpy(fields, items->data(), count * kWaitItemSize);
    RefPtr<object::KernelObject> objects[kMaxWaitItems];
    u32 removals = 0;
    if (Errno found = look_up_items(caller, fields, count, objects, removals); found != Errno::Success)
        return code(found);
    for (;;) {
        bool removed = false;
        auto check = [&](u64& next_deadline) {
            if (caller.handles->removals() != removals) {
                removed = true;
                return Errno::Success;
            }
            bool any = false;
            for (u32 i = 0; i < count; ++i) {
                fields[i * 3 + 2] = objects[i]->signals();
                any = any || (fields[i * 3 + 2] & fields[i * 3 + 1]) != 0;
                u64 own = objects[i]->next_signal_deadline();
                next_deadline = own < next_deadline ? own : next_deadline;
            }
            return any ? Errno::Success : Errno::Again;
        };
        Errno result = object::wait_until(deadline, check);
        if (removed) {
            if (Errno still = look_up_items(caller, fields, count, objects, removals); still != Errno::Success)
                return code(still);
            continue;
        }
        if (result == Errno::Intr)
            return code(result);
        Errno written
            = memory.write_bytes(items_ptr, ReadonlyBytes(reinterpret_cast<const u8*>(fields), count * kWaitItemSize));
        return code(written != Errno::Success ? written : result);
    }
}

} // namespace

u32 wait_many(WasmkernCaller& caller, u32 items_ptr, u32 count, u32 timeout_ms)
{
    u64 deadline = timeout_ms == kWaitForever ? object::kNoDeadline : object::deadline_after(u64 { timeout_ms } * 1'000'000);
    return wait_items(caller, items_ptr, count, deadline);
}

u32 wait_many_until(WasmkernCaller& caller, u32 items_ptr, u32 count, u32 deadline_low, u32 deadline_high)
{
    return wait_items(caller, items_ptr, count, (u64 { deadline_high } << 32) | deadline_low);
}

} // namespace wk::kernel::sys::calls
