#pragma once

#include "base/errno.h"
#include "base/types.h"
#include "kernel/object/kernel_object.h"

// Waiting for signals (docs/kernel-objects.md, "Signals and waiting"): the one loop behind
// wait_many and port_wait. Signals are computed when asked, so a wait looks at its objects,
// and when nothing it wants is there it sleeps until notify_signal_change() (every call that
// can raise a signal makes one), its own deadline, or the earliest time at which one of its
// objects changes by itself (a timer's deadline), whichever comes first, then looks again.
// The look and the sleep happen with interrupts off (one CPU), so no change falls between
// them: no lost wake-up.
namespace wk::kernel::object {

// Nanoseconds since boot; KernelObject::kNoDeadline waits without one.
inline constexpr u64 kNoDeadline = KernelObject::kNoDeadline;

// `check(next_deadline)` runs with interrupts off: Success ends the wait (success), Again
// keeps waiting, any other value ends it with that error. It lowers `next_deadline` to the
// earliest next_signal_deadline() of what it looked at. Ends with TimedOut once
// `deadline_ns` has passed (a check that succeeds then still wins) and with Intr when the
// calling thread is killed.
using WaitCheck = Errno (*)(void* context, u64& next_deadline);
Errno wait_until(u64 deadline_ns, WaitCheck check, void* context);

template<typename Check>
Errno wait_until(u64 deadline_ns, Check& check)
{
    return wait_until(
        deadline_ns, [](void* context, u64& next_deadline) { return (*static_cast<Check*>(context))(next_deadline); },
        &check);
}

// A deadline `timeout_ns` from now, saturating (a huge timeout is no deadline).
u64 deadline_after(u64 timeout_ns);

} // namespace wk::kernel::object
