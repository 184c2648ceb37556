#pragma once

#include "base/errno.h"
#include "base/ref_ptr.h"
#include "kernel/object/kernel_object.h"

// A timer (docs/kernel-objects.md, "Events and timers"): set to a deadline on the monotonic
// clock (nanoseconds since boot, WASI's CLOCK_MONOTONIC), it has signals::kTimerFired from that
// deadline on, until it is set again or cancelled. It needs no timer wheel of its own: its
// signal is a function of the clock, and a wait that wants it sleeps until the deadline
// (next_signal_deadline, wait.h). A deadline of 0 or in the past fires at once; ~0 never fires.
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

    // Arms the timer for `deadline_ns` (replacing an earlier deadline; a fired timer is
    // unsignalled until the new deadline).
    void set(u64 deadline_ns);
    // Disarms it and clears kTimerFired.
    void cancel();

private:
    TimerObject() = default;

    u64 m_deadline { kNever }; // kNever: not armed
};

} // namespace wk::kernel::object
