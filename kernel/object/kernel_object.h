#pragma once

#include "base/ref_ptr.h"
#include "base/types.h"

// Kernel objects (docs/kernel-objects.md): what a handle refers to. Zircon's split is the model:
// an object is reference-counted and knows nothing of handles; a handle (handle_table.h) is one
// process's reference to an object plus the rights that reference carries, and every right is
// checked at one place, the handle lookup. The last reference dropped destroys the object, on
// the thread that dropped it.
namespace wk::kernel::object {

// What an object is; a handle lookup names the type it expects, so a handle of another type is
// refused before any object code runs. The numbers are ABI (wasmkern.handles records).
enum class ObjectType : u32 {
    None = 0,
    Process = 1,
    Resource = 2, // the root resource: power-off, the process list, any process by pid
    Channel = 3,  // one end of a channel
    Call = 4,     // a function a service offers for direct calls (kernel/proc/direct_call.h)
    Event = 5,    // user signal bits, set and cleared by whoever holds the signal right (event.h)
    Timer = 6,    // signalled from a deadline on the monotonic clock on (timer.h)
    Port = 7,     // a wait-set: objects registered once, packets of their signals (port.h)
};

// Signals a wait observes (ABI bits: wait_many's items, port packets). An object's signals are
// computed when asked (KernelObject::signals), never stored apart from the state they describe.
namespace signals {
inline constexpr u32 kReadable = 1u << 0;   // channel: a message is queued; port: a packet is ready
inline constexpr u32 kWritable = 1u << 1;   // channel: the peer's queue has room and the peer exists
inline constexpr u32 kPeerClosed = 1u << 2; // channel: the other endpoint is gone
inline constexpr u32 kExited = 1u << 3;     // process: it has exited (or has been waited for)
inline constexpr u32 kTimerFired = 1u << 4; // timer: its deadline has passed (until set or cancelled)
inline constexpr u32 kUserShift = 24;
inline constexpr u32 kUserMask = 0xFFu << kUserShift; // events: eight bits their holders set and clear
} // namespace signals

// Rights a handle carries (ABI: wasmkern's `rights` arguments and handles records).
namespace rights {
inline constexpr u32 kDuplicate = 1u << 0; // handle_duplicate, and handing it to a child at spawn
inline constexpr u32 kTransfer = 1u << 1;  // sending it through a channel (it leaves the sender)
inline constexpr u32 kRead = 1u << 2;      // channel_read, port_wait
inline constexpr u32 kWrite = 1u << 3;     // channel_write, timer_set/cancel, port_add/remove/queue
inline constexpr u32 kWait = 1u << 4;      // wait (collect the exit status), wait_many
inline constexpr u32 kSignal = 1u << 5;    // event_signal
inline constexpr u32 kKill = 1u << 6;      // kill, interrupt
inline constexpr u32 kInspect = 1u << 7;   // process_info, ps through the root resource
inline constexpr u32 kPower = 1u << 8;     // poweroff (root resource)
inline constexpr u32 kManage = 1u << 9;    // process_by_pid (root resource)
inline constexpr u32 kCall = 1u << 10;     // call (a direct call into a service)
inline constexpr u32 kNet = 1u << 11;      // outbound connections, resolve, ping (root resource)
inline constexpr u32 kAll = (1u << 12) - 1;
} // namespace rights

class KernelObject : public RefCounted<KernelObject> {
public:
    virtual ~KernelObject();
    virtual ObjectType type() const = 0;

    // The signals the object has now (signals::*). Called with interrupts off: it must not
    // block or allocate.
    virtual u32 signals() const { return 0; }
    // When signals() may next change without anyone calling into the object (a timer's
    // deadline), in nanoseconds since boot; kNoDeadline when only calls change it, which
    // notify_signal_change() (wait.h) after every such change. Interrupts off, as signals().
    static constexpr u64 kNoDeadline = ~u64 { 0 };
    virtual u64 next_signal_deadline() const { return kNoDeadline; }

    // Called by RefCounted when the last reference goes.
    void destroy() { delete this; }

    // Objects alive in the whole system (leak checks: console `mem`, hostile tests).
    static u64 live_count();

protected:
    KernelObject();
};

// The root resource: the authority for operations on the whole machine. It has no state; the
// kernel creates one and gives a handle with every right to the first process.
class ResourceObject final : public KernelObject {
public:
    ObjectType type() const override { return ObjectType::Resource; }
};

} // namespace wk::kernel::object
