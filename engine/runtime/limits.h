#pragma once

#include <atomic>

#include "base/ref_ptr.h"
#include "base/types.h"

namespace wk::engine::runtime {

// What a store lets hostile modules ask for. Sizes from modules are attacker-controlled:
// anything beyond these is refused with an error (instantiation) or -1 (grow), never
// attempted.
struct RuntimeLimits {
    // Address space reserved for one i64-address memory (its max, capped by this).
    u64 max_memory64_reservation { u64 { 16 } << 30 };
    // Bytes one memory may have committed (its size), any address type.
    u64 max_memory_bytes { u64 { 4 } << 30 };
    // Elements of one table.
    u64 max_table_elements { u64 { 10'000'000 } };
    // Totals over a store: committed memory bytes and table elements of all its
    // memories and tables, so that many modest objects cannot add up to exhaustion.
    u64 max_store_memory_bytes { u64 { 16 } << 30 };
    u64 max_store_table_elements { u64 { 50'000'000 } };
    // Address space all of a store's memories may reserve (an i32 memory takes 8 GiB):
    // 32 TiB is 4096 i32 memories, a quarter of a 47-bit user address space.
    u64 max_store_reserved_bytes { u64 { 32 } << 40 };
    // Bytes of GC objects (structs, arrays and exceptions) a store may hold at once, headers
    // included; they count against max_store_memory_bytes as well. At most 64 GiB.
    u64 max_store_gc_bytes { u64 { 256 } << 20 };
    // For tests of the stack maps (docs/gc.md): collect at every allocation where the
    // collector may run, instead of when the usual trigger says so. Slow; not a limit.
    bool gc_collect_at_every_allocation { false };
};

// A shared allowance that objects charge as they grow and refund when they die.
// Thread-safe (shared memories grow concurrently); reference-counted because objects
// may outlive the store that handed it out.
class ResourceBudget : public RefCounted<ResourceBudget> {
public:
    explicit ResourceBudget(u64 limit)
        : m_limit(limit)
    {
    }

    [[nodiscard]] bool try_charge(u64 amount)
    {
        u64 used = m_used.load(std::memory_order_relaxed);
        for (;;) {
            if (amount > m_limit || used > m_limit - amount)
                return false;
            if (m_used.compare_exchange_weak(used, used + amount, std::memory_order_relaxed))
                return true;
        }
    }
    void refund(u64 amount) { m_used.fetch_sub(amount, std::memory_order_relaxed); }
    u64 used() const { return m_used.load(std::memory_order_relaxed); }
    u64 limit() const { return m_limit; }

private:
    u64 m_limit;
    std::atomic<u64> m_used { 0 };
};

} // namespace wk::engine::runtime
