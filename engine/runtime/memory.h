#pragma once

#include "base/lock.h"
#include "base/ref_ptr.h"
#include "base/result.h"
#include "engine/module.h"
#include "engine/runtime/limits.h"
#include "engine/runtime/vm.h"
#include "engine/runtime/waiter.h"

namespace wk::engine::runtime {

// A linear memory (docs/engine-abi.md, "Linear memory"). It reserves its whole possible
// range once and never moves: an i32-address memory reserves 8 GiB (4 GiB of addresses
// plus a 4 GiB guard, so `u32 index + u32 offset` always lands in the reservation); an
// i64-address memory reserves its maximum, capped by RuntimeLimits. Growing commits
// pages inside the reservation; nothing is ever decommitted while the memory lives.
// NOTE: i32 reservations are recycled through a small process-wide pool: a dying
// memory's pages are discarded (zero on next use) and its committed extent kept, so the
// next memory of the same size needs no system call to come into being.
class Memory : public RefCounted<Memory> {
public:
    static constexpr u64 kI32Reservation = u64 { 8 } << 30;

    // limits.min pages are committed (zeroed). Fails with OutOfMemory when the memory
    // could not fit the reservation or the limits. Committed bytes are charged to
    // `budget` and reserved bytes to `address_space` when given (and refunded when the
    // memory dies).
    static Result<RefPtr<Memory>> create(const Limits& limits, const RuntimeLimits& runtime_limits,
                                         RefPtr<ResourceBudget> budget = nullptr,
                                         RefPtr<ResourceBudget> address_space = nullptr);

    ~Memory();

    VMMemory* vm() { return &m_vm; }
    u8* base() const { return m_vm.base; }
    u64 size_bytes() const { return __atomic_load_n(&m_vm.bound_bytes, __ATOMIC_ACQUIRE); }
    u64 size_pages() const { return size_bytes() >> m_limits.page_size_log2; }
    u64 page_size() const { return u64 { 1 } << m_limits.page_size_log2; }
    // The declared type, with min updated to the current size (for import matching).
    Limits current_limits() const;
    bool is_64() const { return m_limits.is_64; }
    bool is_shared() const { return m_limits.is_shared; }
    u64 reserved_bytes() const { return m_reserved_bytes; }
    u64 committed_bytes() const;
    // Pages the memory may grow to: the declared max (or the address-type bound),
    // lowered to what the reservation and the limits allow.
    u64 max_pages() const { return m_max_pages; }

    // Recycled i32 reservations waiting for the next memory (process-wide).
    static usize pooled_reservations();

    // memory.grow: the old size in pages, or -1 (as u64: ~0) when the result would
    // exceed max_pages() or committing fails. delta 0 always succeeds.
    u64 grow(u64 delta_pages);

    // Whether [offset, offset + length) is inside the current size.
    bool in_bounds(u64 offset, u64 length) const;
    // Bounds-checked accesses; false (nothing done) when out of bounds.
    bool write(u64 offset, ReadonlyBytes bytes);
    bool read(u64 offset, Bytes out) const;
    bool fill(u64 offset, u8 value, u64 length);

    // The threads blocked in memory.atomic.wait on this memory (engine/runtime/waiter.h).
    WaiterQueue& waiters() { return m_waiters; }

private:
    template<typename U, typename... Args>
    friend Result<RefPtr<U>> wk::try_make_ref_counted_in(Allocator&, Args&&...);
    Memory() = default;

    VMMemory m_vm;
    Limits m_limits;
    u64 m_reserved_bytes { 0 };
    u64 m_committed_bytes { 0 };
    u64 m_max_pages { 0 };
    RefPtr<ResourceBudget> m_budget;
    RefPtr<ResourceBudget> m_address_space; // charged m_reserved_bytes
    // Whether exactly [0, m_committed_bytes) is accessible, so that the reservation
    // can be recycled; cleared when a platform call failed halfway.
    bool m_recyclable { false };
    mutable SpinLock m_grow_lock; // shared memories grow from several threads
    WaiterQueue m_waiters;
};

} // namespace wk::engine::runtime
