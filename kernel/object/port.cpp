#include "kernel/object/port.h"

#include <new>
#include <utility>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/object/channel.h"

namespace wk::kernel::object {

using x86_64::InterruptDisabler;

ErrnoResult<RefPtr<KernelObject>> PortObject::create()
{
    auto* port = new (std::nothrow) PortObject;
    if (!port)
        return Errno::NoMem;
    return adopt_ref(*static_cast<KernelObject*>(port));
}

Errno PortObject::add(RefPtr<KernelObject> object, u32 key, u32 wanted)
{
    if (wanted == 0 || !object || object->type() == ObjectType::Port)
        return Errno::Inval;
    InterruptDisabler guard;
    Registration* free_slot = nullptr;
    for (Registration& registration : m_registrations) {
        if (!registration.object)
            free_slot = free_slot ? free_slot : &registration;
        else if (registration.key == key)
            return Errno::Exist;
    }
    if (!free_slot)
        return Errno::NoSpc;
    free_slot->object = std::move(object);
    free_slot->key = key;
    free_slot->wanted = wanted;
    ++m_registration_count;
    notify_signal_change(); // the object may have a wanted signal already
    return Errno::Success;
}

Errno PortObject::remove(u32 key)
{
    RefPtr<KernelObject> dropped;
    {
        InterruptDisabler guard;
        for (Registration& registration : m_registrations) {
            if (registration.object && registration.key == key) {
                dropped = std::move(registration.object);
                --m_registration_count;
                break;
            }
        }
    }
    return dropped ? Errno::Success : Errno::NoEnt;
}

Errno PortObject::queue(u32 key, u32 signals)
{
    InterruptDisabler guard;
    if (m_queue_count == kMaxQueuedPackets)
        return Errno::Again;
    m_queue[(m_queue_head + m_queue_count) % kMaxQueuedPackets] = PortPacket { key, signals };
    ++m_queue_count;
    notify_signal_change();
    return Errno::Success;
}

u32 PortObject::collect_locked(Span<PortPacket> out, u64& next_deadline)
{
    u32 count = 0;
    for (; count < out.size() && m_queue_count > 0; ++count) {
        out[count] = m_queue[m_queue_head];
        m_queue_head = (m_queue_head + 1) % kMaxQueuedPackets;
        --m_queue_count;
    }
    u32 last_reported = kMaxRegistrations;
    for (u32 step = 0; step < kMaxRegistrations; ++step) {
        u32 index = (m_scan_start + step) % kMaxRegistrations;
        Registration& registration = m_registrations[index];
        if (!registration.object)
            continue;
        u32 observed = registration.object->signals() & registration.wanted;
        if (observed == 0) {
            u64 deadline = registration.object->next_signal_deadline();
            next_deadline = deadline < next_deadline ? deadline : next_deadline;
            continue;
        }
        if (count == out.size())
            break;
        out[count++] = PortPacket { registration.key, observed };
        last_reported = index;
    }
    if (last_reported != kMaxRegistrations)
        m_scan_start = (last_reported + 1) % kMaxRegistrations;
    return count;
}

u32 PortObject::signals() const
{
    InterruptDisabler guard;
    if (m_queue_count > 0)
        return signals::kReadable;
    for (const Registration& registration : m_registrations) {
        if (registration.object && (registration.object->signals() & registration.wanted))
            return signals::kReadable;
    }
    return 0;
}

u64 PortObject::next_signal_deadline() const
{
    InterruptDisabler guard;
    u64 earliest = kNoDeadline;
    for (const Registration& registration : m_registrations) {
        if (!registration.object)
            continue;
        u64 deadline = registration.object->next_signal_deadline();
        earliest = deadline < earliest ? deadline : earliest;
    }
    return earliest;
}

} // namespace wk::kernel::object
