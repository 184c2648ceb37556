#include "engine/wasi/wasi_context.h"
#include "kernel/object/event.h"
#include "kernel/object/handle_table.h"
#include "kernel/object/port.h"
#include "kernel/object/timer.h"
#include "kernel/object/wait.h"
#include "kernel/sys/wasmkern_calls.h"

// Events, timers and ports (docs/process-abi.md, "Events, timers and ports").
namespace wk::kernel::sys::calls {

using engine::wasi::Errno;
using object::EventObject;
using object::ObjectType;
using object::PortObject;
using object::TimerObject;
namespace rights = object::rights;

namespace {

constexpr u32 kEventRights = rights::kDuplicate | rights::kTransfer | rights::kWait | rights::kSignal;
constexpr u32 kTimerRights = rights::kDuplicate | rights::kTransfer | rights::kWait | rights::kWrite;
// No transfer: a port never travels through a channel (docs/kernel-objects.md, "Ports").
constexpr u32 kPortRights = rights::kDuplicate | rights::kWait | rights::kRead | rights::kWrite;
constexpr u32 kMaxPackets = 64;

u32 code(Errno error) { return static_cast<u32>(error); }

u64 join(u32 low, u32 high) { return (u64 { high } << 32) | low; }

// A handle for a new object from `create`, written to handle_out.
template<typename Create>
u32 create_object(WasmkernCaller& caller, u32 handle_out, Create create, u32 handle_rights)
{
    auto memory = caller.context->memory();
    if (!memory.contains(handle_out, 4))
        return code(Errno::Fault);
    if (caller.handles->count() == object::HandleTable::kCapacity)
        return code(Errno::MFile);
    auto created = create();
    if (!created)
        return code(created.error());
    auto handle = caller.handles->add(std::move(*created), handle_rights);
    if (!handle)
        return code(handle.error());
    return code(memory.write_u32(handle_out, *handle));
}

} // namespace

u32 event_create(WasmkernCaller& caller, u32 handle_out)
{
    return create_object(caller, handle_out, EventObject::create, kEventRights);
}

u32 event_signal(WasmkernCaller& caller, u32 handle, u32 set_mask, u32 clear_mask)
{
    auto event = caller.handles->get_as<EventObject>(handle, ObjectType::Event, rights::kSignal);
    if (!event)
        return code(event.error());
    return code(event->object->signal(set_mask, clear_mask));
}

u32 timer_create(WasmkernCaller& caller, u32 handle_out)
{
    return create_object(caller, handle_out, TimerObject::create, kTimerRights);
}

u32 timer_set(WasmkernCaller& caller, u32 handle, u32 deadline_low, u32 deadline_high)
{
    return timer_set_slack(caller, handle, deadline_low, deadline_high, 0);
}

u32 timer_set_slack(WasmkernCaller& caller, u32 handle, u32 deadline_low, u32 deadline_high, u32 slack_ns)
{
    auto timer = caller.handles->get_as<TimerObject>(handle, ObjectType::Timer, rights::kWrite);
    if (!timer)
        return code(timer.error());
    timer->object->set(join(deadline_low, deadline_high), slack_ns);
    return code(Errno::Success);
}

u32 timer_cancel(WasmkernCaller& caller, u32 handle)
{
    auto timer = caller.handles->get_as<TimerObject>(handle, ObjectType::Timer, rights::kWrite);
    if (!timer)
        return code(timer.error());
    timer->object->cancel();
    return code(Errno::Success);
}

u32 port_create(WasmkernCaller& caller, u32 handle_out)
{
    return create_object(caller, handle_out, PortObject::create, kPortRights);
}

u32 port_add(WasmkernCaller& caller, u32 port_handle, u32 handle, u32 key, u32 wanted)
{
    auto port = caller.handles->get_as<PortObject>(port_handle, ObjectType::Port, rights::kWrite);
    if (!port)
        return code(port.error());
    auto watched = caller.handles->get(handle, ObjectType::None, rights::kWait);
    if (!watched)
        return code(watched.error());
    return code(port->object->add(std::move(watched->object), key, wanted));
}

u32 port_remove(WasmkernCaller& caller, u32 port_handle, u32 key)
{
    auto port = caller.handles->get_as<PortObject>(port_handle, ObjectType::Port, rights::kWrite);
    if (!port)
        return code(port.error());
    return code(port->object->remove(key));
}

u32 port_queue(WasmkernCaller& caller, u32 port_handle, u32 key, u32 signals)
{
    auto port = caller.handles->get_as<PortObject>(port_handle, ObjectType::Port, rights::kWrite);
    if (!port)
        return code(port.error());
    return code(port->object->queue(key, signals));
}

u32 port_wait(WasmkernCaller& caller, u32 port_handle, u32 deadline_low, u32 deadline_high, u32 packets_ptr,
              u32 capacity, u32 count_out)
{
    auto memory = caller.context->memory();
    if (capacity == 0 || capacity > kMaxPackets)
        return code(Errno::Inval);
    if (!memory.contains(packets_ptr, capacity * sizeof(object::PortPacket)) || !memory.contains(count_out, 4))
        return code(Errno::Fault);
    // NOTE: the call lock (call_lock_of) for the lookup only: the wait is on the port object,
    // which the reference keeps, so the process's other threads' calls go on meanwhile.
    ErrnoResult<object::Handle<PortObject>> port = Errno::BadF;
    {
        engine::wasi::CallLockGuard guard(call_lock_of(caller));
        if (!guard.held())
            return code(Errno::Intr);
        port = caller.handles->get_as<PortObject>(port_handle, ObjectType::Port, rights::kRead);
    }
    if (!port)
        return code(port.error());
    object::PortPacket packets[kMaxPackets];
    u32 count = 0;
    auto check = [&](u64& next_deadline) {
        count = port->object->collect_locked(Span<object::PortPacket>(packets, capacity), next_deadline);
        return count > 0 ? Errno::Success : Errno::Again;
    };
    Errno result = object::wait_until(join(deadline_low, deadline_high), check);
    if (result != Errno::Success)
        return code(result);
    // The ranges were checked: these writes cannot fail.
    (void)memory.write_bytes(packets_ptr, ReadonlyBytes(reinterpret_cast<const u8*>(packets), count * sizeof packets[0]));
    return code(memory.write_u32(count_out, count));
}

} // namespace wk::kernel::sys::calls
