#pragma once

#include <span>

#include "kernel/drivers/block_device.h"

// The kernel's disks: at boot, PCI is enumerated and every modern virtio-blk function gets a
// driver (kernel/drivers/virtio/virtio_block.h) running in the kernel, polled, named vda,
// vdb, ... in PCI order. docs/storage.md says what runs where and the plan.
namespace wk::kernel::drivers {

inline constexpr usize kMaxDisks = 4;

// Enumerates PCI and starts the block drivers. A device that fails to start is logged and
// skipped; boot goes on without it. With `use_interrupts`, each disk's request queue signals
// an MSI-X vector, or without MSI-X its INTx line through the I/O APIC (kernel/drivers/intx.h),
// and a waiting thread sleeps until it arrives; otherwise (or when neither works) completions
// are polled.
void initialize_storage(bool use_interrupts);
std::span<BlockDevice* const> disks();
BlockDevice* find_disk(std::string_view name);

enum class DiskInterruptKind : u8 { Polled, Msix, Intx };
const char* interrupt_kind_name(DiskInterruptKind kind);

struct DiskInterrupts {
    bool enabled { false };
    u8 vector { 0 };
    u64 count { 0 };
    DiskInterruptKind kind { DiskInterruptKind::Polled };
    u32 gsi { 0 }; // INTx
};
DiskInterrupts disk_interrupts(const BlockDevice& disk);

} // namespace wk::kernel::drivers
