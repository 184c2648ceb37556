#pragma once

#include "base/errno.h"
#include "base/ref_ptr.h"
#include "base/span.h"
#include "kernel/object/kernel_object.h"

// A port (docs/kernel-objects.md, "Ports"): a wait-set. Objects are registered once, each with
// a key and the signals wanted; port_wait then returns a packet (key, signals observed) for
// every registered object that has a wanted signal, without registering anything again
// (level-triggered: a registration stays until removed, and reports again while its signals
// hold). Beside them, a bounded queue of packets that holders put in themselves (port_queue),
// returned once each, first.
//
// A registration holds its own reference to the object: closing the handle it was made from
// does not end it (port_remove, or the port's end, does). Ports cannot be registered in ports
// (no cycles, no recursion in signals()), and handles to ports cannot move through channels
// (no transfer right), so a port is never reachable from an object it holds.
//
// Contract: registrations and the queue change with interrupts off; the references they drop
// are released after the window closes (a destructor may run kernel code).
namespace wk::kernel::object {

struct PortPacket {
    u32 key { 0 };
    u32 signals { 0 };
};

class PortObject final : public KernelObject {
public:
    static constexpr u32 kMaxRegistrations = 64;
    static constexpr u32 kMaxQueuedPackets = 32;

    // NoMem.
    static ErrnoResult<RefPtr<KernelObject>> create();

    ObjectType type() const override { return ObjectType::Port; }
    // kReadable while a packet is ready (queued or from a registration).
    u32 signals() const override;
    u64 next_signal_deadline() const override;

    // Registers `object` under `key` for the signals `wanted`. Inval: wanted is 0 or the
    // object is a port; Exist: `key` is registered already; NoSpc: kMaxRegistrations exist.
    Errno add(RefPtr<KernelObject> object, u32 key, u32 wanted);
    // Ends the registration of `key` (NoEnt when there is none).
    Errno remove(u32 key);
    // Queues a packet (key, signals). Again when kMaxQueuedPackets are queued.
    Errno queue(u32 key, u32 signals);

    // Fills `out` with the ready packets: queued ones first (taken off the queue), then one per
    // registration with a wanted signal (its observed signals & wanted), starting after the last
    // registration reported so that a busy object cannot starve the others of a small `out`.
    // Lowers `next_deadline` to the earliest next_signal_deadline() of the registered objects.
    // Interrupts must be off.
    u32 collect_locked(Span<PortPacket> out, u64& next_deadline);

private:
    struct Registration {
        RefPtr<KernelObject> object; // null: the slot is free
        u32 key { 0 };
        u32 wanted { 0 };
    };

    PortObject() = default;

    Registration m_registrations[kMaxRegistrations];
    u32 m_registration_count { 0 };
    u32 m_scan_start { 0 };
    PortPacket m_queue[kMaxQueuedPackets];
    u32 m_queue_head { 0 };
    u32 m_queue_count { 0 };
};

} // namespace wk::kernel::object
