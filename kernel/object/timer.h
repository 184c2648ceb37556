#pragma once

#include "base/errno.h"
#include "base/ref_ptr.h"
#include "kernel/object/kernel_object.h"

// A timer (docs/kernel-objects.md, "Events and timers"): set to a deadline on the monotonic
// clock (nanoseconds since boot, WASI's CLOCK_MONOTONIC), it has signals::kTimerFired from that
// deadline on, until it is set again or cancelled. It needs no timer wheel of its own: its
// signal is a function of the clock, and a wait that wants it sleeps until the deadline
// (next_signal_deadline, wait.h). A deadline of 0 or in the past fires at once; ~0 never fires.
// Slack lets the kernel coalesce wake-ups: the signal is there from the deadline on, but a wait
// is only woken for it by `deadline + slack` (the latest), so a wake-up at any time in between
// (another timer's, a message's) finds it fired and no wake-up of its own is needed.
//
// Contract: the deadline changes with interrupts off; every change wakes the waiters, which
// look again and sleep until the new deadline.
namespace wk::kernel::object {

class TimerObject final : public KernelObject {
public:
    static constexpr u64 kNever = ~u64 { 0 };

    // NoMem.
    static ErrnoResult<RefPtr<KernelObject>> create();

    ObjectType type() const override { return ObjectType::Timer; }
    u32 signals() const override;
    u64 next_signal_deadline() const override;

    // Arms the timer for `deadline_ns` with `slack_ns` of slack (replacing an earlier deadline
    // and slack; a fired timer is unsignalled until the new deadline).
    void set(u64 deadline_ns, u64 slack_ns = 0);
    // Disarms it and clears kTimerFired.
    void cancel();

private:
    TimerObject() = default;

    u64 m_deadline { kNever }; // kNever: not armed
    u64 m_slack { 0 };
};

} // namespace wk::kernel::object
