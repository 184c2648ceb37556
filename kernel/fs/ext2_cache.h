#pragma once

#include "base/result.h"
#include "base/span.h"
#include "base/types.h"
#include "base/vector.h"
#include "kernel/drivers/block_device.h"

// A bounded write-back cache of file system blocks between ext2::Volume and its BlockDevice.
// Changed blocks stay in memory (dirty) until write_back()/flush(), or until a dirty block
// must make room: then every dirty block is written, so a large write reaches the disk in
// batches, not block by block. A write-back goes kind by kind in the order of BlockKind
// (ascending block numbers inside a kind, consecutive blocks in one request), each request
// complete before the next starts: a disk cut off part-way through holds only states that
// e2fsck -p repairs (docs/storage.md, "Write order").
//
// NOTE: a span returned by read/modify/overwrite is valid only until the next call on the
// cache (that call may evict its slot). Not thread-safe: the volume's caller serialises.
namespace wk::kernel::fs::ext2 {

// What a dirty block holds, in the order a write-back writes them: what points to a block
// reaches the disk after the block, and an allocation is marked in the bitmaps last.
enum class BlockKind : u8 {
    Superblock, // first: its "not clean" mark precedes what it warns of (e2fsck -p corrects
                // its free counts whatever the order)
    Fresh,      // new contents (overwrite()) that nothing on the disk points to yet
    Content,    // changed file, directory or indirect blocks
    InodeTable, // inode records
    Allocation, // bitmaps, group descriptors
};

class BlockCache {
public:
    static constexpr u32 kDefaultCapacity = 128;
    // Consecutive dirty blocks are written in requests of at most this many bytes.
    static constexpr u32 kBatchBytes = 256 * 1024;

    struct Stats {
        u64 hits { 0 };
        u64 misses { 0 };
        u64 blocks_written { 0 };
        u64 write_requests { 0 };
        u64 flushes { 0 };
    };

    BlockCache() = default;
    BlockCache(BlockCache&&) = default;
    BlockCache& operator=(BlockCache&&) = default;

    // `block_count` bounds every block number (the file system's size); `capacity` blocks
    // of `block_size` bytes are allocated now, never more.
    Result<void> initialize(drivers::BlockDevice&, u32 block_size, u32 block_count, u32 capacity = kDefaultCapacity);

    // The block's bytes, read from the disk on a miss.
    Result<Bytes> read(u32 block);
    // The same, marked dirty: the caller changes the bytes. A block already dirty keeps the
    // earlier of its kinds.
    Result<Bytes> modify(u32 block, BlockKind = BlockKind::Content);
    // A block whose old contents do not matter (newly allocated, or about to be written whole):
    // zeroed and dirty, without a read.
    Result<Bytes> overwrite(u32 block);
    // Drops a block without writing it (it was freed). Until the next write-back,
    // frees_unwritten() is true: the pointers to the block may still be on the disk, so the
    // block must not be handed out again before then.
    void forget(u32 block);
    bool frees_unwritten() const { return m_frees_unwritten; }
    // `buffer` holds `count` blocks read from the disk from `first`: copies the cached dirty
    // ones over it, so a read that bypasses the cache still sees every change.
    void overlay(u32 first, u32 count, Bytes buffer) const;
    // Writes every dirty block to the device (no device flush).
    Result<void> write_back();
    // write_back(), then BlockDevice::flush(): on return every change is on stable storage.
    Result<void> flush();

    u32 dirty_count() const;
    const Stats& stats() const { return m_stats; }
    u32 block_size() const { return m_block_size; }

private:
    static constexpr u32 kNoBlock = ~0u;
    struct Slot {
        u32 block { kNoBlock };
        bool dirty { false };
        BlockKind kind { BlockKind::Content };
        u64 last_use { 0 };
    };

    Bytes slot_bytes(usize index) { return Bytes(m_data.data() + index * m_block_size, m_block_size); }
    // The slot holding `block`, loading it (or zeroing it, when !load) on a miss.
    Result<usize> slot_for(u32 block, bool load);
    Result<void> write_run(u32 first, u32 count);

    drivers::BlockDevice* m_device { nullptr };
    u32 m_block_size { 0 };
    u32 m_block_count { 0 };
    u64 m_clock { 0 };
    Vector<Slot> m_slots;
    Vector<u8> m_data;
    bool m_frees_unwritten { false };
    Vector<u32> m_order; // scratch for write_back: dirty slot indices by kind, then block
    Vector<u8> m_batch;  // scratch for write_back: one request's bytes
    Stats m_stats;
};

} // namespace wk::kernel::fs::ext2
