#pragma once

#include <span>

#include "kernel/drivers/driver_host.h"
#include "kernel/drivers/virtio/virtio_transport.h"
#include "kernel/drivers/virtio/virtqueue.h"

// The virtio-net driver (virtio 1.2, section 5.1), written against a VirtioTransport and a
// DriverHost only, like virtio-blk, so that it can move into a wasm service later. No
// offloads: VIRTIO_NET_F_MAC and VIRTIO_NET_F_STATUS are the only device features taken.
//
// Queue 0 receives: every descriptor holds a buffer of kBufferBytes and the ring is kept full
// (a buffer goes back as soon as its frame was handed on). Queue 1 transmits from a pool of
// kTransmitBuffers buffers, reclaimed when the device has used them. Both are polled (the
// caller decides how often). The device is not trusted: a used length outside a buffer drops
// the frame, a used ring naming no chain in flight fails the device.
// Not thread-safe: the owner serialises calls.
namespace wk::kernel::drivers::virtio {

enum NetFeatures : u64 {
    kNetFeatureMac = 1ull << 5,
    kNetFeatureStatus = 1ull << 16,
};

inline constexpr u16 kVirtioNetDeviceId = 0x1041;

class VirtioNet {
public:
    static constexpr u16 kPreferredQueueSize = 128;
    static constexpr usize kBufferBytes = 2048;
    static constexpr usize kTransmitBuffers = 128;
    // virtio_net_hdr with VIRTIO_F_VERSION_1 (num_buffers included): 12 bytes before each frame.
    static constexpr usize kHeaderBytes = 12;
    // An Ethernet frame without FCS or VLAN tag.
    static constexpr usize kMaxFrame = 1514;

    // Initialises the device (reset, features, both queues, receive buffers posted).
    // Errors: Unsupported without VIRTIO_F_VERSION_1 or VIRTIO_NET_F_MAC, or when the device
    // refuses our features; Malformed for missing or too small queues; Io when it does not
    // reset; OutOfMemory without DMA memory. On failure the device is left FAILED.
    static Result<VirtioNet*> create(VirtioTransport& transport, DriverHost& host);
    ~VirtioNet();

    const u8 (&mac() const)[6] { return m_mac; }
    // The link state from the device (always up without VIRTIO_NET_F_STATUS).
    bool link_up();
    u64 negotiated_features() const { return m_features; }
    u16 receive_queue_size() const { return m_rx.size(); }

    // Queues one frame (copied) and notifies. OutOfMemory when every transmit buffer is still
    // with the device, Invalid for a frame larger than kMaxFrame, Io once the device failed.
    [[nodiscard]] Result<void> transmit(std::span<const u8> frame);
    // Hands up to `limit` received frames to `deliver(context, frame)` (valid during the
    // call only) and gives their buffers back to the device. Returns how many were handed on.
    using Deliver = void (*)(void* context, std::span<const u8> frame);
    [[nodiscard]] Result<usize> receive(usize limit, Deliver deliver, void* context);

    bool has_failed() const { return m_failed; }
    u64 frames_received() const { return m_frames_received; }
    u64 frames_sent() const { return m_frames_sent; }
    u64 receive_errors() const { return m_receive_errors; } // bad lengths from the device
    u64 transmit_ring_full() const { return m_transmit_full; }
    u64 notifications() const { return m_notifications; }

private:
    VirtioNet(VirtioTransport& transport, DriverHost& host)
        : m_transport(transport)
        , m_host(host)
    {
    }
    Result<void> initialize();
    Result<void> post_receive_buffer(u16 buffer);
    Result<void> reclaim_transmitted();
    Error fail(const char* message);
    u8* rx_buffer(u16 index) const { return m_dma.cpu + m_rx_offset + usize(index) * kBufferBytes; }
    u8* tx_buffer(u16 index) const { return m_dma.cpu + m_tx_offset + usize(index) * kBufferBytes; }

    VirtioTransport& m_transport;
    DriverHost& m_host;
    u64 m_features { 0 };
    u8 m_mac[6] {};
    DmaBuffer m_dma;
    SplitVirtqueue m_rx;
    SplitVirtqueue m_tx;
    usize m_rx_ring_offset { 0 };
    usize m_tx_ring_offset { 0 };
    usize m_rx_offset { 0 };
    usize m_tx_offset { 0 };
    u16 m_rx_buffers { 0 };
    // Which buffer each chain head in flight carries (the device names heads, not buffers).
    u16 m_rx_buffer_of_head[kMaxQueueSize] {};
    u16 m_tx_buffer_of_head[kMaxQueueSize] {};
    u16 m_tx_free[kTransmitBuffers] {};
    u16 m_tx_free_count { 0 };
    bool m_failed { false };
    u64 m_frames_received { 0 };
    u64 m_frames_sent { 0 };
    u64 m_receive_errors { 0 };
    u64 m_transmit_full { 0 };
    u64 m_notifications { 0 };
};

} // namespace wk::kernel::drivers::virtio
