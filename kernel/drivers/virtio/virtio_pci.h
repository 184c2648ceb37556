#pragma once

#include <span>

#include "kernel/drivers/driver_host.h"
#include "kernel/drivers/pci/pci_config.h"
#include "kernel/drivers/virtio/virtio_transport.h"

// The virtio 1.x modern PCI transport (virtio 1.2, section 4.1): vendor-specific capabilities
// name the BAR ranges of the common configuration, notifications, ISR status and the
// device-specific configuration. Legacy (transitional, I/O port) devices are not supported.
namespace wk::kernel::drivers::virtio {

inline constexpr u16 kVirtioVendor = 0x1AF4;
// Modern device IDs are 0x1040 + the virtio device type (2 = block).
inline constexpr u16 kVirtioModernBase = 0x1040;
inline constexpr u16 kVirtioBlockDeviceId = 0x1042;
// "No MSI-X vector": the device raises no interrupt for that event.
inline constexpr u16 kVirtioNoVector = 0xFFFF;

struct VirtioPciRegion {
    bool present { false };
    u8 bar { 0 };
    u32 offset { 0 };
    u32 length { 0 };
};

struct VirtioPciCapabilities {
    VirtioPciRegion common;
    VirtioPciRegion notify;
    VirtioPciRegion isr;
    VirtioPciRegion device;
    u32 notify_multiplier { 0 };
};

// Finds the first capability of each kind in the capability list. Malformed for a capability
// too short for its kind, a BAR index above 5, a range that wraps, or a missing common,
// notify or ISR region (the device region is optional: not every device type has one).
[[nodiscard]] Result<VirtioPciCapabilities> parse_virtio_capabilities(pci::ConfigSpace& config);
// Checks that every present region lies inside a memory BAR of its function. Malformed if not.
[[nodiscard]] Result<void> check_virtio_regions(const VirtioPciCapabilities& capabilities, std::span<const pci::Bar> bars);

// The transport over mapped device memory. `bar_memory[i]` is where BAR i is mapped (null when
// it is not a memory BAR); the regions have been checked against the BARs.
class VirtioPciTransport final : public VirtioTransport {
public:
    VirtioPciTransport(const VirtioPciCapabilities& capabilities, volatile u8* const (&bar_memory)[6], DriverHost& host);

    u64 device_features() override;
    void set_driver_features(u64 features) override;
    u8 status() override;
    void set_status(u8 status) override;
    Result<void> reset() override;
    u16 queue_count() override;
    u16 queue_max_size(u16 queue) override;
    Result<void> enable_queue(u16 queue, u16 size, u64 descriptors, u64 available, u64 used) override;
    void notify(u16 queue) override;
    Result<u64> read_device_config(u32 offset, u32 width) override;
    u32 config_generation() override;

    // The MSI-X table entry the queues enabled from now on signal (kVirtioNoVector: none).
    void set_queue_vector(u16 entry) { m_queue_vector = entry; }
    // Whether the device accepted the vector for the last queue enabled (it reads back
    // kVirtioNoVector when it could not allocate one).
    bool queue_interrupts() const { return m_queue_interrupts; }
    // Reads the ISR status (virtio 1.2, 4.1.4.5): bit 0 a queue interrupt, bit 1 a
    // configuration change. The read clears it and lowers the device's INTx line; without
    // MSI-X this is how a handler on a shared line learns whether its device raised it.
    // 0 when the ISR region is empty (has_isr_status() false: INTx cannot be used then).
    u8 read_isr_status() { return m_isr ? *m_isr : 0; }
    bool has_isr_status() const { return m_isr != nullptr; }

private:
    template<typename T>
    T read_common(u32 offset) { return *reinterpret_cast<volatile T*>(m_common + offset); }
    template<typename T>
    void write_common(u32 offset, T value) { *reinterpret_cast<volatile T*>(m_common + offset) = value; }

    volatile u8* m_common;
    volatile u8* m_notify;
    volatile u8* m_isr;
    u32 m_notify_length;
    u32 m_notify_multiplier;
    volatile u8* m_device;
    u32 m_device_length;
    DriverHost& m_host;
    // Per queue (virtio-blk uses queue 0, virtio-net queues 0 and 1): where its notifications go.
    u32 m_queue_notify_offset[4] {};
    u16 m_queue_vector { kVirtioNoVector };
    bool m_queue_interrupts { false };
};

} // namespace wk::kernel::drivers::virtio
