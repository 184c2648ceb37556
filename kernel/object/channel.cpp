#include "kernel/object/channel.h"

#include <new>
#include <utility>

#include "base/intrusive_list.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/sched/thread.h"

namespace wk::kernel::object {

using x86_64::InterruptDisabler;

namespace {
u32 g_channels; // pairs alive; changed with interrupts off
sched::WaitQueue g_signal_waiters;
// Threads in a wait with a deadline: they sleep (the scheduler has no block-with-timeout) and
// a signal change ends their sleep early. Each links a record on its own stack while it
// sleeps, so any number may wait at once (every thread of every process, wasi-threads and
// direct calls included) and none polls. Changed with interrupts off.
struct DeadlineWaiter {
    sched::Thread* thread { nullptr };
    IntrusiveListNode node;
};
IntrusiveList<DeadlineWaiter, &DeadlineWaiter::node> g_deadline_waiters;

void wake_signal_waiters_locked()
{
    sched::wake_all(g_signal_waiters);
    for (DeadlineWaiter& waiter : g_deadline_waiters)
        sched::wake_sleeping(waiter.thread);
}
} // namespace

void notify_signal_change()
{
    InterruptDisabler guard;
    wake_signal_waiters_locked();
}

void wait_for_signal_change() { sched::block_on(g_signal_waiters); }

void wait_for_signal_change(u64 nanoseconds)
{
    DeadlineWaiter waiter;
    waiter.thread = sched::current();
    g_deadline_waiters.push_back(waiter);
    sched::sleep_for(nanoseconds);
    g_deadline_waiters.remove(waiter);
}

u32 ChannelEndpoint::live_channels()
{
    InterruptDisabler guard;
    return g_channels;
}

ErrnoResult<ChannelEndpoint::Pair> ChannelEndpoint::create_pair()
{
    {
        InterruptDisabler guard;
        if (g_channels >= kMaxChannels)
            return Errno::NFile;
        ++g_channels;
    }
    auto* first = new (std::nothrow) ChannelEndpoint;
    auto* second = new (std::nothrow) ChannelEndpoint;
    if (!first || !second) {
        delete first;
        delete second;
        InterruptDisabler guard;
        --g_channels;
        return Errno::NoMem;
    }
    first->m_peer = second;
    second->m_peer = first;
    return Pair { adopt_ref(*static_cast<KernelObject*>(first)), adopt_ref(*static_cast<KernelObject*>(second)) };
}

ChannelEndpoint::~ChannelEndpoint()
{
    ChannelMessage* dropped[kMaxQueuedMessages];
    u32 count = 0;
    bool was_connected = false;
    {
        InterruptDisabler guard;
        if (m_peer) {
            m_peer->m_peer = nullptr;
            was_connected = true;
        } else {
            --g_channels; // the second endpoint of the pair to go
        }
        m_peer = nullptr;
        for (; count < m_count; ++count)
            dropped[count] = m_queue[(m_head + count) % kMaxQueuedMessages];
        m_count = 0;
    }
    // NOTE: outside the window: the handles in the messages may be the last references of
    // other objects (other channels, processes), whose destructors take it again.
    for (u32 i = 0; i < count; ++i)
        delete dropped[i];
    if (was_connected)
        notify_signal_change();
}

Errno ChannelEndpoint::write(ChannelMessage&& message, HandleTable& table, Span<const u32> transfers)
{
    if (message.bytes.size() > kMaxMessageBytes || transfers.size() / 2 > kMaxMessageHandles)
        return Errno::Inval;
    auto* queued = new (std::nothrow) ChannelMessage(std::move(message));
    if (!queued || !queued->handles.try_reserve(transfers.size() / 2)) {
        delete queued;
        return Errno::NoMem;
    }
    Errno error = Errno::Success;
    {
        InterruptDisabler guard;
        ChannelEndpoint* peer = m_peer;
        if (!peer)
            error = Errno::Pipe;
        else if (peer->m_count == kMaxQueuedMessages || peer->m_queued_bytes + queued->bytes.size() > kMaxQueuedBytes)
            error = Errno::Again;
        for (usize i = 0; error == Errno::Success && i < transfers.size(); i += 2) {
            auto found = table.get(transfers[i], ObjectType::None, rights::kTransfer);
            if (!found) {
                error = found.error();
                break;
            }
            // Its own endpoints would keep themselves alive from their own queue.
            if (found->object.get() == this || found->object.get() == peer)
                error = Errno::Inval;
            for (usize j = 0; j < i; j += 2)
                error = transfers[j] == transfers[i] ? Errno::Inval : error;
        }
        if (error == Errno::Success) {
            for (usize i = 0; i < transfers.size(); i += 2) {
                auto taken = table.take(transfers[i], rights::kTransfer); // checked above: cannot fail
                taken->rights &= transfers[i + 1];
                queued->handles.append(std::move(*taken));
            }
            peer->m_queue[(peer->m_head + peer->m_count) % kMaxQueuedMessages] = queued;
            ++peer->m_count;
            peer->m_queued_bytes += static_cast<u32>(queued->bytes.size());
            queued = nullptr;
            wake_signal_waiters_locked();
        }
    }
    delete queued; // refused: nothing was taken from the table
    return error;
}

ErrnoResult<ChannelEndpoint::Sizes> ChannelEndpoint::peek() const
{
    InterruptDisabler guard;
    if (m_count == 0)
        return m_peer ? Errno::Again : Errno::Pipe;
    const ChannelMessage& first = *m_queue[m_head];
    return Sizes { static_cast<u32>(first.bytes.size()), static_cast<u32>(first.handles.size()) };
}

ErrnoResult<ChannelMessage> ChannelEndpoint::read(u32 byte_capacity, u32 handle_capacity, const HandleTable& table)
{
    ChannelMessage* taken = nullptr;
    {
        InterruptDisabler guard;
        if (m_count == 0)
            return m_peer ? Errno::Again : Errno::Pipe;
        ChannelMessage* first = m_queue[m_head];
        if (first->bytes.size() > byte_capacity || first->handles.size() > handle_capacity)
            return Errno::MsgSize;
        if (table.count() + first->handles.size() > HandleTable::kCapacity)
            return Errno::MFile;
        taken = first;
        m_head = (m_head + 1) % kMaxQueuedMessages;
        --m_count;
        m_queued_bytes -= static_cast<u32>(first->bytes.size());
        if (m_peer)
            wake_signal_waiters_locked(); // the writer may wait for room
    }
    ChannelMessage message = std::move(*taken);
    delete taken;
    return message;
}

u32 ChannelEndpoint::signals() const
{
    InterruptDisabler guard;
    u32 observed = m_count > 0 ? signals::kReadable : 0;
    if (!m_peer)
        observed |= signals::kPeerClosed;
    else if (m_peer->m_count < kMaxQueuedMessages && m_peer->m_queued_bytes < kMaxQueuedBytes)
        observed |= signals::kWritable;
    return observed;
}

} // namespace wk::kernel::object
