#pragma once

#include <array>

#include "base/result.h"
#include "base/types.h"

namespace wk::kernel::mm {

// Where a Heap gets its memory: runs of whole 4 KiB pages, each run 4096-aligned,
// readable and writable until handed back with the same count.
class PageSource {
public:
    virtual Result<void*> allocate_pages(usize count) = 0;
    virtual void free_pages(void* pages, usize count) = 0;

protected:
    ~PageSource() = default;
};

// General-purpose kernel heap. Blocks up to 2048 bytes come from one-page slabs of a
// power-of-two size class (naturally aligned; the slab header starts the page); larger
// blocks, and blocks aligned to 4096, take whole pages with a header in their first page
// (or in the page before the block when the block itself is page-aligned).
//
// free() checks what it is given: a block that is free already is DoubleFree, a pointer
// this heap never handed out (or one into the middle of a block) is OutOfRange, and
// neither changes the heap. To check, free() reads the start of the page holding the
// pointer, so the pointer must lie in mapped memory. Headers carry magic numbers mixed
// with their address, this heap's address and the cookie, so data written into a block
// cannot pass for a header unless the writer knows all three. When a block's pages have
// gone back to the page source, a second free() is still recognised as long as the
// source leaves the first bytes of the page alone; a 4096-aligned large block is only
// recognised among the last few freed (after that it is OutOfRange). Once the memory of
// a freed block has been handed out again, no allocator can tell a stale free from a
// real one.
//
// Empty slabs go back to the page source, except one spare per size class (trim()
// returns those too). The destructor returns nothing: blocks still in use stay valid.
//
// Not thread-safe: the kernel wraps the instance in a lock. No global state.
class Heap {
public:
    static constexpr usize kPageSize = 4096;
    static constexpr usize kMinBlockSize = 16;
    static constexpr usize kMaxSlabBlockSize = 2048;
    static constexpr usize kMaxAlignment = 4096;
    static constexpr usize kClassCount = 8; // 16, 32, ... 2048

    constexpr explicit Heap(PageSource& source, u64 cookie = 0)
        : m_source(source)
        , m_cookie(cookie)
    {
    }
    Heap(const Heap&) = delete;
    Heap& operator=(const Heap&) = delete;

    // alignment must be a power of two (Invalid) up to 4096 (Unsupported). Size 0 gets
    // a minimal block. OutOfMemory when the page source is exhausted or size is absurd.
    [[nodiscard]] Result<void*> allocate(usize size, usize alignment = kMinBlockSize);
    // free(nullptr) does nothing.
    [[nodiscard]] Result<void> free(void* pointer);
    // Usable bytes of a live block (at least what was asked for).
    [[nodiscard]] Result<usize> block_size(const void* pointer) const;

    // Hands spare empty slabs back to the page source.
    void trim();

    // Sum of block_size() over live blocks.
    usize bytes_in_use() const { return m_bytes_in_use; }
    usize pages_held() const { return m_pages_held; }
    // The most bytes in use at once since the last reset (what a phase cost at its peak).
    usize peak_bytes_in_use() const { return m_peak_bytes_in_use; }
    void reset_peak() { m_peak_bytes_in_use = m_bytes_in_use; }
    usize live_blocks() const { return m_live_blocks; }

private:
    struct SlabHeader;
    struct LargeHeader;
    struct Block {
        SlabHeader* slab;
        LargeHeader* large;
        usize index; // slot within the slab
    };

    u64 magic(u64 kind, const void* header) const;
    Result<void*> allocate_small(usize class_index);
    Result<void*> allocate_large(usize size, usize alignment);
    Result<void*> take_pages(usize count);
    Result<Block> find_block(const void* pointer) const;
    void release_slab(SlabHeader* slab);
    void unlink_partial(SlabHeader* slab);
    void push_partial(SlabHeader* slab);

    PageSource& m_source;
    u64 m_cookie;
    std::array<SlabHeader*, kClassCount> m_partial {}; // slabs with free and used slots
    std::array<SlabHeader*, kClassCount> m_spare {};   // one empty slab per class
    LargeHeader* m_large { nullptr };
    static constexpr usize kFreedAlignedCount = 8;
    std::array<const void*, kFreedAlignedCount> m_freed_aligned {}; // recent page-aligned large frees
    usize m_freed_aligned_next { 0 };
    usize m_bytes_in_use { 0 };
    usize m_pages_held { 0 };
    usize m_peak_bytes_in_use { 0 };
    usize m_live_blocks { 0 };
};

} // namespace wk::kernel::mm
