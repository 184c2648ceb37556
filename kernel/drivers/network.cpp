#include "kernel/drivers/network.h"

#include <new>

#include "kernel/arch/x86_64/entropy.h"
#include "kernel/arch/x86_64/paging.h"
#include "kernel/debug/log.h"
#include "kernel/drivers/kernel_dma_host.h"
#include "kernel/drivers/pci/pci.h"
#include "kernel/drivers/virtio_pci_kernel.h"
#include "kernel/mm/memory.h"
#include "kernel/sched/thread.h"
#include "kernel/time/clock.h"

namespace wk::kernel::drivers {

namespace {

constexpr u64 kPollIntervalNs = 1'000'000;
// Frames handed to the stack per poll: bounds the time spent with interrupts off.
constexpr usize kFramesPerPoll = 64;

// The kernel as the network driver's host (DMA through KernelDmaHost). The driver never waits
// for the device except in reset, which spins.
class NetworkDriverHost final : public KernelDmaHost {
public:
    NetworkDriverHost()
        : KernelDmaHost("network")
    {
    }
    void relax() override { x86_64::pause(); }
};

// The stack's way out: frames go to the device's transmit ring.
class DeviceSink final : public net::FrameSink {
public:
    Result<void> send_frame(std::span<const u8> frame) override { return m_device->transmit(frame); }
    virtio::VirtioNet* m_device { nullptr };
};

NetworkDriverHost* g_host;
DeviceSink* g_sink;
virtio::VirtioNet* g_device;
net::Interface* g_interface;

void deliver(void* context, std::span<const u8> frame)
{
    static_cast<net::Interface*>(context)->receive_frame(frame, network_now_ns());
}

i64 poll_network(void*)
{
    bool reported_failure = false;
    for (;;) {
        {
            NetworkLock lock;
            if (!g_device->has_failed()) {
                if (auto received = g_device->receive(kFramesPerPoll, deliver, g_interface); !received && !reported_failure) {
                    debug::warn("network: virtio-net failed: {}", received.error().message());
                    reported_failure = true;
                }
            }
            g_interface->tick(network_now_ns());
        }
        sched::sleep_for(kPollIntervalNs);
    }
}

Result<virtio::VirtioNet*> start_virtio_net(const pci::Function& function, DriverHost& host)
{
    auto* transport = TRY(start_virtio_pci_transport(function, host));
    return virtio::VirtioNet::create(*transport, host);
}

} // namespace

u64 network_now_ns() { return time::nanoseconds_since_boot(); }

net::Interface* network_interface() { return g_interface; }
virtio::VirtioNet* network_device() { return g_device; }

void initialize_network()
{
    for (auto& function : pci::functions()) {
        if (function.vendor_id != virtio::kVirtioVendor || function.device_id != virtio::kVirtioNetDeviceId)
            continue;
        if (g_device) {
            debug::warn("network: only one interface is supported; {:02x}:{:02x}.{} ignored", function.bus, function.device,
                        function.function);
            continue;
        }
        g_host = new (std::nothrow) NetworkDriverHost;
        g_sink = new (std::nothrow) DeviceSink;
        if (!g_host || !g_sink) {
            debug::warn("network: no memory for the driver");
            return;
        }
        auto device = start_virtio_net(function, *g_host);
        if (!device) {
            debug::warn("network: virtio-net at {:02x}:{:02x}.{} not started: {}", function.bus, function.device,
                        function.function, device.error().message());
            continue;
        }
        net::MacAddress mac;
        __builtin_memcpy(mac.bytes, (*device)->mac(), 6);
        g_sink->m_device = *device;
        // TCP's initial sequence numbers start from the kernel's generator, unlike every boot.
        u32 sequence_seed;
        x86_64::fill_random(Bytes(reinterpret_cast<u8*>(&sequence_seed), sizeof sequence_seed));
        auto* interface = new (std::nothrow) net::Interface(*g_sink, mac, sequence_seed);
        if (!interface) {
            debug::warn("network: no memory for the IPv4 stack");
            delete *device;
            return;
        }
        {
            NetworkLock lock;
            interface->start_dhcp(static_cast<u32>(x86_64::boot_entropy()), network_now_ns());
            g_interface = interface;
            g_device = *device;
        }
        debug::info("network: eth0: virtio-net at {:02x}:{:02x}.{}, MAC {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}, link {}, "
                    "{} receive buffers, polled every {} us; DHCP started",
                    function.bus, function.device, function.function, mac.bytes[0], mac.bytes[1], mac.bytes[2], mac.bytes[3],
                    mac.bytes[4], mac.bytes[5], g_device->link_up() ? "up" : "down", g_device->receive_queue_size(),
                    kPollIntervalNs / 1000);
        if (auto thread = sched::spawn("net", poll_network, nullptr); !thread)
            debug::warn("network: no net thread: {}", thread.error().message());
    }
}

} // namespace wk::kernel::drivers
