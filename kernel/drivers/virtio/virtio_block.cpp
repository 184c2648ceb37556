#include "kernel/drivers/virtio/virtio_block.h"

#include <new>

namespace wk::kernel::drivers::virtio {

namespace {

enum RequestType : u32 {
    kRequestIn = 0,
    kRequestOut = 1,
    kRequestFlush = 4,
    kRequestGetId = 8,
};
enum RequestStatus : u8 {
    kStatusOk = 0,
    kStatusIoError = 1,
    kStatusUnsupported = 2,
    kStatusPending = 0xFF, // ours: not yet written by the device
};

struct [[gnu::packed]] RequestHeader {
    u32 type;
    u32 reserved;
    u64 sector;
};
static_assert(sizeof(RequestHeader) == 16);

constexpr u64 kAcceptedFeatures = kFeatureVersion1 | kBlockFeatureFlush | kBlockFeatureReadOnly | kBlockFeatureSizeMax;
constexpr u32 kConfigCapacity = 0;
constexpr u32 kConfigSizeMax = 8;
constexpr usize kPage = 4096;

usize page_round(usize value) { return (value + kPage - 1) & ~(kPage - 1); }

} // namespace

Result<VirtioBlock*> VirtioBlock::create(VirtioTransport& transport, DriverHost& host, std::string_view name, u64 timeout_ns)
{
    auto* device = new (std::nothrow) VirtioBlock(transport, host, timeout_ns);
    if (!device)
        return Error::from("no memory for a virtio-blk device", ErrorKind::OutOfMemory);
    device->m_name_length = name.size() < sizeof(device->m_name) ? name.size() : sizeof(device->m_name);
    __builtin_memcpy(device->m_name, name.data(), device->m_name_length);
    if (auto result = device->initialize(); !result) {
        transport.set_status(transport.status() | kStatusFailed);
        delete device;
        return result.error();
    }
    return device;
}

VirtioBlock::~VirtioBlock()
{
    if (!m_dma.cpu)
        return;
    // NOTE: the device must not touch the buffer once it is freed: reset it first. A device
    // that does not reset keeps its buffer forever (leaked rather than reused under DMA).
    if (m_transport.reset())
        m_host.free_dma(m_dma);
}

Result<u64> VirtioBlock::read_capacity()
{
    // The generation counter changes while the device updates its configuration; read until
    // two readings agree (a few times at most).
    for (int attempt = 0; attempt < 8; ++attempt) {
        u32 before = m_transport.config_generation();
        u64 capacity = TRY(m_transport.read_device_config(kConfigCapacity, 8));
        if (m_transport.config_generation() == before)
            return capacity;
    }
    return Error::malformed("virtio-blk configuration keeps changing");
}

Result<void> VirtioBlock::initialize()
{
    TRY(m_transport.reset());
    m_transport.set_status(kStatusAcknowledge);
    m_transport.set_status(kStatusAcknowledge | kStatusDriver);
    u64 offered = m_transport.device_features();
    if (!(offered & kFeatureVersion1))
        return Error::from("virtio-blk device without VIRTIO_F_VERSION_1 (legacy only)", ErrorKind::Unsupported);
    m_features = offered & kAcceptedFeatures;
    m_transport.set_driver_features(m_features);
    m_transport.set_status(kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk);
    if (!(m_transport.status() & kStatusFeaturesOk))
        return Error::from("virtio-blk device refused the features", ErrorKind::Unsupported);

    m_sectors = TRY(read_capacity());
    if (m_sectors > kMaxSectors)
        return Error::malformed("virtio-blk capacity is absurd (over 2^48 sectors)");
    if (m_features & kBlockFeatureSizeMax) {
        u64 size_max = TRY(m_transport.read_device_config(kConfigSizeMax, 4));
        if (size_max < kSectorSize)
            return Error::from("virtio-blk segments smaller than a sector", ErrorKind::Unsupported);
        if (size_max < m_chunk_bytes)
            m_chunk_bytes = size_max & ~(kSectorSize - 1);
    }

    if (m_transport.queue_count() == 0)
        return Error::malformed("virtio-blk device has no queues");
    u16 max_size = m_transport.queue_max_size(0);
    if (max_size == 0)
        return Error::malformed("virtio-blk request queue is not available");
    u16 size = max_size < kPreferredQueueSize ? max_size : kPreferredQueueSize;
    // A split queue's size is a power of two; the driver may choose any size up to the maximum.
    size = static_cast<u16>(1u << (31 - __builtin_clz(size)));
    // A request takes 3 descriptors.
    if (size < 4)
        return Error::malformed("virtio-blk request queue too small");
    m_max_batch = size / 3 < kMaxBatch ? size / 3 : kMaxBatch;
    auto layout = *SplitRingLayout::for_size(size);

    usize ring_bytes = page_round(layout.total_bytes);
    m_headers_offset = ring_bytes;
    m_status_offset = m_headers_offset + kMaxBatch * sizeof(RequestHeader);
    m_id_offset = m_status_offset + kMaxBatch;
    m_data_offset = page_round(m_id_offset + kIdBytes);
    m_dma = TRY(m_host.allocate_dma(m_data_offset + kMaxBatch * m_chunk_bytes));
    m_queue.initialize(layout, m_dma.cpu, m_dma.device_address);
    if (auto enabled = m_transport.enable_queue(0, size, m_queue.descriptor_table_address(), m_queue.available_ring_address(),
                                                m_queue.used_ring_address());
        !enabled) {
        if (m_transport.reset())
            m_host.free_dma(m_dma);
        m_dma = {};
        return enabled.error();
    }
    m_transport.set_status(kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk | kStatusDriverOk);
    if (m_transport.status() & (kStatusFailed | kStatusNeedsReset))
        return fail("virtio-blk device failed at start");
    return {};
}

Result<void> VirtioBlock::fail(const char* message)
{
    // NOTE: a device that timed out or wrote nonsense into the used ring may still own
    // descriptors; the queue cannot be trusted again. Resetting stops its DMA; the device
    // stays unusable until a new driver instance initialises it.
    m_failed = true;
    (void)m_transport.reset();
    m_transport.set_status(kStatusFailed);
    return Error::from(message, ErrorKind::Io);
}

Result<void> VirtioBlock::submit_and_wait(usize count)
{
    m_queue.publish();
    m_transport.notify(0);
    ++m_notifications;
    m_requests += count;
    usize pending = count;
    u64 start = m_host.now_ns();
    while (pending > 0) {
        auto completion = m_queue.take_used();
        if (!completion)
            return fail(completion.error().message());
        if (!*completion) {
            if (m_host.now_ns() - start > m_timeout_ns)
                return fail("virtio-blk request timed out");
            m_host.relax();
            continue;
        }
        usize slot = 0;
        while (slot < count && (m_slots[slot].head != (*completion)->head || m_slots[slot].done))
            ++slot;
        if (slot == count)
            return fail("virtio-blk device completed a chain of another batch");
        m_slots[slot].done = true;
        --pending;
    }
    return {};
}

Result<void> VirtioBlock::transfer(bool read, u64 sector, u8* in, const u8* out, u64 bytes)
{
    if (m_failed)
        return Error::from("virtio-blk device failed earlier", ErrorKind::Io);
    auto* headers = reinterpret_cast<RequestHeader*>(m_dma.cpu + m_headers_offset);
    u8* statuses = m_dma.cpu + m_status_offset;
    while (bytes > 0) {
        usize count = 0;
        u64 batch_bytes = 0;
        while (count < m_max_batch && batch_bytes < bytes) {
            u64 chunk = bytes - batch_bytes < m_chunk_bytes ? bytes - batch_bytes : m_chunk_bytes;
            usize data_offset = m_data_offset + count * m_chunk_bytes;
            headers[count] = RequestHeader { read ? kRequestIn : kRequestOut, 0, sector + (batch_bytes >> kSectorShift) };
            statuses[count] = kStatusPending;
            if (!read)
                __builtin_memcpy(m_dma.cpu + data_offset, out + batch_bytes, chunk);
            Segment chain[] = {
                { m_dma.device_address + m_headers_offset + count * sizeof(RequestHeader), sizeof(RequestHeader), false },
                { m_dma.device_address + data_offset, static_cast<u32>(chunk), read },
                { m_dma.device_address + m_status_offset + count, 1, true },
            };
            u16 head = TRY(m_queue.add_chain(chain));
            m_slots[count] = Slot { head, false };
            batch_bytes += chunk;
            ++count;
        }
        TRY(submit_and_wait(count));
        for (usize i = 0; i < count; ++i) {
            u8 status = static_cast<volatile u8*>(statuses)[i];
            if (status != kStatusOk)
                return Error::from(status == kStatusUnsupported ? "virtio-blk request unsupported" : "virtio-blk I/O error",
                                   ErrorKind::Io);
        }
        if (read)
            __builtin_memcpy(in, m_dma.cpu + m_data_offset, batch_bytes);
        if (read)
            in += batch_bytes;
        else
            out += batch_bytes;
        sector += batch_bytes >> kSectorShift;
        bytes -= batch_bytes;
    }
    return {};
}

Result<void> VirtioBlock::read_blocks(u64 first, std::span<u8> buffer)
{
    TRY(check_block_range(first, buffer.size(), m_sectors));
    return transfer(true, first, buffer.data(), nullptr, buffer.size());
}

Result<void> VirtioBlock::write_blocks(u64 first, std::span<const u8> buffer)
{
    TRY(check_block_range(first, buffer.size(), m_sectors));
    if (is_read_only())
        return Error::from("virtio-blk device is read-only", ErrorKind::Unsupported);
    return transfer(false, first, nullptr, buffer.data(), buffer.size());
}

Result<void> VirtioBlock::flush()
{
    if (m_failed)
        return Error::from("virtio-blk device failed earlier", ErrorKind::Io);
    // NOTE: a device without VIRTIO_BLK_F_FLUSH is taken to have no write-back cache (Linux's
    // driver assumes the same): a completed write is already stable.
    if (!(m_features & kBlockFeatureFlush))
        return {};
    auto* header = reinterpret_cast<RequestHeader*>(m_dma.cpu + m_headers_offset);
    u8* status = m_dma.cpu + m_status_offset;
    *header = RequestHeader { kRequestFlush, 0, 0 };
    *status = kStatusPending;
    Segment chain[] = {
        { m_dma.device_address + m_headers_offset, sizeof(RequestHeader), false },
        { m_dma.device_address + m_status_offset, 1, true },
    };
    m_slots[0] = Slot { TRY(m_queue.add_chain(chain)), false };
    TRY(submit_and_wait(1));
    if (*static_cast<volatile u8*>(status) != kStatusOk)
        return Error::from("virtio-blk flush failed", ErrorKind::Io);
    return {};
}

Result<usize> VirtioBlock::read_id(char (&out)[kIdBytes])
{
    if (m_failed)
        return Error::from("virtio-blk device failed earlier", ErrorKind::Io);
    auto* header = reinterpret_cast<RequestHeader*>(m_dma.cpu + m_headers_offset);
    u8* status = m_dma.cpu + m_status_offset;
    *header = RequestHeader { kRequestGetId, 0, 0 };
    *status = kStatusPending;
    __builtin_memset(m_dma.cpu + m_id_offset, 0, kIdBytes);
    Segment chain[] = {
        { m_dma.device_address + m_headers_offset, sizeof(RequestHeader), false },
        { m_dma.device_address + m_id_offset, kIdBytes, true },
        { m_dma.device_address + m_status_offset, 1, true },
    };
    m_slots[0] = Slot { TRY(m_queue.add_chain(chain)), false };
    TRY(submit_and_wait(1));
    if (*static_cast<volatile u8*>(status) != kStatusOk)
        return Error::from("virtio-blk device has no id", ErrorKind::Unsupported);
    __builtin_memcpy(out, m_dma.cpu + m_id_offset, kIdBytes);
    usize length = 0;
    while (length < kIdBytes && out[length] != 0)
        ++length;
    return length;
}

} // namespace wk::kernel::drivers::virtio
