#include "kernel/drivers/virtio/virtio_net.h"

#include <new>

namespace wk::kernel::drivers::virtio {

namespace {

constexpr u64 kAcceptedFeatures = kFeatureVersion1 | kNetFeatureMac | kNetFeatureStatus;
constexpr u32 kConfigMac = 0;
constexpr u32 kConfigStatus = 6;
constexpr u16 kStatusLinkUp = 1;
constexpr u16 kReceiveQueue = 0;
constexpr u16 kTransmitQueue = 1;
constexpr usize kPage = 4096;

usize page_round(usize value) { return (value + kPage - 1) & ~(kPage - 1); }

u16 queue_size_for(u16 max_size, u16 preferred)
{
    u16 size = max_size < preferred ? max_size : preferred;
    return size == 0 ? 0 : static_cast<u16>(1u << (31 - __builtin_clz(size)));
}

} // namespace

Result<VirtioNet*> VirtioNet::create(VirtioTransport& transport, DriverHost& host)
{
    auto* device = new (std::nothrow) VirtioNet(transport, host);
    if (!device)
        return Error::from("no memory for a virtio-net device", ErrorKind::OutOfMemory);
    if (auto result = device->initialize(); !result) {
        transport.set_status(transport.status() | kStatusFailed);
        delete device;
        return result.error();
    }
    return device;
}

VirtioNet::~VirtioNet()
{
    if (!m_dma.cpu)
        return;
    // NOTE: as for virtio-blk: a device that does not reset keeps its buffers (leaked rather
    // than reused while it may still write them).
    if (m_transport.reset())
        m_host.free_dma(m_dma);
}

Result<void> VirtioNet::initialize()
{
    TRY(m_transport.reset());
    m_transport.set_status(kStatusAcknowledge);
    m_transport.set_status(kStatusAcknowledge | kStatusDriver);
    u64 offered = m_transport.device_features();
    if (!(offered & kFeatureVersion1))
        return Error::from("virtio-net device without VIRTIO_F_VERSION_1 (legacy only)", ErrorKind::Unsupported);
    if (!(offered & kNetFeatureMac))
        return Error::from("virtio-net device without a MAC address", ErrorKind::Unsupported);
    m_features = offered & kAcceptedFeatures;
    m_transport.set_driver_features(m_features);
    m_transport.set_status(kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk);
    if (!(m_transport.status() & kStatusFeaturesOk))
        return Error::from("virtio-net device refused the features", ErrorKind::Unsupported);
    for (u32 i = 0; i < 6; ++i)
        m_mac[i] = static_cast<u8>(TRY(m_transport.read_device_config(kConfigMac + i, 1)));

    if (m_transport.queue_count() < 2)
        return Error::malformed("virtio-net device without receive and transmit queues");
    u16 rx_size = queue_size_for(m_transport.queue_max_size(kReceiveQueue), kPreferredQueueSize);
    u16 tx_size = queue_size_for(m_transport.queue_max_size(kTransmitQueue), kPreferredQueueSize);
    if (rx_size < 2 || tx_size < 2)
        return Error::malformed("virtio-net queues missing or too small");
    auto rx_layout = *SplitRingLayout::for_size(rx_size);
    auto tx_layout = *SplitRingLayout::for_size(tx_size);
    m_rx_buffers = rx_size;
    u16 tx_buffers = tx_size < kTransmitBuffers ? tx_size : kTransmitBuffers;

    m_rx_ring_offset = 0;
    m_tx_ring_offset = page_round(rx_layout.total_bytes);
    m_rx_offset = m_tx_ring_offset + page_round(tx_layout.total_bytes);
    m_tx_offset = m_rx_offset + usize(m_rx_buffers) * kBufferBytes;
    m_dma = TRY(m_host.allocate_dma(m_tx_offset + usize(tx_buffers) * kBufferBytes));
    m_rx.initialize(rx_layout, m_dma.cpu + m_rx_ring_offset, m_dma.device_address + m_rx_ring_offset);
    m_tx.initialize(tx_layout, m_dma.cpu + m_tx_ring_offset, m_dma.device_address + m_tx_ring_offset);
    for (u16 i = 0; i < tx_buffers; ++i)
        m_tx_free[i] = i;
    m_tx_free_count = tx_buffers;

    auto enable = [&](u16 queue, const SplitVirtqueue& ring) {
        return m_transport.enable_queue(queue, ring.size(), ring.descriptor_table_address(), ring.available_ring_address(),
                                        ring.used_ring_address());
    };
    if (!enable(kReceiveQueue, m_rx) || !enable(kTransmitQueue, m_tx))
        return fail("virtio-net queues not enabled");
    for (u16 i = 0; i < m_rx_buffers; ++i)
        TRY(post_receive_buffer(i));
    m_rx.publish();
    m_transport.set_status(kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk | kStatusDriverOk);
    if (m_transport.status() & (kStatusFailed | kStatusNeedsReset))
        return fail("virtio-net device failed at start");
    // Buffers posted before DRIVER_OK are announced now (virtio 1.2, 3.1.1: the driver may
    // notify only once the device is live).
    m_transport.notify(kReceiveQueue);
    ++m_notifications;
    return {};
}

Error VirtioNet::fail(const char* message)
{
    // NOTE: as for virtio-blk: the queues cannot be trusted again; resetting stops the
    // device's DMA and the driver refuses every later call.
    m_failed = true;
    (void)m_transport.reset();
    m_transport.set_status(kStatusFailed);
    return Error::from(message, ErrorKind::Io);
}

bool VirtioNet::link_up()
{
    if (!(m_features & kNetFeatureStatus))
        return true;
    auto status = m_transport.read_device_config(kConfigStatus, 2);
    return status && (*status & kStatusLinkUp);
}

Result<void> VirtioNet::post_receive_buffer(u16 buffer)
{
    Segment segment { m_dma.device_address + m_rx_offset + usize(buffer) * kBufferBytes, static_cast<u32>(kBufferBytes), true };
    u16 head = TRY(m_rx.add_chain({ &segment, 1 }));
    m_rx_buffer_of_head[head] = buffer;
    return {};
}

Result<usize> VirtioNet::receive(usize limit, Deliver deliver, void* context)
{
    if (m_failed)
        return Error::from("virtio-net device failed earlier", ErrorKind::Io);
    usize delivered = 0;
    usize reposted = 0;
    while (delivered < limit) {
        auto completion = m_rx.take_used();
        if (!completion)
            return fail(completion.error().message());
        if (!*completion)
            break;
        u16 buffer = m_rx_buffer_of_head[(*completion)->head];
        u32 written = (*completion)->written;
        if (written < kHeaderBytes || written > kBufferBytes || written - kHeaderBytes > kMaxFrame) {
            ++m_receive_errors;
        } else {
            ++m_frames_received;
            ++delivered;
            deliver(context, { rx_buffer(buffer) + kHeaderBytes, written - kHeaderBytes });
        }
        TRY(post_receive_buffer(buffer));
        ++reposted;
    }
    if (reposted) {
        m_rx.publish();
        m_transport.notify(kReceiveQueue);
        ++m_notifications;
    }
    return delivered;
}

Result<void> VirtioNet::reclaim_transmitted()
{
    for (;;) {
        auto completion = m_tx.take_used();
        if (!completion)
            return fail(completion.error().message());
        if (!*completion)
            return {};
        m_tx_free[m_tx_free_count++] = m_tx_buffer_of_head[(*completion)->head];
    }
}

Result<void> VirtioNet::transmit(std::span<const u8> frame)
{
    if (m_failed)
        return Error::from("virtio-net device failed earlier", ErrorKind::Io);
    if (frame.size() > kMaxFrame || frame.empty())
        return Error::from("frame larger than the Ethernet MTU", ErrorKind::Invalid);
    TRY(reclaim_transmitted());
    if (m_tx_free_count == 0) {
        ++m_transmit_full;
        return Error::from("virtio-net transmit ring full", ErrorKind::OutOfMemory);
    }
    u16 buffer = m_tx_free[--m_tx_free_count];
    u8* data = tx_buffer(buffer);
    __builtin_memset(data, 0, kHeaderBytes); // no checksum offload, no segmentation
    __builtin_memcpy(data + kHeaderBytes, frame.data(), frame.size());
    Segment segment { m_dma.device_address + m_tx_offset + usize(buffer) * kBufferBytes,
                      static_cast<u32>(kHeaderBytes + frame.size()), false };
    auto head = m_tx.add_chain({ &segment, 1 });
    if (!head) {
        m_tx_free[m_tx_free_count++] = buffer;
        ++m_transmit_full;
        return head.error();
    }
    m_tx_buffer_of_head[*head] = buffer;
    m_tx.publish();
    m_transport.notify(kTransmitQueue);
    ++m_notifications;
    ++m_frames_sent;
    return {};
}

} // namespace wk::kernel::drivers::virtio
