#include "engine/runtime/waiter.h"

#include "engine/platform.h"
#include "engine/runtime/memory.h"
#include "engine/runtime/trap.h"

namespace wk::engine::runtime {

// NOTE: docs/engine-abi.md quotes this size (the stack cost of a wait).
static_assert(sizeof(Waiter) == 48);

namespace {

u64 load_word(const u8* word, u32 bytes)
{
    if (bytes == 8)
        return __atomic_load_n(reinterpret_cast<const u64*>(word), __ATOMIC_SEQ_CST);
    return __atomic_load_n(reinterpret_cast<const u32*>(word), __ATOMIC_SEQ_CST);
}

// now + timeout, saturated; ~0 (no deadline) for a negative timeout.
u64 deadline_after(i64 timeout_ns)
{
    if (timeout_ns < 0)
        return ~u64 { 0 };
    u64 now = platform::monotonic_nanoseconds();
    u64 deadline = now + static_cast<u64>(timeout_ns);
    return deadline < now || deadline == ~u64 { 0 } ? ~u64 { 0 } - 1 : deadline;
}

} // namespace

WaitResult WaiterQueue::wait(const u8* word, u64 address, u32 bytes, u64 expected, i64 timeout_ns, bool& interrupted)
{
    interrupted = false;
    Waiter waiter;
    waiter.address = address;
    waiter.parker = platform::current_parker();
    u64 deadline = deadline_after(timeout_ns);
    // Nobody can unpark this thread before it is queued: a token left from an earlier
    // wake-up is stale.
    platform::clear_park_token(waiter.parker);
    {
        LockGuard guard(m_lock);
        if (load_word(word, bytes) != expected)
            return WaitResult::NotEqual;
        if (timeout_ns == 0)
            return WaitResult::TimedOut;
        m_waiters.push_back(waiter);
    }
    for (;;) {
        platform::ParkResult parked = platform::park(waiter.parker, deadline);
        LockGuard guard(m_lock);
        if (waiter.notified)
            return WaitResult::Ok; // notify dequeued it
        if (parked == platform::ParkResult::Unparked)
            continue; // spurious
        m_waiters.remove(waiter);
        interrupted = parked == platform::ParkResult::Interrupted;
        return WaitResult::TimedOut;
    }
}

u32 WaiterQueue::notify(u64 address, u32 count)
{
    u32 woken = 0;
    LockGuard guard(m_lock);
    for (auto it = m_waiters.begin(); it != m_waiters.end() && woken < count;) {
        Waiter& waiter = *it;
        ++it;
        if (waiter.address != address)
            continue;
        m_waiters.remove(waiter);
        waiter.notified = true;
        // NOTE: under the lock: the waiter cannot return (and its thread cannot end)
        // before it took the lock, so its parker is alive here.
        platform::unpark(waiter.parker);
        ++woken;
    }
    return woken;
}

usize WaiterQueue::waiter_count()
{
    LockGuard guard(m_lock);
    return m_waiters.size();
}

namespace {

// The spec's checks before either instruction touches the memory; a k* code or 0.
u64 check_access(const Memory& memory, u64 address, u64 offset, u32 bytes, u64& effective)
{
    if (!memory.is_64()) // an i32 address and offset: their sum cannot overflow 64 bits
        address = static_cast<u32>(address);
    effective = address + offset;
    bool overflow = effective < address;
    if (!overflow && (effective & (bytes - 1)) != 0)
        return kAtomicUnaligned;
    if (overflow || !memory.in_bounds(effective, bytes))
        return kAtomicOutOfBounds;
    return 0;
}

} // namespace

u64 atomic_wait(Memory& memory, u64 address, u64 offset, u32 bytes, u64 expected, i64 timeout_ns)
{
    u64 effective = 0;
    if (u64 code = check_access(memory, address, offset, bytes, effective))
        return code;
    if (!memory.is_shared())
        return kAtomicUnshared;
    bool interrupted = false;
    WaitResult result = memory.waiters().wait(memory.base() + effective, effective, bytes, expected, timeout_ns, interrupted);
    if (interrupted) {
        if (Activation* activation = platform::current_activation())
            unwind_activation(activation, TrapKind::Exit);
    }
    return static_cast<u64>(result);
}

u64 atomic_notify(Memory& memory, u64 address, u64 offset, u32 count)
{
    u64 effective = 0;
    if (u64 code = check_access(memory, address, offset, 4, effective))
        return code;
    if (!memory.is_shared())
        return 0;
    return memory.waiters().notify(effective, count);
}

} // namespace wk::engine::runtime
