#pragma once

#include "base/errno.h"
#include "base/span.h"
#include "base/vector.h"
#include "kernel/object/handle_table.h"
#include "kernel/object/kernel_object.h"

// Channels (docs/kernel-objects.md, "Channels"): two endpoints, each with a bounded queue of
// the messages written on the other. A message is bytes and handles; a handle written leaves
// the writer's table and reaches the reader's when it reads the message (with the rights the
// writer chose, never more than it had). Closing an endpoint's last handle destroys it: its
// queued messages (and the handles in them) go, and the peer sees peer-closed.
//
// Contract: endpoint state (queue, peer) is read and changed with interrupts off (one CPU);
// messages are built and copied to guest memory outside that window.
namespace wk::kernel::object {

struct ChannelMessage {
    Vector<u8> bytes;
    Vector<Handle<KernelObject>> handles;
};

class ChannelEndpoint final : public KernelObject {
public:
    // Bounds (isolation: docs/process-abi.md, "Channels").
    static constexpr u32 kMaxMessageBytes = 16 * 1024;
    static constexpr u32 kMaxMessageHandles = 16;
    static constexpr u32 kMaxQueuedMessages = 32;
    static constexpr u32 kMaxQueuedBytes = 32 * 1024;
    static constexpr u32 kMaxChannels = 128; // in the whole system

    struct Pair {
        RefPtr<KernelObject> first;
        RefPtr<KernelObject> second;
    };
    // Two connected endpoints. NFile when kMaxChannels exist, NoMem.
    static ErrnoResult<Pair> create_pair();

    ~ChannelEndpoint() override;
    ObjectType type() const override { return ObjectType::Channel; }

    // Queues `message` on the peer after moving the handles `transfers` (handle, rights pairs)
    // out of `table`. Checks, in this order, with nothing moved on error: Pipe (the peer is
    // gone), Again (the peer's queue is full), then each handle: BadF / NotCapable (the transfer
    // right) / Inval (listed twice, or this channel's own endpoints).
    Errno write(ChannelMessage&& message, HandleTable& table, Span<const u32> transfers);

    // The size of the first queued message: Again when none is queued (Pipe when none ever
    // will be: the peer is gone).
    struct Sizes {
        u32 bytes;
        u32 handles;
    };
    ErrnoResult<Sizes> peek() const;
    // Takes the first queued message when it fits `byte_capacity` and `handle_capacity` (else
    // MsgSize, the message stays) and `table` has room for its handles (else MFile).
    ErrnoResult<ChannelMessage> read(u32 byte_capacity, u32 handle_capacity, const HandleTable& table);

    u32 signals() const override;

    // Channels in the system (tests).
    static u32 live_channels();

private:
    ChannelEndpoint() = default;

    ChannelEndpoint* m_peer { nullptr };
    ChannelMessage* m_queue[kMaxQueuedMessages] {};
    u32 m_head { 0 };
    u32 m_count { 0 };
    u32 m_queued_bytes { 0 };
};

// Wakes every wait_many so it looks at its objects again (signal changes are rare enough that
// one system-wide queue serves all waiters).
void notify_signal_change();
// Blocks the calling thread until notify_signal_change (or a kill). Interrupts must be off.
void wait_for_signal_change();
// The same for at most `nanoseconds`.
void wait_for_signal_change(u64 nanoseconds);

} // namespace wk::kernel::object
