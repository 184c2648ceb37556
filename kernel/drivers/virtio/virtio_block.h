#pragma once

#include "kernel/drivers/block_device.h"
#include "kernel/drivers/driver_host.h"
#include "kernel/drivers/virtio/virtio_transport.h"
#include "kernel/drivers/virtio/virtqueue.h"

// The virtio-blk driver (virtio 1.2, section 5.2), written against a VirtioTransport and a
// DriverHost only, so that the same code can run in the kernel (today) or in a wasm service
// that is handed the device's memory, a DMA buffer and a clock as objects.
//
// One request queue, polled for completion. A transfer is cut into chunks of at most
// kChunkBytes, up to max_batch() chunks are queued per notification, and their data moves
// through the driver's own DMA buffer (callers' buffers need not be physically contiguous).
// Not thread-safe: the owner serialises calls.
namespace wk::kernel::drivers::virtio {

enum BlockFeatures : u64 {
    kBlockFeatureSizeMax = 1ull << 1,
    kBlockFeatureSegMax = 1ull << 2,
    kBlockFeatureReadOnly = 1ull << 5,
    kBlockFeatureBlockSize = 1ull << 6,
    kBlockFeatureFlush = 1ull << 9,
};

class VirtioBlock final : public BlockDevice {
public:
    static constexpr u16 kPreferredQueueSize = 128;
    static constexpr usize kChunkBytes = 32 * 1024;
    static constexpr usize kMaxBatch = 8;
    // Larger capacities are refused as absurd (128 PiB; keeps byte sizes far from overflow).
    static constexpr u64 kMaxSectors = 1ull << 48;
    static constexpr u64 kDefaultTimeoutNs = 10'000'000'000ull;
    static constexpr usize kIdBytes = 20;

    // Initialises the device (reset, feature negotiation, queue 0). Errors: Unsupported for
    // a device without VIRTIO_F_VERSION_1 or one that refuses our features, Malformed for an
    // absurd capacity, a missing or too small queue, Io when it does not reset, OutOfMemory
    // when no DMA buffer is free. On failure the device is left in the FAILED state.
    static Result<VirtioBlock*> create(VirtioTransport& transport, DriverHost& host, std::string_view name,
                                       u64 timeout_ns = kDefaultTimeoutNs);
    ~VirtioBlock() override;

    std::string_view name() const override { return { m_name, m_name_length }; }
    u64 sector_count() const override { return m_sectors; }
    bool is_read_only() const override { return m_features & kBlockFeatureReadOnly; }
    Result<void> read_blocks(u64 first, std::span<u8> buffer) override;
    Result<void> write_blocks(u64 first, std::span<const u8> buffer) override;
    Result<void> flush() override;

    // The device's serial (VIRTIO_BLK_T_GET_ID), NUL-padded to kIdBytes; the length used.
    [[nodiscard]] Result<usize> read_id(char (&out)[kIdBytes]);

    u64 negotiated_features() const { return m_features; }
    u16 queue_size() const { return m_queue.size(); }
    usize max_batch() const { return m_max_batch; }
    usize chunk_bytes() const { return m_chunk_bytes; }
    // Counters for the console and the tests.
    u64 requests() const { return m_requests; }
    u64 notifications() const { return m_notifications; }
    // True once the device misbehaved or timed out; every request then fails with Io.
    bool has_failed() const { return m_failed; }

private:
    VirtioBlock(VirtioTransport& transport, DriverHost& host, u64 timeout_ns)
        : m_transport(transport)
        , m_host(host)
        , m_timeout_ns(timeout_ns)
    {
    }
    Result<void> initialize();
    Result<u64> read_capacity();
    // One batched transfer of `bytes` (whole sectors, in range) at `sector`; `read` copies into
    // `in`, otherwise from `out`.
    Result<void> transfer(bool read, u64 sector, u8* in, const u8* out, u64 bytes);
    // Queues `count` prepared requests' chains (already added), notifies and waits for them all.
    Result<void> submit_and_wait(usize count);
    Result<void> fail(const char* message);

    struct Slot {
        u16 head;
        bool done;
    };

    VirtioTransport& m_transport;
    DriverHost& m_host;
    u64 m_timeout_ns;
    char m_name[16] {};
    usize m_name_length { 0 };
    u64 m_features { 0 };
    u64 m_sectors { 0 };
    usize m_chunk_bytes { kChunkBytes };
    usize m_max_batch { 0 };
    DmaBuffer m_dma;
    SplitVirtqueue m_queue;
    // Inside m_dma: request headers (16 bytes each), status bytes, the GET_ID buffer, data.
    usize m_headers_offset { 0 };
    usize m_status_offset { 0 };
    usize m_id_offset { 0 };
    usize m_data_offset { 0 };
    Slot m_slots[kMaxBatch] {};
    bool m_failed { false };
    u64 m_requests { 0 };
    u64 m_notifications { 0 };
};

} // namespace wk::kernel::drivers::virtio
