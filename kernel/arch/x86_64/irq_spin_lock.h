#pragma once

#include <atomic>

#include "base/assert.h"
#include "base/lock.h"
#include "kernel/arch/x86_64/cpu.h"

// The kernel's lock for data shared between CPUs and interrupt handlers
// (docs/boot-and-machine-state.md, "SMP").
namespace wk::kernel::x86_64 {

// What lock() found: whether interrupts were on. unlock() restores it.
enum class InterruptState : bool { WereOff = false, WereOn = true };

// A spin lock (base/lock.h's SpinLock) that disables interrupts on this CPU before it spins
// and restores their state after it lets go, so that an interrupt handler on the holder's CPU
// never spins on the lock its own CPU holds, and a holder is never preempted.
//
// Contract: a hold is short and bounded; no sleep, block, yield, preemption point or wait for
// another CPU under it, and never work a guest sizes. Not recursive: taking a lock its own CPU
// holds panics instead of spinning forever. Take it through IrqLockGuard (or a scoped guard
// built on it); nested holds are released in reverse order, which the guards ensure.
class WK_CAPABILITY("irq spin lock") IrqSpinLock {
public:
    constexpr IrqSpinLock() = default;
    IrqSpinLock(const IrqSpinLock&) = delete;
    IrqSpinLock& operator=(const IrqSpinLock&) = delete;

    [[nodiscard]] InterruptState lock() WK_ACQUIRE()
    {
        auto state = interrupts_enabled() ? InterruptState::WereOn : InterruptState::WereOff;
        cli();
        uptr self = current_cpu_address();
        WK_ASSERT(m_owner.load(std::memory_order_relaxed) != self);
        m_lock.lock();
        m_owner.store(self, std::memory_order_relaxed);
        return state;
    }

    void unlock(InterruptState state) WK_RELEASE()
    {
        WK_ASSERT(m_owner.load(std::memory_order_relaxed) == current_cpu_address());
        m_owner.store(0, std::memory_order_relaxed);
        m_lock.unlock();
        if (state == InterruptState::WereOn)
            sti();
    }

    // True when this CPU holds the lock (for assertions).
    bool is_held_here() const { return m_owner.load(std::memory_order_relaxed) == current_cpu_address(); }

private:
    SpinLock m_lock;
    // The holder's Cpu (its GS base), 0 when free: written only by the holder, read to catch
    // a CPU taking a lock it holds already.
    std::atomic<uptr> m_owner { 0 };
};

// Holds an IrqSpinLock for its scope.
class WK_SCOPED_CAPABILITY IrqLockGuard {
public:
    explicit IrqLockGuard(IrqSpinLock& lock) WK_ACQUIRE(lock)
        : m_lock(lock)
        , m_state(lock.lock())
    {
    }
    ~IrqLockGuard() WK_RELEASE() { m_lock.unlock(m_state); }

    IrqLockGuard(const IrqLockGuard&) = delete;
    IrqLockGuard& operator=(const IrqLockGuard&) = delete;

private:
    IrqSpinLock& m_lock;
    InterruptState m_state;
};

} // namespace wk::kernel::x86_64
