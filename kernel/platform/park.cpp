// engine/platform.h's parking for the kernel: the token lives in the thread
// (kernel/sched/thread.h), the sleep is the scheduler's, and a kill interrupts it.
#include "engine/platform.h"
#include "kernel/sched/thread.h"
#include "kernel/time/clock.h"

namespace wk::platform {

// NOTE: never defined: a Parker* is the kernel thread it belongs to.
struct Parker;

namespace {

kernel::sched::Thread* thread_of(Parker* parker) { return reinterpret_cast<kernel::sched::Thread*>(parker); }

} // namespace

Parker* current_parker() { return reinterpret_cast<Parker*>(kernel::sched::current()); }

ParkResult park(Parker* parker, u64 deadline_nanoseconds)
{
    kernel::sched::Thread* self = thread_of(parker);
    if (kernel::sched::park_current(deadline_nanoseconds))
        return ParkResult::Unparked;
    if (self->kill_requested())
        return ParkResult::Interrupted;
    if (deadline_nanoseconds != ~u64 { 0 } && kernel::time::nanoseconds_since_boot() >= deadline_nanoseconds)
        return ParkResult::TimedOut;
    return ParkResult::Unparked; // spurious: the caller re-checks
}

void unpark(Parker* parker) { kernel::sched::unpark(thread_of(parker)); }

void clear_park_token(Parker* parker) { kernel::sched::clear_park_token(thread_of(parker)); }

} // namespace wk::platform
