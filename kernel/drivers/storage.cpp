#include "kernel/drivers/storage.h"

#include <new>

#include "kernel/arch/x86_64/apic.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/interrupts.h"
#include "kernel/arch/x86_64/paging.h"
#include "kernel/debug/log.h"
#include "kernel/drivers/intx.h"
#include "kernel/drivers/kernel_dma_host.h"
#include "kernel/drivers/pci/pci.h"
#include "kernel/drivers/virtio/virtio_block.h"
#include "kernel/drivers/virtio_pci_kernel.h"
#include "kernel/mm/memory.h"
#include "kernel/sched/thread.h"
#include "kernel/time/clock.h"

namespace wk::kernel::drivers {

namespace {

constexpr u8 kFirstDiskVector = 0x40;
// A waiting thread looks at the clock at least this often, interrupt or not (for the timeout).
constexpr u64 kInterruptWaitNs = 1'000'000;

// The kernel as a driver host, one per disk (DMA through KernelDmaHost): waiting sleeps
// until the disk's interrupt (MSI-X, else INTx) when it has one, and spins otherwise.
class KernelDriverHost final : public KernelDmaHost {
public:
    KernelDriverHost()
        : KernelDmaHost("storage")
    {
    }
    void relax() override
    {
        // NOTE: callers with interrupts off (a spin lock held) cannot sleep: they poll.
        if (!m_interrupts || !x86_64::interrupts_enabled() || !sched::current()) {
            x86_64::pause();
            return;
        }
        // Checked with interrupts off, so an interrupt after the check wakes the sleep below
        // instead of being missed.
        x86_64::InterruptDisabler guard;
        if (m_interrupt_count != m_seen) {
            m_seen = m_interrupt_count;
            return;
        }
        m_waiter = sched::current();
        sched::sleep_for(kInterruptWaitNs);
        m_waiter = nullptr;
        m_seen = m_interrupt_count;
    }

    // From the interrupt handler (interrupts off).
    void on_interrupt()
    {
        ++m_interrupt_count;
        if (m_waiter)
            sched::wake_sleeping(m_waiter);
    }

    bool m_interrupts { false };
    DiskInterruptKind m_kind { DiskInterruptKind::Polled };
    u8 m_vector { 0 };
    u32 m_gsi { 0 };
    virtio::VirtioPciTransport* m_transport { nullptr };
    u64 m_interrupt_count { 0 };
    u64 m_seen { 0 };
    sched::Thread* m_waiter { nullptr };
};

BlockDevice* g_disks[kMaxDisks];
KernelDriverHost* g_hosts[kMaxDisks];
usize g_disk_count;

void on_disk_interrupt(x86_64::InterruptFrame& frame)
{
    x86_64::local_apic_end_of_interrupt();
    usize index = frame.vector - kFirstDiskVector;
    if (index < kMaxDisks && g_hosts[index])
        g_hosts[index]->on_interrupt();
    sched::on_tick(); // runs the woken thread now when the CPU was idle
}

// A disk's INTx handler (kernel/drivers/intx.h): the ISR status read tells whether this disk
// raised the shared line, and lowers it.
bool on_disk_intx(void* context)
{
    auto* host = static_cast<KernelDriverHost*>(context);
    u8 status = host->m_transport->read_isr_status();
    if (status & 1)
        host->on_interrupt();
    return (status & 3) != 0;
}

// INTx through the I/O APIC for a function whose MSI-X is absent or did not start.
Result<void> enable_intx(const pci::Function& function, KernelDriverHost& host)
{
    if (!host.m_transport->has_isr_status())
        return Error::from("no ISR status region", ErrorKind::Unsupported);
    auto line = TRY(attach_intx(function, on_disk_intx, &host));
    pci::FunctionConfig config(function);
    config.write_command(static_cast<u16>(config.command() & ~pci::kCommandInterruptDisable));
    host.m_gsi = line.gsi;
    host.m_vector = line.vector;
    return {};
}

// Points entry 0 of the function's MSI-X table at this CPU's `vector` and enables MSI-X
// (INTx off). Unsupported when the function has no MSI-X capability.
Result<void> enable_msix(const pci::Function& function, u8 vector)
{
    pci::FunctionConfig config(function);
    pci::Capability list[48];
    usize count = TRY(pci::read_capabilities(config, list));
    for (usize i = 0; i < count; ++i) {
        if (list[i].id != pci::kCapabilityMsix)
            continue;
        auto msix = TRY(pci::parse_msix(config, list[i], { function.bars, function.bar_count }));
        const pci::Bar& bar = function.bars[msix.table_bar];
        volatile u8* table = TRY(pci::map_device_memory(bar.address + msix.table_offset, u64(msix.table_size) * 16));
        auto* entry = reinterpret_cast<volatile u32*>(table);
        entry[0] = 0xFEE00000u | (x86_64::local_apic_id() << 12); // fixed delivery, physical destination
        entry[1] = 0;
        entry[2] = vector; // edge triggered
        entry[3] = 0;      // unmasked
        u32 header = config.read32(msix.offset);
        u16 control = static_cast<u16>(((header >> 16) | pci::kMsixEnable) & ~pci::kMsixFunctionMask);
        config.write32(msix.offset, (u32(control) << 16) | (header & 0xFFFF));
        config.write_command(static_cast<u16>(config.command() | pci::kCommandInterruptDisable));
        return {};
    }
    return Error::from("no MSI-X capability", ErrorKind::Unsupported);
}

Result<BlockDevice*> start_virtio_block(const pci::Function& function, std::string_view name, KernelDriverHost& host,
                                        bool use_interrupts)
{
    auto* transport = TRY(start_virtio_pci_transport(function, host));
    host.m_transport = transport;
    bool intx = false;
    if (use_interrupts) {
        // The handler first: from the moment MSI-X is on, the device may signal.
        x86_64::set_interrupt_handler(host.m_vector, on_disk_interrupt);
        if (auto msix = enable_msix(function, host.m_vector); msix) {
            transport->set_queue_vector(0);
        } else if (auto line = enable_intx(function, host); line) {
            intx = true;
            debug::info("storage: {}: {}; interrupts through INTx (GSI {}, vector {:#x})", name, msix.error().message(),
                        host.m_gsi, host.m_vector);
        } else {
            debug::warn("storage: {}: {}, and no INTx: {}; completions are polled", name, msix.error().message(),
                        line.error().message());
        }
    }
    auto device = virtio::VirtioBlock::create(*transport, host, name);
    if (!device) {
        // NOTE: the transport is kept: a device that did not reset may still read its rings.
        if (intx) {
            pci::FunctionConfig config(function);
            config.write_command(static_cast<u16>(config.command() | pci::kCommandInterruptDisable));
            detach_intx(&host);
        }
        return device.error();
    }
    host.m_kind = transport->queue_interrupts() ? DiskInterruptKind::Msix : intx ? DiskInterruptKind::Intx
                                                                                  : DiskInterruptKind::Polled;
    host.m_interrupts = host.m_kind != DiskInterruptKind::Polled;
    return static_cast<BlockDevice*>(*device);
}

} // namespace

void initialize_storage(bool use_interrupts)
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
        auto* host = new (std::nothrow) KernelDriverHost;
        if (!host) {
            debug::warn("storage: no memory for a disk");
            return;
        }
        host->m_vector = static_cast<u8>(kFirstDiskVector + g_disk_count);
        // Published before the device can interrupt. A failed start leaves its host (the
        // transport refers to it) and gives slot and vector to the next disk; a stray
        // interrupt from the failed device then only wakes that disk's waiter early.
        g_hosts[g_disk_count] = host;
        auto disk = start_virtio_block(function, kNames[g_disk_count], *host, use_interrupts);
        if (!disk) {
            debug::warn("storage: virtio-blk at {:02x}:{:02x}.{} not started: {}", function.bus, function.device,
                        function.function, disk.error().message());
            continue;
        }
        auto* block = static_cast<virtio::VirtioBlock*>(*disk);
        debug::info("storage: {}: virtio-blk at {:02x}:{:02x}.{}, {} sectors ({} MiB){}, queue {} x {} KiB requests per notification, {}",
                    block->name(), function.bus, function.device, function.function, block->sector_count(),
                    block->sector_count() >> 11, block->is_read_only() ? ", read-only" : "", block->max_batch(),
                    block->chunk_bytes() / 1024, interrupt_kind_name(host->m_kind));
        g_disks[g_disk_count++] = block;
    }
}

const char* interrupt_kind_name(DiskInterruptKind kind)
{
    switch (kind) {
    case DiskInterruptKind::Msix: return "MSI-X interrupts";
    case DiskInterruptKind::Intx: return "INTx interrupts";
    default: return "polled";
    }
}

DiskInterrupts disk_interrupts(const BlockDevice& disk)
{
    for (usize i = 0; i < g_disk_count; ++i) {
        if (g_disks[i] == &disk)
            return { g_hosts[i]->m_interrupts, g_hosts[i]->m_vector, g_hosts[i]->m_interrupt_count, g_hosts[i]->m_kind,
                     g_hosts[i]->m_gsi };
    }
    return {};
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
