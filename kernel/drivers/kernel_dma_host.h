#pragma once

#include "kernel/arch/x86_64/interrupts.h"
#include "kernel/arch/x86_64/paging.h"
#include "kernel/debug/log.h"
#include "kernel/drivers/driver_host.h"
#include "kernel/mm/memory.h"
#include "kernel/time/clock.h"

namespace wk::kernel::drivers {

// The kernel's part of every driver host: DMA buffers are contiguous frames seen through the
// direct map (no IOMMU: the device address is the physical address), and the clock is the
// kernel's. How a driver waits for its device (relax) is each host's own.
class KernelDmaHost : public DriverHost {
public:
    explicit KernelDmaHost(const char* owner)
        : m_owner(owner)
    {
    }

    Result<DmaBuffer> allocate_dma(usize size) override
    {
        usize frames = (size + mm::kFrameSize - 1) / mm::kFrameSize;
        u64 physical = TRY(mm::allocate_frames(frames, 1));
        auto* cpu = static_cast<u8*>(x86_64::phys_to_virt(physical));
        __builtin_memset(cpu, 0, frames * mm::kFrameSize);
        return DmaBuffer { cpu, physical, frames * mm::kFrameSize };
    }
    void free_dma(const DmaBuffer& buffer) override
    {
        if (auto result = mm::release_frames(buffer.device_address, buffer.size / mm::kFrameSize); !result)
            debug::warn("{}: DMA buffer not freed: {}", m_owner, result.error().message());
    }
    u64 now_ns() override { return time::nanoseconds_since_boot(); }

private:
    const char* m_owner;
};

} // namespace wk::kernel::drivers
