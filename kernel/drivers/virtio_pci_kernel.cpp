#include "kernel/drivers/virtio_pci_kernel.h"

#include <initializer_list>
#include <new>

namespace wk::kernel::drivers {

Result<virtio::VirtioPciTransport*> start_virtio_pci_transport(const pci::Function& function, DriverHost& host)
{
    pci::FunctionConfig config(function);
    auto capabilities = TRY(virtio::parse_virtio_capabilities(config));
    TRY(virtio::check_virtio_regions(capabilities, { function.bars, function.bar_count }));
    if (!capabilities.device.present)
        return Error::malformed("virtio device without a device configuration region");
    volatile u8* bar_memory[6] {};
    for (const auto* region : { &capabilities.common, &capabilities.notify, &capabilities.isr, &capabilities.device }) {
        if (!region->present || bar_memory[region->bar])
            continue;
        const pci::Bar& bar = function.bars[region->bar];
        bar_memory[region->bar] = TRY(pci::map_device_memory(bar.address, bar.size));
    }
    pci::enable_memory_and_dma(function);
    auto* transport = new (std::nothrow) virtio::VirtioPciTransport(capabilities, bar_memory, host);
    if (!transport)
        return Error::from("no memory for a virtio transport", ErrorKind::OutOfMemory);
    return transport;
}

} // namespace wk::kernel::drivers
