#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "kernel/drivers/virtio/virtio_block.h"
#include "kernel/drivers/virtio/virtio_pci.h"
#include "tests/unit/drivers/fake_config_space.h"

namespace wk::kernel::drivers::virtio {
namespace {

// Host memory as DMA memory (device address = pointer) and a clock that advances 1 ms per
// polling round, so timeouts are exact and take no real time.
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
    u64 now_ns() override { return clock_ns; }
    void relax() override { clock_ns += 1'000'000; }

    u64 clock_ns { 0 };
    int live_buffers { 0 };
};

enum class Misbehaviour { None, NeverComplete, StrayUsedId, IoError };

// A virtio-blk device in memory: it serves requests when notified.
class FakeBlockDevice final : public VirtioTransport {
public:
    explicit FakeBlockDevice(u64 sectors)
        : disk(sectors * 512)
        , capacity(sectors)
    {
    }

    u64 device_features() override { return features; }
    void set_driver_features(u64 value) override { driver_features = value; }
    u8 status() override { return device_status; }
    void set_status(u8 value) override { device_status = value; }
    Result<void> reset() override
    {
        device_status = 0;
        enabled = false;
        ++resets;
        return {};
    }
    u16 queue_count() override { return 1; }
    u16 queue_max_size(u16 queue) override { return queue == 0 ? max_queue_size : 0; }
    Result<void> enable_queue(u16, u16 size, u64 descriptors, u64 available, u64 used) override
    {
        queue_size = size;
        descriptor_table = reinterpret_cast<Descriptor*>(descriptors);
        available_ring = reinterpret_cast<u16*>(available);
        used_ring = reinterpret_cast<u8*>(used);
        enabled = true;
        return {};
    }
    void notify(u16) override
    {
        ++notifications;
        if (misbehaviour == Misbehaviour::NeverComplete)
            return;
        while (seen_available != available_ring[1]) {
            u16 head = available_ring[2 + seen_available % queue_size];
            ++seen_available;
            serve(head);
        }
    }
    Result<u64> read_device_config(u32 offset, u32 width) override
    {
        if (offset == 0 && width == 8)
            return capacity;
        return Error::from("fake: no such configuration field", ErrorKind::OutOfRange);
    }
    u32 config_generation() override { return 0; }

    void serve(u16 head)
    {
        Descriptor* chain[4];
        usize length = 0;
        for (u16 at = head;; at = descriptor_table[at].next) {
            chain[length++] = &descriptor_table[at];
            if (!(descriptor_table[at].flags & kDescriptorNext) || length == 4)
                break;
        }
        u32 type, sector_low, sector_high;
        auto* header = reinterpret_cast<u8*>(chain[0]->address);
        std::memcpy(&type, header, 4);
        std::memcpy(&sector_low, header + 8, 4);
        std::memcpy(&sector_high, header + 12, 4);
        u64 sector = (u64(sector_high) << 32) | sector_low;
        auto* status = reinterpret_cast<u8*>(chain[length - 1]->address);
        u8 result = 0;
        if (type == 0 || type == 1) {
            auto* data = reinterpret_cast<u8*>(chain[1]->address);
            u64 bytes = chain[1]->length;
            if ((sector + bytes / 512) > capacity)
                result = 1;
            else if (type == 0)
                std::memcpy(data, disk.data() + sector * 512, bytes);
            else
                std::memcpy(disk.data() + sector * 512, data, bytes);
            ++data_requests;
        } else if (type == 4) {
            ++flushes;
        } else if (type == 8) {
            std::memcpy(reinterpret_cast<void*>(chain[1]->address), "fake-serial", 11);
        }
        *status = misbehaviour == Misbehaviour::IoError ? 1 : result;
        u32 id = misbehaviour == Misbehaviour::StrayUsedId ? head + 1 : head;
        u32 written = 1;
        u16 used_index;
        std::memcpy(&used_index, used_ring + 2, 2);
        std::memcpy(used_ring + 4 + 8 * (used_index % queue_size), &id, 4);
        std::memcpy(used_ring + 8 + 8 * (used_index % queue_size), &written, 4);
        ++used_index;
        std::memcpy(used_ring + 2, &used_index, 2);
    }

    std::vector<u8> disk;
    u64 capacity;
    u64 features { kFeatureVersion1 | kBlockFeatureFlush };
    u64 driver_features { 0 };
    u8 device_status { 0 };
    u16 max_queue_size { 256 };
    u16 queue_size { 0 };
    bool enabled { false };
    Descriptor* descriptor_table { nullptr };
    u16* available_ring { nullptr };
    u8* used_ring { nullptr };
    u16 seen_available { 0 };
    Misbehaviour misbehaviour { Misbehaviour::None };
    int notifications { 0 };
    int data_requests { 0 };
    int flushes { 0 };
    int resets { 0 };
};

constexpr u64 kTimeoutNs = 100'000'000;

TEST(VirtioBlock, WritesReadsAndBatches)
{
    FakeHost host;
    FakeBlockDevice device(4096);
    auto created = VirtioBlock::create(device, host, "vda", kTimeoutNs);
    ASSERT_TRUE(created) << created.error().message();
    VirtioBlock& block = **created;
    EXPECT_EQ(block.sector_count(), 4096u);
    EXPECT_EQ(block.queue_size(), VirtioBlock::kPreferredQueueSize);
    EXPECT_EQ(device.driver_features, kFeatureVersion1 | kBlockFeatureFlush);
    EXPECT_TRUE(device.enabled);
    EXPECT_TRUE(device.device_status & kStatusDriverOk);

    // 1 MiB from sector 3: 32 chunks of 32 KiB, 8 per notification.
    std::vector<u8> data(1 << 20);
    for (usize i = 0; i < data.size(); ++i)
        data[i] = static_cast<u8>(i * 7 + i / 512);
    ASSERT_TRUE(block.write_blocks(3, data));
    EXPECT_EQ(device.data_requests, 32);
    EXPECT_EQ(device.notifications, 4);
    EXPECT_EQ(std::memcmp(device.disk.data() + 3 * 512, data.data(), data.size()), 0);
    EXPECT_EQ(device.disk[3 * 512 - 1], 0) << "nothing before the range";

    std::vector<u8> back(5 * 512);
    ASSERT_TRUE(block.read_blocks(10, back));
    EXPECT_EQ(std::memcmp(back.data(), data.data() + 7 * 512, back.size()), 0);

    ASSERT_TRUE(block.flush());
    EXPECT_EQ(device.flushes, 1);
    char id[VirtioBlock::kIdBytes];
    auto id_length = block.read_id(id);
    ASSERT_TRUE(id_length);
    EXPECT_EQ(std::string_view(id, *id_length), "fake-serial");
    delete &block;
    EXPECT_EQ(host.live_buffers, 0);
}

TEST(VirtioBlock, RequestsBeyondCapacityAreRefusedBeforeTheDevice)
{
    FakeHost host;
    FakeBlockDevice device(100);
    VirtioBlock& block = *VirtioBlock::create(device, host, "vda", kTimeoutNs).value();
    std::vector<u8> buffer(2 * 512);
    int before = device.notifications;
    auto past = block.write_blocks(99, buffer);
    ASSERT_FALSE(past);
    EXPECT_EQ(past.error().kind(), ErrorKind::OutOfRange);
    EXPECT_FALSE(block.read_blocks(~u64 { 0 }, buffer)) << "no overflow into range";
    std::vector<u8> partial(100);
    EXPECT_FALSE(block.read_blocks(0, partial)) << "not whole sectors";
    EXPECT_EQ(device.notifications, before);
    EXPECT_TRUE(block.read_blocks(98, buffer));
    delete &block;
}

TEST(VirtioBlock, AbsurdDevicesAreRefused)
{
    FakeHost host;
    FakeBlockDevice huge(1);
    huge.capacity = 1ull << 60;
    auto refused = VirtioBlock::create(huge, host, "vda", kTimeoutNs);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind(), ErrorKind::Malformed);
    EXPECT_TRUE(huge.device_status & kStatusFailed);

    for (u16 size : { 0, 1, 2, 3 }) {
        FakeBlockDevice tiny(8);
        tiny.max_queue_size = size;
        EXPECT_FALSE(VirtioBlock::create(tiny, host, "vda", kTimeoutNs)) << size;
    }
    FakeBlockDevice odd(8);
    odd.max_queue_size = 65535; // not a power of two and huge: we choose 128
    auto clamped = VirtioBlock::create(odd, host, "vda", kTimeoutNs);
    ASSERT_TRUE(clamped);
    EXPECT_EQ((*clamped)->queue_size(), 128);
    delete *clamped;
    FakeBlockDevice small(8);
    small.max_queue_size = 6;
    auto four = VirtioBlock::create(small, host, "vda", kTimeoutNs);
    ASSERT_TRUE(four);
    EXPECT_EQ((*four)->queue_size(), 4);
    EXPECT_EQ((*four)->max_batch(), 1u);
    std::vector<u8> buffer(512);
    EXPECT_TRUE((*four)->write_blocks(7, buffer));
    delete *four;

    FakeBlockDevice legacy(8);
    legacy.features = kBlockFeatureFlush;
    auto no_version = VirtioBlock::create(legacy, host, "vda", kTimeoutNs);
    ASSERT_FALSE(no_version);
    EXPECT_EQ(no_version.error().kind(), ErrorKind::Unsupported);
    EXPECT_EQ(host.live_buffers, 0);
}

TEST(VirtioBlock, ADeviceThatNeverCompletesTimesOut)
{
    FakeHost host;
    FakeBlockDevice device(64);
    VirtioBlock& block = *VirtioBlock::create(device, host, "vda", kTimeoutNs).value();
    device.misbehaviour = Misbehaviour::NeverComplete;
    std::vector<u8> buffer(512);
    u64 start = host.clock_ns;
    auto result = block.read_blocks(0, buffer);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().kind(), ErrorKind::Io);
    EXPECT_GE(host.clock_ns - start, kTimeoutNs);
    EXPECT_LE(host.clock_ns - start, kTimeoutNs + 2'000'000);
    EXPECT_TRUE(block.has_failed());
    EXPECT_TRUE(device.device_status & kStatusFailed);
    // Later requests fail at once, without waiting again.
    int notifications = device.notifications;
    u64 clock = host.clock_ns;
    EXPECT_FALSE(block.write_blocks(0, buffer));
    EXPECT_FALSE(block.flush());
    EXPECT_EQ(device.notifications, notifications);
    EXPECT_EQ(host.clock_ns, clock);
    delete &block;
}

TEST(VirtioBlock, StrayCompletionsAndDeviceErrorsAreErrors)
{
    FakeHost host;
    FakeBlockDevice stray(64);
    VirtioBlock& block = *VirtioBlock::create(stray, host, "vda", kTimeoutNs).value();
    stray.misbehaviour = Misbehaviour::StrayUsedId;
    std::vector<u8> buffer(512);
    auto result = block.read_blocks(0, buffer);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().kind(), ErrorKind::Io);
    EXPECT_TRUE(block.has_failed());
    delete &block;

    FakeBlockDevice failing(64);
    VirtioBlock& second = *VirtioBlock::create(failing, host, "vda", kTimeoutNs).value();
    failing.misbehaviour = Misbehaviour::IoError;
    auto io = second.write_blocks(0, buffer);
    ASSERT_FALSE(io);
    EXPECT_EQ(io.error().kind(), ErrorKind::Io);
    EXPECT_FALSE(second.has_failed()) << "a device error is not a broken queue";
    failing.misbehaviour = Misbehaviour::None;
    EXPECT_TRUE(second.write_blocks(0, buffer));
    delete &second;
}

TEST(VirtioBlock, ReadOnlyDevicesRefuseWrites)
{
    FakeHost host;
    FakeBlockDevice device(64);
    device.features |= kBlockFeatureReadOnly;
    VirtioBlock& block = *VirtioBlock::create(device, host, "vda", kTimeoutNs).value();
    std::vector<u8> buffer(512);
    auto result = block.write_blocks(0, buffer);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().kind(), ErrorKind::Unsupported);
    EXPECT_TRUE(block.read_blocks(0, buffer));
    delete &block;
}

// The virtio PCI capabilities as QEMU lays them out: common, ISR, device, notify in BAR 4.
pci::testing::FakeConfigSpace virtio_config()
{
    pci::testing::FakeConfigSpace config;
    config.link_capabilities({ { 0x09, 0x84 }, { 0x09, 0x70 }, { 0x09, 0x60 }, { 0x09, 0x40 }, { 0x11, 0x98 } });
    auto cap = [&](u8 at, u8 length, u8 type, u32 offset, u32 size) {
        config.put8(at + 2, length);
        config.put8(at + 3, type);
        config.put8(at + 4, 4);
        config.put32(at + 8, offset);
        config.put32(at + 12, size);
    };
    cap(0x84, 16, 1, 0x0000, 0x1000);
    cap(0x70, 16, 3, 0x1000, 0x1000);
    cap(0x60, 16, 4, 0x2000, 0x1000);
    cap(0x40, 20, 2, 0x3000, 0x1000);
    config.put32(0x40 + 16, 4);
    config.memory_bar(4, 0xFE000000, 0x4000, true, true);
    return config;
}

TEST(VirtioPci, CapabilitiesAreFoundAndChecked)
{
    auto config = virtio_config();
    auto parsed = parse_virtio_capabilities(config);
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(parsed->common.offset, 0u);
    EXPECT_EQ(parsed->notify.offset, 0x3000u);
    EXPECT_EQ(parsed->notify_multiplier, 4u);
    EXPECT_EQ(parsed->device.offset, 0x2000u);
    EXPECT_EQ(parsed->isr.bar, 4);
    pci::Bar bars[6];
    bars[4] = *pci::decode_bar(config, 4);
    EXPECT_TRUE(check_virtio_regions(*parsed, bars));
    bars[4].size = 0x2000; // the notify region would run past it
    EXPECT_FALSE(check_virtio_regions(*parsed, bars));
    bars[4] = pci::Bar {};
    EXPECT_FALSE(check_virtio_regions(*parsed, bars)) << "not a memory BAR";
}

TEST(VirtioPci, HostileCapabilitiesAreRefused)
{
    auto bad_bar = virtio_config();
    bad_bar.put8(0x84 + 4, 7);
    EXPECT_FALSE(parse_virtio_capabilities(bad_bar));

    auto short_notify = virtio_config();
    short_notify.put8(0x40 + 2, 16);
    EXPECT_FALSE(parse_virtio_capabilities(short_notify));

    auto no_notify = virtio_config();
    no_notify.put8(0x40 + 3, 5); // PCI configuration access instead
    EXPECT_FALSE(parse_virtio_capabilities(no_notify));

    auto wrapping = virtio_config();
    wrapping.put32(0x84 + 8, 0xFFFFF000);
    EXPECT_FALSE(parse_virtio_capabilities(wrapping));
}

} // namespace
} // namespace wk::kernel::drivers::virtio
