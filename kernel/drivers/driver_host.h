#pragma once

#include "base/result.h"
#include "base/types.h"

// What a device driver needs from whoever runs it. The kernel implements this today
// (kernel/drivers/storage.cpp); a wasm service host would implement it over handles (a DMA
// buffer object, the clock), so drivers written against it can move out of the kernel.
namespace wk::kernel::drivers {

// Memory the device may read and write: `cpu` is where the driver sees it, `device_address`
// what the device is told (a physical address without an IOMMU).
struct DmaBuffer {
    u8* cpu { nullptr };
    u64 device_address { 0 };
    usize size { 0 };
};

class DriverHost {
public:
    virtual ~DriverHost() = default;
    // Zeroed, page-aligned and contiguous for the device. OutOfMemory when there is none.
    [[nodiscard]] virtual Result<DmaBuffer> allocate_dma(usize size) = 0;
    virtual void free_dma(const DmaBuffer& buffer) = 0;
    // A monotonic clock for timeouts.
    virtual u64 now_ns() = 0;
    // Called in every round of a wait for the device: spins briefly, or sleeps until the
    // device's interrupt (at most about a millisecond, so the caller's timeout still counts).
    virtual void relax() = 0;
};

} // namespace wk::kernel::drivers
