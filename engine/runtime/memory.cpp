#include "engine/runtime/memory.h"

#include <optional>

#include "base/checked.h"
#include "engine/platform.h"
#include "engine/runtime/speculation.h"

namespace wk::engine::runtime {

namespace {

// Pages an address type can hold at all (validated modules stay within this).
u64 address_space_pages(const Limits& limits)
{
    u32 address_bits = limits.is_64 ? 64 : 32;
    u32 page_bits = limits.page_size_log2;
    if (address_bits - page_bits >= 64)
        return ~u64 { 0 };
    u64 pages = u64 { 1 } << (address_bits - page_bits);
    if (page_bits == 0 && address_bits == 32)
        pages -= 1; // one-byte pages: the last byte of the address space is unaddressable
    return pages;
}

// pages << log2, saturated.
u64 pages_to_bytes(u64 pages, u32 log2)
{
    if (log2 == 0)
        return pages;
    if (pages > (~u64 { 0 } >> log2))
        return ~u64 { 0 };
    return pages << log2;
}

bool range_fits(u64 offset, u64 length, u64 size)
{
    auto end = checked_add(offset, length);
    return end && *end <= size;
}

u64 round_up_to_host_page(u64 bytes)
{
    u64 page = platform::page_size();
    auto rounded = checked_align_up<u64>(bytes, page);
    return rounded ? *rounded : ~u64 { 0 } & ~(page - 1);
}

// Reservations of kI32Reservation bytes whose first `committed` bytes are accessible and
// zero, and the rest inaccessible.
class ReservationPool {
public:
    struct Slot {
        u8* base { nullptr };
        u64 committed { 0 };
    };

    // Prefers a slot with exactly `committed` bytes accessible.
    std::optional<Slot> take(u64 committed)
    {
        LockGuard guard(m_lock);
        if (m_count == 0)
            return std::nullopt;
        usize chosen = m_count - 1;
        for (usize i = 0; i < m_count; ++i) {
            if (m_slots[i].committed == committed)
                chosen = i;
        }
        Slot slot = m_slots[chosen];
        m_slots[chosen] = m_slots[--m_count];
        return slot;
    }

    bool give(Slot slot)
    {
        LockGuard guard(m_lock);
        if (m_count == kCapacity)
            return false;
        m_slots[m_count++] = slot;
        return true;
    }

    usize size()
    {
        LockGuard guard(m_lock);
        return m_count;
    }

private:
    static constexpr usize kCapacity = 32;
    SpinLock m_lock;
    Slot m_slots[kCapacity] WK_GUARDED_BY(m_lock) {};
    usize m_count WK_GUARDED_BY(m_lock) { 0 };
};

constinit ReservationPool g_reservation_pool;

} // namespace

usize Memory::pooled_reservations() { return g_reservation_pool.size(); }

Result<RefPtr<Memory>> Memory::create(const Limits& limits, const RuntimeLimits& runtime_limits,
                                      RefPtr<ResourceBudget> budget, RefPtr<ResourceBudget> address_space)
{
    if (limits.page_size_log2 != 0 && limits.page_size_log2 != 16)
        return Error::from("invalid custom page size", ErrorKind::Unsupported);
    u32 log2 = limits.page_size_log2;
    u64 declared_max = address_space_pages(limits);
    if (limits.has_max && limits.max < declared_max)
        declared_max = limits.max;
    if (limits.min > declared_max)
        return Error::from("memory minimum exceeds its maximum", ErrorKind::Invalid);

    u64 min_bytes = pages_to_bytes(limits.min, log2);
    u64 allowed_bytes = runtime_limits.max_memory_bytes;
    u64 reservation = kI32Reservation;
    if (limits.is_64) {
        u64 wanted = pages_to_bytes(declared_max, log2);
        if (wanted > runtime_limits.max_memory64_reservation)
            wanted = runtime_limits.max_memory64_reservation;
        if (wanted < min_bytes)
            wanted = min_bytes;
        reservation = round_up_to_host_page(wanted > 0 ? wanted : 1);
        if (reservation < allowed_bytes)
            allowed_bytes = reservation;
    }
    if (min_bytes > allowed_bytes)
        return Error::from("memory size exceeds the runtime limit", ErrorKind::OutOfMemory);
    if (reservation > usize(~usize { 0 }))
        return Error::from("memory reservation too large", ErrorKind::OutOfMemory);

    auto memory = TRY(try_make_ref_counted<Memory>());
    memory->m_limits = limits;
    memory->m_max_pages = declared_max;
    if ((allowed_bytes >> log2) < memory->m_max_pages)
        memory->m_max_pages = allowed_bytes >> log2;

    u64 commit_bytes = round_up_to_host_page(min_bytes);
    if (budget && !budget->try_charge(commit_bytes))
        return Error::from("memory size exceeds the store's budget", ErrorKind::OutOfMemory);
    memory->m_budget = std::move(budget);
    memory->m_committed_bytes = commit_bytes; // what the destructor refunds
    if (address_space && !address_space->try_charge(reservation))
        return Error::from("memory reservations exceed the store's address space", ErrorKind::OutOfMemory);
    memory->m_address_space = std::move(address_space);
    memory->m_reserved_bytes = reservation; // what the destructor refunds and releases

    u64 accessible = 0;
    std::optional<ReservationPool::Slot> slot;
    if (reservation == kI32Reservation)
        slot = g_reservation_pool.take(commit_bytes);
    if (slot) {
        memory->m_vm.base = slot->base;
        accessible = slot->committed;
    } else {
        memory->m_vm.base = static_cast<u8*>(TRY(platform::reserve(static_cast<usize>(reservation))));
    }
    // On failure below, m_recyclable stays false and the destructor releases the
    // reservation whatever state it is in.
    u8* base = memory->m_vm.base;
    if (accessible > commit_bytes)
        TRY(platform::protect(base + commit_bytes, static_cast<usize>(accessible - commit_bytes), platform::Access::None));
    else if (accessible < commit_bytes)
        TRY(platform::commit(base + accessible, static_cast<usize>(commit_bytes - accessible)));
    memory->m_vm.bound_bytes = min_bytes;
    memory->m_recyclable = reservation == kI32Reservation;
    return memory;
}

Memory::~Memory()
{
    if (m_budget)
        m_budget->refund(m_committed_bytes);
    if (m_address_space)
        m_address_space->refund(m_reserved_bytes);
    if (!m_vm.base)
        return;
    if (m_recyclable && platform::discard(m_vm.base, static_cast<usize>(m_committed_bytes)).has_value()
        && g_reservation_pool.give({ m_vm.base, m_committed_bytes }))
        return;
    platform::release(m_vm.base, static_cast<usize>(m_reserved_bytes));
}

Limits Memory::current_limits() const
{
    Limits limits = m_limits;
    limits.min = size_pages();
    return limits;
}

u64 Memory::committed_bytes() const
{
    LockGuard guard(m_grow_lock);
    return m_committed_bytes;
}

u64 Memory::grow(u64 delta_pages)
{
    constexpr u64 kFailed = ~u64 { 0 };
    LockGuard guard(m_grow_lock);
    u64 old_pages = size_pages();
    if (delta_pages == 0)
        return old_pages;
    auto new_pages = checked_add(old_pages, delta_pages);
    if (!new_pages || *new_pages > m_max_pages)
        return kFailed;
    u64 new_bytes = pages_to_bytes(*new_pages, m_limits.page_size_log2);
    if (new_bytes > m_reserved_bytes)
        return kFailed;
    u64 commit_end = round_up_to_host_page(new_bytes);
    if (commit_end > m_committed_bytes) {
        if (commit_end > m_reserved_bytes)
            return kFailed;
        u64 extra = commit_end - m_committed_bytes;
        if (m_budget && !m_budget->try_charge(extra))
            return kFailed;
        auto committed = platform::commit(m_vm.base + m_committed_bytes, static_cast<usize>(extra));
        if (committed.is_error()) {
            if (m_budget)
                m_budget->refund(extra);
            m_recyclable = false; // part of the range may have become accessible
            return kFailed;
        }
        m_committed_bytes = commit_end;
    }
    __atomic_store_n(&m_vm.bound_bytes, new_bytes, __ATOMIC_RELEASE);
    return old_pages;
}

bool Memory::in_bounds(u64 offset, u64 length) const { return range_fits(offset, length, size_bytes()); }

// NOTE: each access below reads the size once, checks against it, and then computes its
// range through clamp_range (speculation.h) so that a mispredicted check touches nothing.

bool Memory::write(u64 offset, ReadonlyBytes bytes)
{
    u64 size = size_bytes();
    if (!range_fits(offset, bytes.size(), size))
        return false;
    ClampedRange range = clamp_range(offset, bytes.size(), size);
    if (range.length)
        __builtin_memmove(m_vm.base + range.offset, bytes.data(), range.length);
    return true;
}

bool Memory::read(u64 offset, Bytes out) const
{
    u64 size = size_bytes();
    if (!range_fits(offset, out.size(), size))
        return false;
    ClampedRange range = clamp_range(offset, out.size(), size);
    if (range.length)
        __builtin_memmove(out.data(), m_vm.base + range.offset, range.length);
    return true;
}

bool Memory::fill(u64 offset, u8 value, u64 length)
{
    u64 size = size_bytes();
    if (!range_fits(offset, length, size))
        return false;
    ClampedRange range = clamp_range(offset, length, size);
    if (range.length)
        __builtin_memset(m_vm.base + range.offset, value, range.length);
    return true;
}

} // namespace wk::engine::runtime
