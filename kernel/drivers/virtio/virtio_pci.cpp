#include "kernel/drivers/virtio/virtio_pci.h"

#include <initializer_list>
#include <utility>

namespace wk::kernel::drivers::virtio {

namespace {

constexpr u8 kVendorCapability = 0x09;
enum CapabilityType : u8 {
    kCommonConfig = 1,
    kNotifyConfig = 2,
    kIsrConfig = 3,
    kDeviceConfig = 4,
};
// Bytes of the common configuration structure this driver uses (virtio 1.0's layout).
constexpr u32 kCommonConfigBytes = 56;

enum CommonConfig : u32 {
    kDeviceFeatureSelect = 0,
    kDeviceFeature = 4,
    kDriverFeatureSelect = 8,
    kDriverFeature = 12,
    kConfigMsixVector = 16,
    kNumQueues = 18,
    kDeviceStatus = 20,
    kConfigGeneration = 21,
    kQueueSelect = 22,
    kQueueSize = 24,
    kQueueMsixVector = 26,
    kQueueEnable = 28,
    kQueueNotifyOff = 30,
    kQueueDesc = 32,
    kQueueDriver = 40,
    kQueueDevice = 48,
};
constexpr u64 kResetTimeoutNs = 1'000'000'000;

// NOTE: a full fence before a doorbell or status write so that the device sees every ring
// write made before it.
inline void device_fence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

} // namespace

Result<VirtioPciCapabilities> parse_virtio_capabilities(pci::ConfigSpace& config)
{
    pci::Capability list[48];
    usize count = TRY(pci::read_capabilities(config, list));
    VirtioPciCapabilities result;
    for (usize i = 0; i < count; ++i) {
        if (list[i].id != kVendorCapability)
            continue;
        u8 at = list[i].offset;
        u8 length = config.read8(at + 2);
        u8 type = config.read8(at + 3);
        VirtioPciRegion* region = nullptr;
        switch (type) {
        case kCommonConfig: region = &result.common; break;
        case kNotifyConfig: region = &result.notify; break;
        case kIsrConfig: region = &result.isr; break;
        case kDeviceConfig: region = &result.device; break;
        default: continue; // PCI configuration access, shared memory: not used
        }
        if (region->present)
            continue; // the first of each type is the one to use
        if (length < 16 || (type == kNotifyConfig && length < 20))
            return Error::malformed("virtio capability too short");
        if (at + 16u + (type == kNotifyConfig ? 4u : 0u) > 256)
            return Error::malformed("virtio capability runs past the configuration header");
        region->bar = config.read8(at + 4);
        region->offset = config.read32(at + 8);
        region->length = config.read32(at + 12);
        if (region->bar > 5)
            return Error::malformed("virtio capability names a BAR above 5");
        if (region->offset + u64(region->length) > 0xFFFFFFFFull)
            return Error::malformed("virtio capability range wraps");
        if (type == kNotifyConfig)
            result.notify_multiplier = config.read32(at + 16);
        region->present = true;
    }
    if (!result.common.present || !result.notify.present || !result.isr.present)
        return Error::malformed("virtio device lacks a common, notify or ISR capability");
    if (result.common.length < kCommonConfigBytes)
        return Error::malformed("virtio common configuration too short");
    if (result.notify.length < 2)
        return Error::malformed("virtio notify region too short");
    return result;
}

Result<void> check_virtio_regions(const VirtioPciCapabilities& capabilities, std::span<const pci::Bar> bars)
{
    for (const VirtioPciRegion* region : { &capabilities.common, &capabilities.notify, &capabilities.isr, &capabilities.device }) {
        if (!region->present)
            continue;
        if (region->bar >= bars.size())
            return Error::malformed("virtio region in a BAR the function does not have");
        const pci::Bar& bar = bars[region->bar];
        if (bar.kind != pci::BarKind::Memory32 && bar.kind != pci::BarKind::Memory64)
            return Error::malformed("virtio region in a BAR that is not memory");
        if (u64(region->offset) + region->length > bar.size)
            return Error::malformed("virtio region runs past the end of its BAR");
    }
    return {};
}

VirtioPciTransport::VirtioPciTransport(const VirtioPciCapabilities& capabilities, volatile u8* const (&bar_memory)[6], DriverHost& host)
    : m_common(bar_memory[capabilities.common.bar] + capabilities.common.offset)
    , m_notify(bar_memory[capabilities.notify.bar] + capabilities.notify.offset)
    , m_isr(capabilities.isr.length ? bar_memory[capabilities.isr.bar] + capabilities.isr.offset : nullptr)
    , m_notify_length(capabilities.notify.length)
    , m_notify_multiplier(capabilities.notify_multiplier)
    , m_device(capabilities.device.present ? bar_memory[capabilities.device.bar] + capabilities.device.offset : nullptr)
    , m_device_length(capabilities.device.present ? capabilities.device.length : 0)
    , m_host(host)
{
}

u64 VirtioPciTransport::device_features()
{
    write_common<u32>(kDeviceFeatureSelect, 0);
    u64 low = read_common<u32>(kDeviceFeature);
    write_common<u32>(kDeviceFeatureSelect, 1);
    u64 high = read_common<u32>(kDeviceFeature);
    return (high << 32) | low;
}

void VirtioPciTransport::set_driver_features(u64 features)
{
    write_common<u32>(kDriverFeatureSelect, 0);
    write_common<u32>(kDriverFeature, static_cast<u32>(features));
    write_common<u32>(kDriverFeatureSelect, 1);
    write_common<u32>(kDriverFeature, static_cast<u32>(features >> 32));
}

u8 VirtioPciTransport::status() { return read_common<u8>(kDeviceStatus); }

void VirtioPciTransport::set_status(u8 status)
{
    device_fence();
    write_common<u8>(kDeviceStatus, status);
}

Result<void> VirtioPciTransport::reset()
{
    write_common<u8>(kDeviceStatus, 0);
    u64 start = m_host.now_ns();
    while (read_common<u8>(kDeviceStatus) != 0) {
        if (m_host.now_ns() - start > kResetTimeoutNs)
            return Error::from("virtio device does not reset", ErrorKind::Io);
        m_host.relax();
    }
    return {};
}

u16 VirtioPciTransport::queue_count() { return read_common<u16>(kNumQueues); }

u16 VirtioPciTransport::queue_max_size(u16 queue)
{
    if (queue >= queue_count())
        return 0;
    write_common<u16>(kQueueSelect, queue);
    return read_common<u16>(kQueueSize);
}

Result<void> VirtioPciTransport::enable_queue(u16 queue, u16 size, u64 descriptors, u64 available, u64 used)
{
    if (queue >= sizeof(m_queue_notify_offset) / sizeof(m_queue_notify_offset[0]) || queue >= queue_count())
        return Error::from("virtio queue index out of range", ErrorKind::OutOfRange);
    write_common<u16>(kQueueSelect, queue);
    u64 notify_offset = u64(read_common<u16>(kQueueNotifyOff)) * m_notify_multiplier;
    if (notify_offset + 2 > m_notify_length)
        return Error::malformed("virtio queue notification address outside the notify region");
    m_queue_notify_offset[queue] = static_cast<u32>(notify_offset);
    write_common<u16>(kQueueSize, size);
    write_common<u16>(kConfigMsixVector, kVirtioNoVector);
    write_common<u16>(kQueueMsixVector, m_queue_vector);
    m_queue_interrupts = m_queue_vector != kVirtioNoVector && read_common<u16>(kQueueMsixVector) == m_queue_vector;
    // 64-bit fields written as two 32-bit halves, low first (virtio 1.2, 4.1.3.1).
    for (auto [field, value] : { std::pair { kQueueDesc, descriptors }, std::pair { kQueueDriver, available },
                                 std::pair { kQueueDevice, used } }) {
        write_common<u32>(field, static_cast<u32>(value));
        write_common<u32>(field + 4, static_cast<u32>(value >> 32));
    }
    device_fence();
    write_common<u16>(kQueueEnable, 1);
    return {};
}

void VirtioPciTransport::notify(u16 queue)
{
    device_fence();
    *reinterpret_cast<volatile u16*>(m_notify + m_queue_notify_offset[queue & 3]) = queue;
}

Result<u64> VirtioPciTransport::read_device_config(u32 offset, u32 width)
{
    if (!m_device || (width != 1 && width != 2 && width != 4 && width != 8) || offset % width != 0
        || u64(offset) + width > m_device_length)
        return Error::from("virtio device configuration read out of range", ErrorKind::OutOfRange);
    volatile u8* at = m_device + offset;
    switch (width) {
    case 1: return u64(*at);
    case 2: return u64(*reinterpret_cast<volatile u16*>(at));
    case 4: return u64(*reinterpret_cast<volatile u32*>(at));
    default: {
        // Two 32-bit reads, low half first (the device may not support 64-bit accesses).
        u64 low = *reinterpret_cast<volatile u32*>(at);
        u64 high = *reinterpret_cast<volatile u32*>(at + 4);
        return (high << 32) | low;
    }
    }
}

u32 VirtioPciTransport::config_generation() { return read_common<u8>(kConfigGeneration); }

} // namespace wk::kernel::drivers::virtio
