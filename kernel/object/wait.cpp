#include "kernel/object/wait.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/object/channel.h"
#include "kernel/sched/thread.h"
#include "kernel/time/clock.h"

namespace wk::kernel::object {

Errno wait_until(u64 deadline_ns, WaitCheck check, void* context)
{
    x86_64::InterruptDisabler guard;
    for (;;) {
        u64 next = deadline_ns;
        Errno result = check(context, next);
        if (result != Errno::Again)
            return result;
        if (sched::current()->kill_requested())
            return Errno::Intr;
        if (next == kNoDeadline) {
            wait_for_signal_change();
            continue;
        }
        u64 now = time::nanoseconds_since_boot();
        if (now >= next) {
            if (now >= deadline_ns)
                return Errno::TimedOut;
            continue; // an object's own deadline passed: its signals changed, look again
        }
        wait_for_signal_change(next - now);
    }
}

u64 deadline_after(u64 timeout_ns)
{
    u64 now = time::nanoseconds_since_boot();
    return timeout_ns >= kNoDeadline - now ? kNoDeadline : now + timeout_ns;
}

} // namespace wk::kernel::object
