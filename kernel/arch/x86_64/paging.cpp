#include "kernel/arch/x86_64/paging.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/mm/memory.h"

namespace wk::kernel::x86_64 {

namespace {

constexpr u64 kTableFlags = kPagePresent | kPageWritable;

u64* table_at(u64 physical) { return static_cast<u64*>(phys_to_virt(physical & kPhysicalAddressMask)); }

usize index_at(u64 virt, int level) { return (virt >> (12 + 9 * (level - 1))) & 511; }

bool is_canonical(u64 virt)
{
    u64 top = virt >> 47;
    return top == 0 || top == 0x1FFFF;
}

} // namespace

Result<PageTables> PageTables::create()
{
    u64 root = TRY(mm::allocate_zeroed_frame());
    return PageTables(root);
}

PageTables PageTables::current() { return PageTables(read_cr3() & kPhysicalAddressMask); }

Result<u64*> PageTables::walk_create(u64 virt, int stop_level)
{
    if (!is_canonical(virt))
        return Error::from("non-canonical virtual address", ErrorKind::OutOfRange);
    u64* table = table_at(m_root);
    for (int level = 4; level > stop_level; --level) {
        u64& entry = table[index_at(virt, level)];
        if (!(entry & kPagePresent)) {
            u64 frame = TRY(mm::allocate_zeroed_frame());
            entry = frame | kTableFlags;
        } else if (entry & kPageHuge) {
            return Error::from("address already mapped by a huge page", ErrorKind::OutOfRange);
        }
        table = table_at(entry);
    }
    return &table[index_at(virt, stop_level)];
}

Result<void> PageTables::map(u64 virt, u64 phys, u64 flags)
{
    if ((virt | phys) & (kPageSize - 1))
        return Error::from("unaligned page mapping", ErrorKind::OutOfRange);
    u64* entry = TRY(walk_create(virt, 1));
    if (*entry & kPagePresent)
        return Error::from("page already mapped", ErrorKind::OutOfRange);
    *entry = phys | flags | kPagePresent;
    return {};
}

Result<void> PageTables::map_huge(u64 virt, u64 phys, u64 flags)
{
    if ((virt | phys) & (kHugePageSize - 1))
        return Error::from("unaligned huge page mapping", ErrorKind::OutOfRange);
    u64* entry = TRY(walk_create(virt, 2));
    if (*entry & kPagePresent)
        return Error::from("page already mapped", ErrorKind::OutOfRange);
    *entry = phys | flags | kPagePresent | kPageHuge;
    return {};
}

Result<u64> PageTables::unmap(u64 virt)
{
    if (!is_canonical(virt) || (virt & (kPageSize - 1)))
        return Error::from("bad address to unmap", ErrorKind::OutOfRange);
    u64* table = table_at(m_root);
    for (int level = 4; level > 1; --level) {
        u64 entry = table[index_at(virt, level)];
        if (!(entry & kPagePresent) || (entry & kPageHuge))
            return Error::from("page not mapped", ErrorKind::OutOfRange);
        table = table_at(entry);
    }
    u64& entry = table[index_at(virt, 1)];
    if (!(entry & kPagePresent))
        return Error::from("page not mapped", ErrorKind::OutOfRange);
    u64 phys = entry & kPhysicalAddressMask;
    entry = 0;
    invlpg(virt);
    return phys;
}

Result<void> PageTables::protect(u64 virt, u64 flags)
{
    if (!is_canonical(virt) || (virt & (kPageSize - 1)))
        return Error::from("bad address to protect", ErrorKind::OutOfRange);
    u64* table = table_at(m_root);
    for (int level = 4; level > 1; --level) {
        u64 entry = table[index_at(virt, level)];
        if (!(entry & kPagePresent) || (entry & kPageHuge))
            return Error::from("page not mapped", ErrorKind::OutOfRange);
        table = table_at(entry);
    }
    u64& entry = table[index_at(virt, 1)];
    if (!(entry & kPagePresent))
        return Error::from("page not mapped", ErrorKind::OutOfRange);
    entry = (entry & kPhysicalAddressMask) | flags | kPagePresent;
    invlpg(virt);
    return {};
}

u64* PageTables::find_entry(u64 virt, int level, u64& next) const
{
    u64* table = table_at(m_root);
    for (int above = 4; above > level; --above) {
        u64 entry = table[index_at(virt, above)];
        if (!(entry & kPagePresent) || (entry & kPageHuge)) {
            u64 span = 1ull << (12 + 9 * (above - 1));
            u64 after = (virt & ~(span - 1)) + span;
            next = after > virt ? after : ~0ull;
            return nullptr;
        }
        table = table_at(entry);
    }
    return &table[index_at(virt, level)];
}

void PageTables::free_empty_tables(u64 base, u64 size)
{
    if (!is_canonical(base) || size == 0)
        return;
    u64 end = base + size;
    // Page tables first (entries of level 2), then the page directories they leave empty.
    for (int level = 2; level <= 3; ++level) {
        u64 span = 1ull << (12 + 9 * (level - 1));
        u64 virt = base & ~(span - 1);
        while (virt < end) {
            u64 next = ~0ull;
            u64* entry = find_entry(virt, level, next);
            if (!entry) {
                virt = next;
                continue;
            }
            if ((*entry & kPagePresent) && !(*entry & kPageHuge)) {
                const u64* child = table_at(*entry);
                bool empty = true;
                for (usize i = 0; i < 512 && empty; ++i)
                    empty = child[i] == 0;
                if (empty) {
                    u64 frame = *entry & kPhysicalAddressMask;
                    *entry = 0;
                    // NOTE: INVLPG also drops every paging-structure cache entry (SDM 4.10.4.1).
                    invlpg(virt);
                    mm::free_frame(frame);
                }
            }
            u64 after = virt + span;
            if (after <= virt)
                break;
            virt = after;
        }
    }
}

u64 PageTables::next_possibly_mapped(u64 virt) const
{
    const u64* table = table_at(m_root);
    for (int level = 4; level > 1; --level) {
        u64 entry = table[index_at(virt, level)];
        if (!(entry & kPagePresent)) {
            u64 span = 1ull << (12 + 9 * (level - 1));
            u64 next = (virt & ~(span - 1)) + span;
            return next > virt ? next : ~0ull;
        }
        if (entry & kPageHuge)
            return virt;
        table = table_at(entry);
    }
    return virt;
}

std::optional<Translation> PageTables::translate(u64 virt) const
{
    if (!is_canonical(virt))
        return std::nullopt;
    const u64* table = table_at(m_root);
    u64 flags = kPageWritable;
    for (int level = 4; level >= 1; --level) {
        u64 entry = table[index_at(virt, level)];
        if (!(entry & kPagePresent))
            return std::nullopt;
        if (!(entry & kPageWritable))
            flags &= ~kPageWritable;
        flags |= entry & kPageNoExecute;
        bool leaf = level == 1 || (level <= 3 && (entry & kPageHuge));
        if (leaf) {
            u64 page_size = 1ull << (12 + 9 * (level - 1));
            u64 base = entry & kPhysicalAddressMask & ~(page_size - 1);
            return Translation { base + (virt & (page_size - 1)), flags | kPagePresent | (entry & (kPageCacheDisable | kPageWriteThrough)) };
        }
        table = table_at(entry);
    }
    return std::nullopt;
}

void PageTables::activate() const { write_cr3(m_root); }

bool is_readable(u64 virt)
{
    if (virt & 7)
        return false;
    return PageTables::current().translate(virt).has_value();
}

} // namespace wk::kernel::x86_64
