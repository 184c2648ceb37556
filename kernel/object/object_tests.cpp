#include "kernel/arch/x86_64/cpu.h"
#include "kernel/debug/ktest.h"
#include "kernel/object/event.h"
#include "kernel/object/port.h"
#include "kernel/object/timer.h"
#include "kernel/object/wait.h"
#include "kernel/sched/thread.h"
#include "kernel/time/clock.h"

namespace wk::kernel::object {

namespace {

constexpr u32 kUser0 = 1u << signals::kUserShift;
constexpr u32 kUser1 = 2u << signals::kUserShift;

template<typename T>
T& as(RefPtr<KernelObject>& object)
{
    return static_cast<T&>(*object);
}

} // namespace

KERNEL_TEST(event_signal_bits)
{
    auto created = EventObject::create();
    KEXPECT(created.has_value());
    auto& event = as<EventObject>(*created);
    KEXPECT_EQ(event.signals(), 0u);
    KEXPECT(event.signal(kUser0, 0) == Errno::Success);
    KEXPECT_EQ(event.signals(), kUser0);
    KEXPECT(event.signal(signals::kReadable, 0) == Errno::Inval);
    KEXPECT(event.signal(0, 1u << 23) == Errno::Inval);
    KEXPECT_EQ(event.signals(), kUser0);
    KEXPECT(event.signal(kUser1, kUser1 | kUser0) == Errno::Success); // clear, then set
    KEXPECT_EQ(event.signals(), kUser1);
    KEXPECT_EQ(event.next_signal_deadline(), kNoDeadline);
}

KERNEL_TEST(timer_deadlines)
{
    auto created = TimerObject::create();
    KEXPECT(created.has_value());
    auto& timer = as<TimerObject>(*created);
    KEXPECT_EQ(timer.signals(), 0u);
    KEXPECT_EQ(timer.next_signal_deadline(), kNoDeadline);
    u64 later = time::nanoseconds_since_boot() + 1'000'000'000;
    timer.set(later);
    KEXPECT_EQ(timer.signals(), 0u);
    KEXPECT_EQ(timer.next_signal_deadline(), later);
    timer.set(0);
    KEXPECT_EQ(timer.signals(), signals::kTimerFired);
    KEXPECT_EQ(timer.next_signal_deadline(), kNoDeadline);
    timer.cancel();
    KEXPECT_EQ(timer.signals(), 0u);
    timer.set(TimerObject::kNever);
    KEXPECT_EQ(timer.signals(), 0u);
    KEXPECT_EQ(timer.next_signal_deadline(), kNoDeadline);
}

// Slack: the signal from the deadline on, a waiter woken by deadline + slack at the latest.
KERNEL_TEST(timer_slack)
{
    auto early_created = TimerObject::create();
    auto late_created = TimerObject::create();
    KEXPECT(early_created.has_value() && late_created.has_value());
    auto& early = as<TimerObject>(*early_created);
    auto& late = as<TimerObject>(*late_created);
    u64 now = time::nanoseconds_since_boot();
    early.set(now + 10'000'000'000, 5'000'000'000);
    KEXPECT_EQ(early.signals(), 0u);
    KEXPECT_EQ(early.next_signal_deadline(), now + 15'000'000'000);
    early.set(TimerObject::kNever - 10, 100); // saturates: no wake-up of its own
    KEXPECT_EQ(early.next_signal_deadline(), kNoDeadline);
    early.set(now + 10'000'000'000, ~u64 { 0 });
    KEXPECT_EQ(early.next_signal_deadline(), kNoDeadline);
    early.set(0, 5'000'000'000); // slack never delays the signal itself
    KEXPECT_EQ(early.signals(), signals::kTimerFired);
    KEXPECT_EQ(early.next_signal_deadline(), kNoDeadline);
    early.set(now, 0);
    KEXPECT_EQ(early.signals(), signals::kTimerFired);

    // Coalescing: a wait on both sleeps until the later timer's deadline, inside the earlier
    // one's slack (far deadlines: nothing fires while this looks).
    now = time::nanoseconds_since_boot();
    early.set(now + 10'000'000'000, 10'000'000'000);
    late.set(now + 15'000'000'000);
    KEXPECT_EQ(late.next_signal_deadline(), now + 15'000'000'000);
    KEXPECT(late.next_signal_deadline() < early.next_signal_deadline());
    // ... and whatever wakes it then finds the earlier fired (lower bounds only: the machine
    // may be slow); set again, slack 0 is the plain deadline.
    now = time::nanoseconds_since_boot();
    u64 early_deadline = now + 2'000'000;
    early.set(early_deadline, 10'000'000);
    late.set(now + 4'000'000);
    auto check = [&](u64& next) {
        u64 own = early.next_signal_deadline() < late.next_signal_deadline() ? early.next_signal_deadline()
                                                                              : late.next_signal_deadline();
        next = own < next ? own : next;
        return early.signals() & signals::kTimerFired ? Errno::Success : Errno::Again;
    };
    KEXPECT(wait_until(kNoDeadline, check) == Errno::Success);
    KEXPECT(time::nanoseconds_since_boot() >= early_deadline);
    early.set(early_deadline);
    KEXPECT_EQ(early.next_signal_deadline(), kNoDeadline); // fired: no later wake-up
}

// A wait with no deadline of its own ends when the timer it looks at fires, not before.
KERNEL_TEST(wait_until_timer)
{
    auto created = TimerObject::create();
    KEXPECT(created.has_value());
    auto& timer = as<TimerObject>(*created);
    u64 deadline = time::nanoseconds_since_boot() + 3'000'000;
    timer.set(deadline);
    u32 looks = 0;
    auto check = [&](u64& next) {
        ++looks;
        u64 own = timer.next_signal_deadline();
        next = own < next ? own : next;
        return timer.signals() & signals::kTimerFired ? Errno::Success : Errno::Again;
    };
    KEXPECT(wait_until(kNoDeadline, check) == Errno::Success);
    KEXPECT(time::nanoseconds_since_boot() >= deadline);
    KEXPECT(looks >= 2);
    // A wait's own deadline: TimedOut once it passed.
    u64 own_deadline = time::nanoseconds_since_boot() + 2'000'000;
    timer.cancel();
    KEXPECT(wait_until(own_deadline, check) == Errno::TimedOut);
    KEXPECT(time::nanoseconds_since_boot() >= own_deadline);
}

// More threads in waits with a deadline at once than there once were slots for (64): each
// still sleeps until the signal it waits for, and none polls meanwhile (a thread without a slot
// woke every millisecond, so it looked about 20 times during the 20 ms before the signal).
namespace {

constexpr u32 kDeadlineWaiters = 80;

struct DeadlineWaitJob {
    EventObject* event { nullptr };
    u64 deadline { 0 };
    u32 started { 0 };
    u32 looks[kDeadlineWaiters] {};
    Errno results[kDeadlineWaiters] {};
    u32 next { 0 };
};

i64 wait_with_deadline(void* argument)
{
    auto& job = *static_cast<DeadlineWaitJob*>(argument);
    u32 index;
    {
        x86_64::InterruptDisabler guard;
        index = job.next++;
        ++job.started;
    }
    auto check = [&](u64&) {
        ++job.looks[index];
        return job.event->signals() & kUser0 ? Errno::Success : Errno::Again;
    };
    job.results[index] = wait_until(job.deadline, check);
    return 0;
}

} // namespace

KERNEL_TEST(wait_until_many_deadline_waiters)
{
    auto created = EventObject::create();
    KEXPECT(created.has_value());
    auto& event = as<EventObject>(*created);
    static DeadlineWaitJob job;
    job = DeadlineWaitJob {};
    job.event = &event;
    job.deadline = time::nanoseconds_since_boot() + 20'000'000'000ull;
    sched::Thread* threads[kDeadlineWaiters] = {};
    u32 spawned = 0;
    for (; spawned < kDeadlineWaiters; ++spawned) {
        auto thread = sched::spawn("deadline-waiter", wait_with_deadline, &job, 16 * 1024);
        if (!thread)
            break;
        threads[spawned] = *thread;
    }
    KEXPECT_EQ(spawned, kDeadlineWaiters);
    // Until every one has looked once (and sleeps), then 20 ms more before the signal.
    for (u32 tries = 0; tries < 10'000; ++tries) {
        u32 looked = 0;
        {
            x86_64::InterruptDisabler guard;
            for (u32 i = 0; i < spawned; ++i)
                looked += job.looks[i] > 0 ? 1 : 0;
        }
        if (looked == spawned)
            break;
        sched::sleep_for(1'000'000);
    }
    sched::sleep_for(20'000'000);
    KEXPECT(event.signal(kUser0, 0) == Errno::Success);
    u32 woken = 0, most_looks = 0;
    for (u32 i = 0; i < spawned; ++i) {
        (void)sched::join(threads[i]);
        woken += job.results[i] == Errno::Success ? 1 : 0;
        most_looks = job.looks[i] > most_looks ? job.looks[i] : most_looks;
    }
    KEXPECT_EQ(woken, kDeadlineWaiters);
    KEXPECT(most_looks <= 5);
}

KERNEL_TEST(port_registrations_and_queue)
{
    auto port_created = PortObject::create();
    auto event_created = EventObject::create();
    KEXPECT(port_created.has_value() && event_created.has_value());
    auto& port = as<PortObject>(*port_created);
    auto& event = as<EventObject>(*event_created);
    KEXPECT(port.add(*event_created, 1, 0) == Errno::Inval);
    KEXPECT(port.add(*port_created, 1, signals::kReadable) == Errno::Inval);
    for (u32 key = 0; key < PortObject::kMaxRegistrations; ++key)
        KEXPECT(port.add(*event_created, key, kUser0) == Errno::Success);
    KEXPECT(port.add(*event_created, 100, kUser0) == Errno::NoSpc);
    KEXPECT(port.remove(5) == Errno::Success);
    KEXPECT(port.remove(5) == Errno::NoEnt);
    KEXPECT(port.add(*event_created, 6, kUser0) == Errno::Exist);
    KEXPECT(port.add(*event_created, 5, kUser0) == Errno::Success);
    KEXPECT_EQ(port.signals(), 0u);
    event.signal(kUser0, 0);
    KEXPECT_EQ(port.signals(), signals::kReadable);
    // Small batches take turns: 16 collects of 4 see all 64 registrations once.
    bool seen[PortObject::kMaxRegistrations] = {};
    u32 distinct = 0;
    for (u32 round = 0; round < 16; ++round) {
        PortPacket packets[4];
        u64 next = kNoDeadline;
        x86_64::InterruptDisabler guard;
        u32 count = port.collect_locked(Span<PortPacket>(packets, 4), next);
        KEXPECT_EQ(count, 4u);
        for (u32 i = 0; i < count; ++i) {
            KEXPECT_EQ(packets[i].signals, kUser0);
            if (packets[i].key < PortObject::kMaxRegistrations && !seen[packets[i].key]) {
                seen[packets[i].key] = true;
                ++distinct;
            }
        }
    }
    KEXPECT_EQ(distinct, PortObject::kMaxRegistrations);
    event.signal(0, kUser0);
    for (u32 i = 0; i < PortObject::kMaxQueuedPackets; ++i)
        KEXPECT(port.queue(i, i + 1) == Errno::Success);
    KEXPECT(port.queue(99, 1) == Errno::Again);
    PortPacket packets[PortObject::kMaxQueuedPackets + 1];
    u64 next = kNoDeadline;
    u32 count = 0;
    {
        x86_64::InterruptDisabler guard;
        count = port.collect_locked(Span<PortPacket>(packets, PortObject::kMaxQueuedPackets + 1), next);
    }
    KEXPECT_EQ(count, PortObject::kMaxQueuedPackets);
    KEXPECT(packets[0].key == 0 && packets[31].key == 31 && packets[31].signals == 32);
    KEXPECT_EQ(port.signals(), 0u);
}

} // namespace wk::kernel::object
