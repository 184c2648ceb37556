#pragma once

#include "base/result.h"
#include "kernel/drivers/driver_host.h"
#include "kernel/drivers/pci/pci.h"
#include "kernel/drivers/virtio/virtio_pci.h"

namespace wk::kernel::drivers {

// The modern virtio PCI transport of a function, as the kernel's drivers (storage, network)
// start it: the virtio capabilities parsed and checked against the function's BARs (a device
// configuration region required), the BARs they name mapped as device memory, then memory
// decoding and bus mastering turned on.
// NOTE: the transport is never freed, also when the driver on it fails: a device that did
// not reset may still use what it was given.
[[nodiscard]] Result<virtio::VirtioPciTransport*> start_virtio_pci_transport(const pci::Function&, DriverHost&);

} // namespace wk::kernel::drivers
