#include "kernel/object/timer.h"

#include <new>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/object/channel.h"
#include "kernel/time/clock.h"

namespace wk::kernel::object {

ErrnoResult<RefPtr<KernelObject>> TimerObject::create()
{
    auto* timer = new (std::nothrow) TimerObject;
    if (!timer)
        return Errno::NoMem;
    return adopt_ref(*static_cast<KernelObject*>(timer));
}

u32 TimerObject::signals() const
{
    x86_64::InterruptDisabler guard;
    return m_deadline != kNever && time::nanoseconds_since_boot() >= m_deadline ? signals::kTimerFired : 0;
}

u64 TimerObject::next_signal_deadline() const
{
    x86_64::InterruptDisabler guard;
    if (m_deadline == kNever || time::nanoseconds_since_boot() >= m_deadline)
        return kNoDeadline; // not armed, or fired already: nothing changes by itself any more
    // The latest a waiter must wake; saturating (a deadline near ~0 never comes anyway).
    return m_slack >= kNoDeadline - m_deadline ? kNoDeadline : m_deadline + m_slack;
}

void TimerObject::set(u64 deadline_ns, u64 slack_ns)
{
    x86_64::InterruptDisabler guard;
    m_deadline = deadline_ns;
    m_slack = slack_ns;
    notify_signal_change();
}

void TimerObject::cancel()
{
    x86_64::InterruptDisabler guard;
    m_deadline = kNever;
    notify_signal_change();
}

} // namespace wk::kernel::object
