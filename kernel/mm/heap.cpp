#include "kernel/mm/heap.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <new>

namespace wk::kernel::mm {

namespace {

constexpr u64 kSlabMagic = 0x51ab'0dd5'e7c0'ffeeull;
constexpr u64 kFreedSlabMagic = 0xf5ee'51ab'dead'0001ull;
constexpr u64 kLargeMagic = 0x1a76'e0b1'0c4b'eef5ull;
constexpr u64 kFreedLargeMagic = 0xf5ee'1a76'dead'0002ull;
constexpr u64 kAllOnes = ~u64 { 0 };
constexpr usize kMaxSlots = 256;
constexpr usize kSlabHeaderSize = 64;

constexpr usize align_up(usize value, usize alignment)
{
    return (value + alignment - 1) & ~(alignment - 1);
}

// NOTE: free() reads the first word of the page under any pointer it is given, on
// purpose; in a hosted sanitizer build that word may be poisoned (a stack redzone).
[[clang::no_sanitize("address")]] u64 read_page_word(uptr page)
{
    return *reinterpret_cast<const volatile u64*>(page);
}

constexpr usize class_size(usize class_index)
{
    return Heap::kMinBlockSize << class_index;
}

} // namespace

struct Heap::SlabHeader {
    u64 magic;
    SlabHeader* prev;
    SlabHeader* next;
    u16 class_index;
    u16 free_count;
    u64 used[kMaxSlots / 64]; // 1 = slot handed out, or past the capacity
};

struct Heap::LargeHeader {
    u64 magic;
    LargeHeader* prev;
    LargeHeader* next;
    usize page_count;
    usize block_offset; // from the header to the block
};

namespace {

// Slots start at a multiple of the class size, which makes every block naturally aligned.
constexpr usize first_slot_offset(usize class_index)
{
    return align_up(kSlabHeaderSize, class_size(class_index));
}

constexpr usize slab_capacity(usize class_index)
{
    return (Heap::kPageSize - first_slot_offset(class_index)) / class_size(class_index);
}

} // namespace

static_assert(slab_capacity(0) <= kMaxSlots);
static_assert(class_size(Heap::kClassCount - 1) == Heap::kMaxSlabBlockSize);

u64 Heap::magic(u64 kind, const void* header) const
{
    return kind ^ reinterpret_cast<uptr>(header) ^ (reinterpret_cast<uptr>(this) << 1) ^ m_cookie;
}

Result<void*> Heap::allocate(usize size, usize alignment)
{
    if (!std::has_single_bit(alignment))
        return Error::from("heap alignment is not a power of two", ErrorKind::Invalid);
    if (alignment > kMaxAlignment)
        return Error::from("heap alignment above 4096", ErrorKind::Unsupported);
    usize need = std::max({ size, alignment, kMinBlockSize });
    if (need <= kMaxSlabBlockSize)
        return allocate_small(static_cast<usize>(std::countr_zero(std::bit_ceil(need) / kMinBlockSize)));
    return allocate_large(std::max(size, kMinBlockSize), alignment);
}

Result<void*> Heap::take_pages(usize count)
{
    void* pages = TRY(m_source.allocate_pages(count));
    if (pages == nullptr)
        return Error::out_of_memory();
    if (reinterpret_cast<uptr>(pages) % kPageSize != 0) {
        m_source.free_pages(pages, count);
        return Error::from("page source returned memory that is not page-aligned", ErrorKind::Invalid);
    }
    m_pages_held += count;
    return pages;
}

Result<void*> Heap::allocate_small(usize class_index)
{
    static_assert(sizeof(SlabHeader) <= kSlabHeaderSize);
    SlabHeader* slab = m_partial[class_index];
    if (slab == nullptr) {
        if (m_spare[class_index] != nullptr) {
            slab = m_spare[class_index];
            m_spare[class_index] = nullptr;
        } else {
            void* page = TRY(take_pages(1));
            slab = new (page) SlabHeader {};
            slab->magic = magic(kSlabMagic, slab);
            slab->class_index = static_cast<u16>(class_index);
            usize capacity = slab_capacity(class_index);
            slab->free_count = static_cast<u16>(capacity);
            for (usize word = 0; word < kMaxSlots / 64; ++word) {
                usize first = word * 64;
                if (capacity <= first)
                    slab->used[word] = kAllOnes;
                else if (capacity - first < 64)
                    slab->used[word] = kAllOnes << (capacity - first);
                else
                    slab->used[word] = 0;
            }
        }
        push_partial(slab);
    }

    usize slot = 0;
    for (usize word = 0; word < kMaxSlots / 64; ++word) {
        if (slab->used[word] != kAllOnes) {
            slot = word * 64 + static_cast<usize>(std::countr_one(slab->used[word]));
            break;
        }
    }
    slab->used[slot / 64] |= u64 { 1 } << (slot % 64);
    if (--slab->free_count == 0)
        unlink_partial(slab);
    m_bytes_in_use += class_size(class_index);
    m_peak_bytes_in_use = m_bytes_in_use > m_peak_bytes_in_use ? m_bytes_in_use : m_peak_bytes_in_use;
    ++m_live_blocks;
    return reinterpret_cast<u8*>(slab) + first_slot_offset(class_index) + slot * class_size(class_index);
}

Result<void*> Heap::allocate_large(usize size, usize alignment)
{
    usize offset = alignment >= kPageSize ? kPageSize : align_up(sizeof(LargeHeader), std::max(alignment, kMinBlockSize));
    if (size > std::numeric_limits<usize>::max() - offset - kPageSize)
        return Error::out_of_memory();
    usize page_count = (offset + size + kPageSize - 1) / kPageSize;
    void* pages = TRY(take_pages(page_count));
    auto* header = new (pages) LargeHeader {};
    header->magic = magic(kLargeMagic, header);
    header->page_count = page_count;
    header->block_offset = offset;
    header->next = m_large;
    if (m_large != nullptr)
        m_large->prev = header;
    m_large = header;
    m_bytes_in_use += page_count * kPageSize - offset;
    m_peak_bytes_in_use = m_bytes_in_use > m_peak_bytes_in_use ? m_bytes_in_use : m_peak_bytes_in_use;
    ++m_live_blocks;
    return reinterpret_cast<u8*>(header) + offset;
}

Result<Heap::Block> Heap::find_block(const void* pointer) const
{
    uptr address = reinterpret_cast<uptr>(pointer);
    if (address % kPageSize == 0) {
        // Only a 4096-aligned large block starts on a page; its header is the page before,
        // which is read only once the block is known to be ours.
        for (LargeHeader* large = m_large; large != nullptr; large = large->next) {
            if (reinterpret_cast<uptr>(large) + large->block_offset == address)
                return Block { nullptr, large, 0 };
        }
        for (const void* freed : m_freed_aligned) {
            if (freed == pointer)
                return Error::from("heap block freed twice", ErrorKind::DoubleFree, address);
        }
        return Error::from("pointer was not allocated by this heap", ErrorKind::OutOfRange, address);
    }

    uptr page = address & ~uptr { kPageSize - 1 };
    u64 found = read_page_word(page);
    usize offset = address - page;
    if (found == magic(kSlabMagic, reinterpret_cast<const void*>(page))) {
        auto* slab = reinterpret_cast<SlabHeader*>(page);
        usize class_index = slab->class_index;
        if (class_index >= kClassCount)
            return Error::from("heap slab header is corrupt", ErrorKind::OutOfRange, address);
        usize first = first_slot_offset(class_index);
        usize size = class_size(class_index);
        if (offset < first || (offset - first) % size != 0 || (offset - first) / size >= slab_capacity(class_index))
            return Error::from("pointer is not the start of a heap block", ErrorKind::OutOfRange, address);
        usize slot = (offset - first) / size;
        if ((slab->used[slot / 64] & (u64 { 1 } << (slot % 64))) == 0)
            return Error::from("heap block freed twice", ErrorKind::DoubleFree, address);
        return Block { slab, nullptr, slot };
    }
    if (found == magic(kLargeMagic, reinterpret_cast<const void*>(page))) {
        auto* large = reinterpret_cast<LargeHeader*>(page);
        if (offset != large->block_offset)
            return Error::from("pointer is not the start of a heap block", ErrorKind::OutOfRange, address);
        return Block { nullptr, large, 0 };
    }
    if (found == magic(kFreedSlabMagic, reinterpret_cast<const void*>(page))
        || found == magic(kFreedLargeMagic, reinterpret_cast<const void*>(page)))
        return Error::from("heap block freed twice", ErrorKind::DoubleFree, address);
    return Error::from("pointer was not allocated by this heap", ErrorKind::OutOfRange, address);
}

Result<usize> Heap::block_size(const void* pointer) const
{
    Block block = TRY(find_block(pointer));
    if (block.slab != nullptr)
        return class_size(block.slab->class_index);
    return block.large->page_count * kPageSize - block.large->block_offset;
}

Result<void> Heap::free(void* pointer)
{
    if (pointer == nullptr)
        return {};
    Block block = TRY(find_block(pointer));

    if (block.slab != nullptr) {
        SlabHeader* slab = block.slab;
        usize class_index = slab->class_index;
        slab->used[block.index / 64] &= ~(u64 { 1 } << (block.index % 64));
        bool was_full = slab->free_count == 0;
        ++slab->free_count;
        m_bytes_in_use -= class_size(class_index);
        --m_live_blocks;
        if (slab->free_count == slab_capacity(class_index)) {
            if (!was_full)
                unlink_partial(slab);
            if (m_spare[class_index] == nullptr)
                m_spare[class_index] = slab;
            else
                release_slab(slab);
        } else if (was_full) {
            push_partial(slab);
        }
        return {};
    }

    LargeHeader* large = block.large;
    if (large->prev != nullptr)
        large->prev->next = large->next;
    else
        m_large = large->next;
    if (large->next != nullptr)
        large->next->prev = large->prev;
    m_bytes_in_use -= large->page_count * kPageSize - large->block_offset;
    --m_live_blocks;
    m_pages_held -= large->page_count;
    if (large->block_offset == kPageSize) {
        m_freed_aligned[m_freed_aligned_next] = pointer;
        m_freed_aligned_next = (m_freed_aligned_next + 1) % kFreedAlignedCount;
    }
    large->magic = magic(kFreedLargeMagic, large);
    m_source.free_pages(large, large->page_count);
    return {};
}

void Heap::release_slab(SlabHeader* slab)
{
    slab->magic = magic(kFreedSlabMagic, slab);
    --m_pages_held;
    m_source.free_pages(slab, 1);
}

void Heap::trim()
{
    for (auto& spare : m_spare) {
        if (spare != nullptr)
            release_slab(spare);
        spare = nullptr;
    }
}

void Heap::push_partial(SlabHeader* slab)
{
    SlabHeader*& head = m_partial[slab->class_index];
    slab->prev = nullptr;
    slab->next = head;
    if (head != nullptr)
        head->prev = slab;
    head = slab;
}

void Heap::unlink_partial(SlabHeader* slab)
{
    if (slab->prev != nullptr)
        slab->prev->next = slab->next;
    else
        m_partial[slab->class_index] = slab->next;
    if (slab->next != nullptr)
        slab->next->prev = slab->prev;
    slab->prev = nullptr;
    slab->next = nullptr;
}

} // namespace wk::kernel::mm
