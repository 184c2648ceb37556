#pragma once

#include <optional>

#include "base/result.h"
#include "base/types.h"

// 4-level x86-64 page tables for the kernel address space. Tables are reached through the
// direct map, so this works only once the frame allocator and direct map exist.
namespace wk::kernel::x86_64 {

enum PageFlags : u64 {
    kPagePresent = 1ull << 0,
    kPageWritable = 1ull << 1,
    kPageUser = 1ull << 2,
    kPageWriteThrough = 1ull << 3,
    kPageCacheDisable = 1ull << 4,
    kPageHuge = 1ull << 7,
    kPageGlobal = 1ull << 8,
    kPageNoExecute = 1ull << 63,
};

constexpr u64 kPageSize = 4096;
constexpr u64 kHugePageSize = 2ull << 20;
constexpr u64 kPhysicalAddressMask = 0x000FFFFFFFFFF000ull;

struct Translation {
    u64 physical;
    u64 flags; // effective: writable only if every level is, no-execute if any level is
};

class PageTables {
public:
    // Creates empty tables (one zeroed PML4 frame).
    static Result<PageTables> create();
    // The tables CR3 points at now.
    static PageTables current();

    u64 root_physical() const { return m_root; }

    // Maps one 4 KiB page. Fails with OutOfRange if something is already mapped there.
    Result<void> map(u64 virt, u64 phys, u64 flags);
    // Maps one 2 MiB page (both addresses 2 MiB aligned).
    Result<void> map_huge(u64 virt, u64 phys, u64 flags);
    // Removes a 4 KiB mapping and flushes it from this CPU's TLB; returns the physical page.
    Result<u64> unmap(u64 virt);
    std::optional<Translation> translate(u64 virt) const;
    // `virt` (page aligned) when a 4 KiB page at it may be mapped, otherwise the start of
    // the next span whose table exists (skips a missing table at any level at once), so
    // that walking a sparse range (an 8 GiB wasm memory reservation) costs per table, not
    // per page. Never less than `virt`; ~0 past the top of the address space.
    u64 next_possibly_mapped(u64 virt) const;
    // Frees the page tables and page directories under [base, base + size) that map nothing
    // any more (the top-level tables stay: their entries are shared). For ranges given back
    // for good (the wasm region's releases), so that page tables do not pile up.
    void free_empty_tables(u64 base, u64 size);
    // Replaces the flags of a mapped 4 KiB page (keeping its frame) and flushes it.
    Result<void> protect(u64 virt, u64 flags);

    void activate() const;

private:
    explicit PageTables(u64 root)
        : m_root(root)
    {
    }
    Result<u64*> walk_create(u64 virt, int stop_level);
    // The entry at `level` for `virt` without creating tables, or nullptr when a table above
    // is missing (or a huge page maps it), with `next` set past the span of that entry.
    u64* find_entry(u64 virt, int level, u64& next) const;

    u64 m_root;
};

// The direct map: all physical memory at DIRECT_MAP_BASE.
inline void* phys_to_virt(u64 physical) { return reinterpret_cast<void*>(0xFFFF800000000000ull + physical); }

// True if reading 8 bytes at `virt` cannot fault (used by the backtrace and panic paths).
bool is_readable(u64 virt);

} // namespace wk::kernel::x86_64
