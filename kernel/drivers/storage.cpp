#include "kernel/drivers/storage.h"

#include <initializer_list>
#include <new>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/paging.h"
#include "kernel/debug/log.h"
#include "kernel/drivers/pci/pci.h"
#include "kernel/drivers/virtio/virtio_block.h"
#include "kernel/drivers/virtio/virtio_pci.h"
#include "kernel/mm/memory.h"
#include "kernel/time/clock.h"

namespace wk::kernel::drivers {

namespace {

// The kernel as a driver host: DMA buffers are contiguous frames seen through the direct map
// (no IOMMU: the device address is the physical address).
class KernelDriverHost final : public DriverHost {
public:
    Result<DmaBuffer> allocate_dma(usize size) override
    {
        usize frames = (size + mm::kFrameSize - 1) / mm::kFrameSize;
        u64 physical;
        {
            x86_64::InterruptDisabler guard;
            physical = TRY(mm::frames().allocate_contiguous(frames, 1));
        }
        auto* cpu = static_cast<u8*>(x86_64::phys_to_virt(physical));
        __builtin_memset(cpu, 0, frames * mm::kFrameSize);
        return DmaBuffer { cpu, physical, frames * mm::kFrameSize };
    }
    void free_dma(const DmaBuffer& buffer) override
    {
        x86_64::InterruptDisabler guard;
        if (auto result = mm::frames().free_contiguous(buffer.device_address, buffer.size / mm::kFrameSize); !result)
            debug::warn("storage: DMA buffer not freed: {}", result.error().message());
    }
    u64 now_ns() override { return time::nanoseconds_since_boot(); }
    void relax() override { x86_64::pause(); }
};

constinit KernelDriverHost g_kernel_host;
KernelDriverHost* const g_host = &g_kernel_host;
BlockDevice* g_disks[kMaxDisks];
usize g_disk_count;

Result<BlockDevice*> start_virtio_block(const pci::Function& function, std::string_view name)
{
    pci::FunctionConfig config(function);
    auto capabilities = TRY(virtio::parse_virtio_capabilities(config));
    TRY(virtio::check_virtio_regions(capabilities, { function.bars, function.bar_count }));
    volatile u8* bar_memory[6] {};
    for (const auto* region : { &capabilities.common, &capabilities.notify, &capabilities.isr, &capabilities.device }) {
        if (!region->present || bar_memory[region->bar])
            continue;
        const pci::Bar& bar = function.bars[region->bar];
        bar_memory[region->bar] = TRY(pci::map_device_memory(bar.address, bar.size));
    }
    pci::enable_memory_and_dma(function);
    auto* transport = new (std::nothrow) virtio::VirtioPciTransport(capabilities, bar_memory, *g_host);
    if (!transport)
        return Error::from("no memory for a virtio transport", ErrorKind::OutOfMemory);
    auto device = virtio::VirtioBlock::create(*transport, *g_host, name);
    if (!device) {
        // NOTE: the transport is kept: a device that did not reset may still read its rings.
        return device.error();
    }
    return static_cast<BlockDevice*>(*device);
}

} // namespace

void initialize_storage()
{
    pci::enumerate();
    static constexpr const char* kNames[kMaxDisks] = { "vda", "vdb", "vdc", "vdd" };
    for (auto& function : pci::functions()) {
        if (function.vendor_id != virtio::kVirtioVendor || function.device_id != virtio::kVirtioBlockDeviceId)
            continue;
        if (g_disk_count == kMaxDisks) {
            debug::warn("storage: more than {} disks; {:02x}:{:02x}.{} ignored", kMaxDisks, function.bus, function.device,
                        function.function);
            continue;
        }
        auto disk = start_virtio_block(function, kNames[g_disk_count]);
        if (!disk) {
            debug::warn("storage: virtio-blk at {:02x}:{:02x}.{} not started: {}", function.bus, function.device,
                        function.function, disk.error().message());
            continue;
        }
        auto* block = static_cast<virtio::VirtioBlock*>(*disk);
        debug::info("storage: {}: virtio-blk at {:02x}:{:02x}.{}, {} sectors ({} MiB){}, queue {} x {} KiB requests per notification",
                    block->name(), function.bus, function.device, function.function, block->sector_count(),
                    block->sector_count() >> 11, block->is_read_only() ? ", read-only" : "", block->max_batch(),
                    block->chunk_bytes() / 1024);
        g_disks[g_disk_count++] = block;
    }
}

std::span<BlockDevice* const> disks() { return { g_disks, g_disk_count }; }

BlockDevice* find_disk(std::string_view name)
{
    for (auto* disk : disks()) {
        if (disk->name() == name)
            return disk;
    }
    return nullptr;
}

} // namespace wk::kernel::drivers
