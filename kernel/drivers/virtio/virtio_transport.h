#pragma once

#include "base/result.h"
#include "base/types.h"

// The virtio device as a driver sees it, whatever carries it (virtio 1.2, section 4): feature
// bits, the status byte, queues, notifications and the device-specific configuration. The
// modern PCI transport (virtio_pci.h) implements it over device memory; the hosted tests
// implement it with a fake device that can misbehave.
namespace wk::kernel::drivers::virtio {

enum DeviceStatus : u8 {
    kStatusAcknowledge = 1,
    kStatusDriver = 2,
    kStatusDriverOk = 4,
    kStatusFeaturesOk = 8,
    kStatusNeedsReset = 64,
    kStatusFailed = 128,
};

inline constexpr u64 kFeatureVersion1 = 1ull << 32;

class VirtioTransport {
public:
    virtual ~VirtioTransport() = default;

    virtual u64 device_features() = 0;
    virtual void set_driver_features(u64 features) = 0;
    virtual u8 status() = 0;
    virtual void set_status(u8 status) = 0;
    // Writes 0 to the status and waits (bounded) until the device reads back 0. Io if it
    // does not.
    [[nodiscard]] virtual Result<void> reset() = 0;
    virtual u16 queue_count() = 0;
    // The largest size the device allows for `queue` (0: no such queue).
    virtual u16 queue_max_size(u16 queue) = 0;
    // Sets the queue's size and ring addresses and enables it.
    [[nodiscard]] virtual Result<void> enable_queue(u16 queue, u16 size, u64 descriptors, u64 available, u64 used) = 0;
    virtual void notify(u16 queue) = 0;
    // `width` (1, 2, 4 or 8) bytes at `offset` of the device-specific configuration.
    // OutOfRange past what the device exposes.
    [[nodiscard]] virtual Result<u64> read_device_config(u32 offset, u32 width) = 0;
    virtual u32 config_generation() = 0;
};

} // namespace wk::kernel::drivers::virtio
