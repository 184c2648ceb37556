#pragma once

#include "base/intrusive_list.h"
#include "base/lock.h"
#include "base/types.h"

namespace wk::platform {
struct Parker;
}

namespace wk::engine::runtime {

class Memory;

// What memory.atomic.wait returns to wasm code (the spec's values).
enum class WaitResult : u32 { Ok = 0, NotEqual = 1, TimedOut = 2 };

// A thread blocked in memory.atomic.wait. NOTE: it lives on the waiting thread's stack
// for exactly the length of the wait, so any number of waiters costs no heap memory.
struct Waiter {
    u64 address { 0 };
    platform::Parker* parker { nullptr };
    bool notified { false };
    IntrusiveListNode node;
};

// The waiters of one memory, keyed by address (the memory's identity is the queue's
// owner). One lock guards the list and the value check: wait reads the memory word and
// queues itself under it, and notify dequeues under it, so a notify that follows the
// store a waiter was waiting for cannot miss that waiter.
class WaiterQueue {
public:
    WaiterQueue() = default;
    WaiterQueue(const WaiterQueue&) = delete;
    WaiterQueue& operator=(const WaiterQueue&) = delete;

    // Blocks the calling thread while the `bytes`-wide (4 or 8) word at `word` equals
    // `expected`, keyed by `address`, until notified or `timeout_ns` passed (negative:
    // no timeout). `interrupted` is set when the environment interrupted the wait (the
    // kernel's kill); the result is then TimedOut and the caller must leave the
    // activation.
    WaitResult wait(const u8* word, u64 address, u32 bytes, u64 expected, i64 timeout_ns, bool& interrupted);
    // Wakes up to `count` waiters at `address`, oldest first; returns how many.
    u32 notify(u64 address, u32 count);
    // Waiters queued now (tests).
    usize waiter_count();

private:
    SpinLock m_lock;
    IntrusiveList<Waiter, &Waiter::node> m_waiters WK_GUARDED_BY(m_lock);
};

// memory.atomic.wait32/64 and memory.atomic.notify on `memory` with the spec's checks in
// the spec's order: the effective address (address + offset) must be a multiple of the
// access size ("unaligned atomic"), then inside the memory ("out of bounds memory
// access"), then (wait only) the memory must be shared ("expected shared memory").
// notify on an unshared memory wakes nobody and returns 0. A wait the environment
// interrupts (the kernel's kill) leaves the thread's wasm activation as TrapKind::Exit, as
// proc_exit does (nothing of the wait is left behind: the waiter is dequeued first).
// NOTE: the result is a value for wasm (<= 0xFFFF'FFFF) or one of the k* codes below,
// which the compiled code turns into a trap at its own trap site (docs/engine-abi.md,
// "Builtins").
inline constexpr u64 kAtomicOutOfBounds = ~u64 { 0 };
inline constexpr u64 kAtomicUnaligned = ~u64 { 1 };
inline constexpr u64 kAtomicUnshared = ~u64 { 2 };
u64 atomic_wait(Memory& memory, u64 address, u64 offset, u32 bytes, u64 expected, i64 timeout_ns);
u64 atomic_notify(Memory& memory, u64 address, u64 offset, u32 count);

} // namespace wk::engine::runtime
