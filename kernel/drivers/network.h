#pragma once

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/drivers/virtio/virtio_net.h"
#include "kernel/net/interface.h"

// The kernel's network interface: the first modern virtio-net PCI function gets the driver
// (kernel/drivers/virtio/virtio_net.h) and the IPv4 stack (kernel/net/interface.h), both in
// the kernel; a kernel thread ("net") polls the receive ring and the stack's timers every
// millisecond, and DHCP starts at boot. docs/networking.md says what runs where and the plan.
namespace wk::kernel::drivers {

// Looks for a virtio-net device (after initialize_storage() enumerated PCI) and starts it.
// Without one, or when it fails to start (logged), the kernel runs without a network.
void initialize_network();

// Null when there is no network. NOTE: every call into the interface or the device must hold
// a NetworkLock: the net thread uses them too.
net::Interface* network_interface();
virtio::VirtioNet* network_device();

// Serialises the stack and the driver: interrupts off, so the (single-CPU) scheduler cannot
// switch to the net thread in between. Hold it briefly; never sleep under it.
class NetworkLock {
public:
    NetworkLock() = default;

private:
    x86_64::InterruptDisabler m_guard;
};

// The clock the stack is given (nanoseconds since boot).
u64 network_now_ns();

} // namespace wk::kernel::drivers
