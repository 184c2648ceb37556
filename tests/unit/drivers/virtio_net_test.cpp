#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "kernel/drivers/virtio/virtio_net.h"

namespace wk::kernel::drivers::virtio {
namespace {

class FakeHost final : public DriverHost {
public:
    Result<DmaBuffer> allocate_dma(usize size) override
    {
        usize rounded = (size + 4095) & ~usize { 4095 };
        void* memory = std::aligned_alloc(4096, rounded);
        std::memset(memory, 0, rounded);
        ++live_buffers;
        return DmaBuffer { static_cast<u8*>(memory), reinterpret_cast<u64>(memory), rounded };
    }
    void free_dma(const DmaBuffer& buffer) override
    {
        std::free(buffer.cpu);
        --live_buffers;
    }
    u64 now_ns() override { return 0; }
    void relax() override { }
    int live_buffers { 0 };
};

// A virtio-net device in memory with two queues: the test injects received frames into the
// posted buffers; transmitted frames are collected when the driver notifies queue 1 (or left
// in flight while `hold_transmits`).
class FakeNetDevice final : public VirtioTransport {
public:
    struct Queue {
        u16 size { 0 };
        Descriptor* descriptors { nullptr };
        u16* available { nullptr };
        u8* used { nullptr };
        u16 seen { 0 };
    };

    u64 device_features() override { return features; }
    void set_driver_features(u64 value) override { driver_features = value; }
    u8 status() override { return device_status; }
    void set_status(u8 value) override { device_status = value; }
    Result<void> reset() override
    {
        device_status = 0;
        ++resets;
        return {};
    }
    u16 queue_count() override { return 2; }
    u16 queue_max_size(u16 queue) override { return queue < 2 ? max_queue_size : 0; }
    Result<void> enable_queue(u16 queue, u16 size, u64 descriptors, u64 available, u64 used) override
    {
        queues[queue] = Queue { size, reinterpret_cast<Descriptor*>(descriptors), reinterpret_cast<u16*>(available),
                                reinterpret_cast<u8*>(used), 0 };
        return {};
    }
    void notify(u16 queue) override
    {
        ++notified[queue];
        if (queue != 1 || hold_transmits)
            return;
        complete_transmits();
    }
    Result<u64> read_device_config(u32 offset, u32 width) override
    {
        if (offset < 6 && width == 1)
            return mac[offset];
        if (offset == 6 && width == 2)
            return link;
        return Error::from("fake: no such configuration field", ErrorKind::OutOfRange);
    }
    u32 config_generation() override { return 0; }

    void complete_transmits()
    {
        Queue& q = queues[1];
        while (q.seen != q.available[1]) {
            u16 head = q.available[2 + q.seen % q.size];
            ++q.seen;
            Descriptor& d = q.descriptors[head];
            auto* bytes = reinterpret_cast<u8*>(d.address);
            sent.emplace_back(bytes + 12, bytes + d.length);
            push_used(q, head, 0);
        }
    }
    void push_used(Queue& q, u32 id, u32 written)
    {
        u16 index;
        std::memcpy(&index, q.used + 2, 2);
        std::memcpy(q.used + 4 + 8 * (index % q.size), &id, 4);
        std::memcpy(q.used + 8 + 8 * (index % q.size), &written, 4);
        ++index;
        std::memcpy(q.used + 2, &index, 2);
    }
    // Puts `frame` into the next posted receive buffer; `claimed` overrides the length the
    // device reports (header included).
    bool inject(const std::vector<u8>& frame, std::optional<u32> claimed = {}, std::optional<u32> id = {})
    {
        Queue& q = queues[0];
        if (q.seen == q.available[1])
            return false;
        u16 head = q.available[2 + q.seen % q.size];
        ++q.seen;
        Descriptor& d = q.descriptors[head];
        if (!(d.flags & kDescriptorDeviceWrites) || d.length < 12 + frame.size())
            return false;
        auto* bytes = reinterpret_cast<u8*>(d.address);
        std::memset(bytes, 0, 12);
        std::memcpy(bytes + 12, frame.data(), frame.size());
        push_used(q, id.value_or(head), claimed.value_or(static_cast<u32>(12 + frame.size())));
        return true;
    }

    u64 features { kFeatureVersion1 | kNetFeatureMac | kNetFeatureStatus | (1ull << 0) /* CSUM, refused */ };
    u64 driver_features { 0 };
    u8 device_status { 0 };
    u16 max_queue_size { 256 };
    u8 mac[6] { 0x52, 0x54, 0x00, 0xAB, 0xCD, 0xEF };
    u16 link { 1 };
    Queue queues[2];
    int notified[2] {};
    int resets { 0 };
    bool hold_transmits { false };
    std::vector<std::vector<u8>> sent;
};

struct Received {
    std::vector<std::vector<u8>> frames;
    static void deliver(void* context, std::span<const u8> frame)
    {
        static_cast<Received*>(context)->frames.emplace_back(frame.begin(), frame.end());
    }
};

std::vector<u8> frame_of(usize size, u8 seed)
{
    std::vector<u8> frame(size);
    for (usize i = 0; i < size; ++i)
        frame[i] = static_cast<u8>(seed + i);
    return frame;
}

TEST(VirtioNet, NegotiatesAndReadsTheMac)
{
    FakeNetDevice device;
    FakeHost host;
    auto net = VirtioNet::create(device, host);
    ASSERT_TRUE(net) << net.error().message();
    EXPECT_EQ((*net)->negotiated_features(), kFeatureVersion1 | kNetFeatureMac | kNetFeatureStatus);
    EXPECT_EQ(std::memcmp((*net)->mac(), device.mac, 6), 0);
    EXPECT_TRUE(device.device_status & kStatusDriverOk);
    EXPECT_EQ((*net)->receive_queue_size(), VirtioNet::kPreferredQueueSize);
    // The whole receive ring is posted.
    EXPECT_EQ(device.queues[0].available[1], VirtioNet::kPreferredQueueSize);
    EXPECT_TRUE((*net)->link_up());
    device.link = 0;
    EXPECT_FALSE((*net)->link_up());
    delete *net;
    EXPECT_EQ(host.live_buffers, 0);
}

TEST(VirtioNet, RefusesDevicesWithoutMacOrVersion1)
{
    FakeHost host;
    FakeNetDevice no_mac;
    no_mac.features = kFeatureVersion1;
    EXPECT_FALSE(VirtioNet::create(no_mac, host));
    EXPECT_TRUE(no_mac.device_status & kStatusFailed);
    FakeNetDevice legacy;
    legacy.features = kNetFeatureMac;
    EXPECT_FALSE(VirtioNet::create(legacy, host));
    FakeNetDevice tiny;
    tiny.max_queue_size = 1;
    EXPECT_FALSE(VirtioNet::create(tiny, host));
    EXPECT_EQ(host.live_buffers, 0);
}

TEST(VirtioNet, ReceivesFramesAndKeepsTheRingFull)
{
    FakeNetDevice device;
    FakeHost host;
    auto* net = *VirtioNet::create(device, host);
    Received received;
    // More frames than the ring holds, in rounds: buffers must come back.
    for (int round = 0; round < 5; ++round) {
        for (int i = 0; i < 100; ++i)
            ASSERT_TRUE(device.inject(frame_of(60 + i, static_cast<u8>(i))));
        auto count = net->receive(1000, Received::deliver, &received);
        ASSERT_TRUE(count);
        EXPECT_EQ(*count, 100u);
    }
    ASSERT_EQ(received.frames.size(), 500u);
    EXPECT_EQ(received.frames[499], frame_of(159, 99));
    EXPECT_EQ(net->frames_received(), 500u);
    // The limit is honoured; the rest waits for the next call.
    for (int i = 0; i < 10; ++i)
        device.inject(frame_of(64, 1));
    EXPECT_EQ(*net->receive(4, Received::deliver, &received), 4u);
    EXPECT_EQ(*net->receive(100, Received::deliver, &received), 6u);
    delete net;
}

TEST(VirtioNet, DropsFramesWithLengthsOutsideTheirBuffer)
{
    FakeNetDevice device;
    FakeHost host;
    auto* net = *VirtioNet::create(device, host);
    Received received;
    device.inject(frame_of(60, 0), 5u);                          // shorter than the header
    device.inject(frame_of(60, 0), u32(VirtioNet::kBufferBytes + 1)); // past the buffer
    device.inject(frame_of(60, 0), 0xFFFFFFFFu);
    device.inject(frame_of(60, 0), u32(12 + VirtioNet::kMaxFrame + 1));
    device.inject(frame_of(60, 0));
    EXPECT_EQ(*net->receive(100, Received::deliver, &received), 1u);
    EXPECT_EQ(net->receive_errors(), 4u);
    EXPECT_FALSE(net->has_failed());
    delete net;
}

TEST(VirtioNet, FailsOnAStrayUsedId)
{
    FakeNetDevice device;
    FakeHost host;
    auto* net = *VirtioNet::create(device, host);
    device.max_queue_size = 256;
    Received received;
    device.inject(frame_of(60, 0), {}, 999u);
    EXPECT_FALSE(net->receive(100, Received::deliver, &received));
    EXPECT_TRUE(net->has_failed());
    EXPECT_FALSE(net->transmit(frame_of(60, 0)));
    delete net;
}

TEST(VirtioNet, TransmitsAndReclaimsBuffers)
{
    FakeNetDevice device;
    FakeHost host;
    auto* net = *VirtioNet::create(device, host);
    for (int i = 0; i < 200; ++i)
        ASSERT_TRUE(net->transmit(frame_of(60 + i, static_cast<u8>(i))));
    ASSERT_EQ(device.sent.size(), 200u);
    EXPECT_EQ(device.sent[150], frame_of(210, 150));
    EXPECT_FALSE(net->transmit(frame_of(VirtioNet::kMaxFrame + 1, 0)));

    // While the device holds every buffer, transmit says so instead of overwriting one.
    device.hold_transmits = true;
    usize accepted = 0;
    while (net->transmit(frame_of(60, 0)))
        ++accepted;
    EXPECT_EQ(accepted, VirtioNet::kTransmitBuffers);
    EXPECT_EQ(net->transmit_ring_full(), 1u);
    device.complete_transmits();
    EXPECT_TRUE(net->transmit(frame_of(60, 0)));
    delete net;
    EXPECT_EQ(host.live_buffers, 0);
}

} // namespace
} // namespace wk::kernel::drivers::virtio
