#pragma once

#include <span>

#include "kernel/drivers/block_device.h"

// The kernel's disks: at boot, PCI is enumerated and every modern virtio-blk function gets a
// driver (kernel/drivers/virtio/virtio_block.h) running in the kernel, polled, named vda,
// vdb, ... in PCI order. docs/storage.md says what runs where and the plan.
namespace wk::kernel::drivers {

inline constexpr usize kMaxDisks = 4;

// Enumerates PCI and starts the block drivers. A device that fails to start is logged and
// skipped; boot goes on without it.
void initialize_storage();
std::span<BlockDevice* const> disks();
BlockDevice* find_disk(std::string_view name);

} // namespace wk::kernel::drivers
