// ext2 writes, part 2: file contents. Blocks are allocated for what is written (a gap stays
// a hole, an indirect block appears with the first block under it), freed on truncation
// (an indirect block goes with the last block under it), and i_blocks counts both in
// 512-byte units as e2fsck expects.
#include "kernel/fs/ext2.h"
#include "kernel/fs/ext2_internal.h"

namespace wk::kernel::fs::ext2 {

namespace {

constexpr u32 kDirectBlocks = 12;
constexpr u64 kLargeFileSize = 1ull << 31;
constexpr u32 kReadRunBytes = 256 * 1024;

} // namespace

ErrnoResult<void> Volume::ensure_large_file(u64 size)
{
    if (size < kLargeFileSize || (m_sb.feature_ro_compat & kRoCompatLargeFile) != 0)
        return {};
    if (m_sb.revision == 0)
        return Errno::FBig;
    u32 block = static_cast<u32>(kSuperblockOffset / m_sb.block_size);
    u32 at = static_cast<u32>(kSuperblockOffset % m_sb.block_size);
    auto bytes = TRY_IO(m_cache.modify(block));
    m_sb.feature_ro_compat |= kRoCompatLargeFile;
    put32(bytes, at + 100, m_sb.feature_ro_compat);
    return {};
}

ErrnoResult<u32> Volume::map_for_write(Inode& inode, u64 index, bool& fresh)
{
    fresh = false;
    u32 per_block_sectors = m_sb.block_size / static_cast<u32>(drivers::kSectorSize);
    u32 group_start = m_sb.first_data_block + (inode.number - 1) / m_sb.inodes_per_group * m_sb.blocks_per_group;
    u32 goal = inode.sectors == 0 ? group_start : m_block_hint;
    auto take = [&]() -> ErrnoResult<u32> {
        // Without huge_file, i_blocks is 32 bits of sectors.
        if (inode.sectors > ~0u - per_block_sectors)
            return Errno::FBig;
        u32 block = TRY(allocate_block(goal));
        inode.sectors += per_block_sectors;
        goal = block + 1;
        return block;
    };
    if (index < kDirectBlocks) {
        u32 block = inode.block[index];
        if (block == 0) {
            block = TRY(take());
            inode.block[index] = block;
            fresh = true;
        } else if (is_bad_data_block(block)) {
            return fail(Error::malformed("ext2: data block outside the data area", block));
        }
        return block;
    }
    u64 p = m_sb.block_size / 4;
    index -= kDirectBlocks;
    u32 depth = 1;
    u64 span = p;
    while (index >= span) {
        index -= span;
        if (++depth > 3)
            return Errno::FBig;
        span *= p;
    }
    u32& root = inode.block[kDirectBlocks + depth - 1];
    if (root == 0) {
        u32 block = TRY(take());
        TRY_IO(m_cache.overwrite(block));
        root = block;
    }
    u32 block = root;
    for (u32 level = 0; level < depth; ++level) {
        span /= p;
        u64 slot = index / span;
        index %= span;
        u32 entry = TRY_IO(indirect_entry(block, slot));
        bool last = level + 1 == depth;
        if (entry == 0) {
            entry = TRY(take());
            if (last)
                fresh = true;
            else
                TRY_IO(m_cache.overwrite(entry));
            auto bytes = TRY_IO(m_cache.modify(block));
            put32(bytes, slot * 4, entry);
        } else if (is_bad_data_block(entry)) {
            return fail(Error::malformed("ext2: block pointer outside the data area", entry));
        }
        block = entry;
    }
    return block;
}

ErrnoResult<usize> Volume::read(const Inode& inode, u64 offset, Bytes buffer)
{
    if (inode.type() == FileType::Directory)
        return Errno::IsDir;
    if (inode.type() != FileType::Regular)
        return Errno::Inval;
    if (offset >= inode.size)
        return usize { 0 };
    usize total = inode.size - offset < buffer.size() ? static_cast<usize>(inode.size - offset) : buffer.size();
    usize done = 0;
    while (done < total) {
        u64 position = offset + done;
        u32 within = static_cast<u32>(position % m_sb.block_size);
        usize count = m_sb.block_size - within < total - done ? m_sb.block_size - within : total - done;
        u32 block = TRY_IO(map_block(inode, position / m_sb.block_size));
        if (block == 0) {
            __builtin_memset(buffer.data() + done, 0, count);
        } else if (within == 0 && count == m_sb.block_size) {
            // Whole blocks: one device request for the run of consecutive ones (at most
            // kReadRunBytes), straight into the caller's buffer, bypassing the cache.
            u32 run = 1;
            u64 index = position / m_sb.block_size;
            while ((u64 { run } + 1) * m_sb.block_size <= total - done && (run + 1) * m_sb.block_size <= kReadRunBytes) {
                u32 next = TRY_IO(map_block(inode, index + run));
                if (next != block + run)
                    break;
                ++run;
            }
            TRY_IO(read_blocks(block, run, buffer.subspan(done, usize { run } * m_sb.block_size)));
            count = usize { run } * m_sb.block_size;
        } else {
            auto bytes = TRY_IO(m_cache.read(block));
            __builtin_memcpy(buffer.data() + done, bytes.data() + within, count);
        }
        done += count;
    }
    return done;
}

ErrnoResult<usize> Volume::write(Inode& inode, u64 offset, ReadonlyBytes data)
{
    TRY(check_writable());
    if (inode.type() == FileType::Directory)
        return Errno::IsDir;
    if (inode.type() != FileType::Regular)
        return Errno::Inval;
    if (data.size() == 0)
        return usize { 0 };
    u64 limit = max_file_size();
    if (offset >= limit)
        return Errno::FBig;
    usize total = limit - offset < data.size() ? static_cast<usize>(limit - offset) : data.size();
    TRY(ensure_large_file(offset + total));
    TRY(mark_dirty_state());
    usize done = 0;
    Errno stopped = Errno::Success;
    while (done < total) {
        u64 position = offset + done;
        u32 within = static_cast<u32>(position % m_sb.block_size);
        usize count = m_sb.block_size - within < total - done ? m_sb.block_size - within : total - done;
        bool fresh = false;
        auto block = map_for_write(inode, position / m_sb.block_size, fresh);
        if (!block) {
            stopped = block.error();
            break;
        }
        bool whole = fresh || count == m_sb.block_size;
        auto bytes = whole ? m_cache.overwrite(*block) : m_cache.modify(*block);
        if (!bytes) {
            stopped = fail(bytes.error());
            break;
        }
        __builtin_memcpy(bytes->data() + within, data.data() + done, count);
        done += count;
    }
    if (offset + done > inode.size)
        inode.size = offset + done;
    if (done > 0)
        inode.modify_time = inode.change_time = now();
    // Blocks allocated before a failure are in the inode: store it either way.
    TRY_IO(write_inode(inode));
    if (done == 0 && stopped != Errno::Success)
        return stopped;
    return done;
}

Result<bool> Volume::free_tree(Inode& inode, u32 block, u32 depth, u64 base, u64 from)
{
    if (is_bad_data_block(block))
        return Error::malformed("ext2: indirect block outside the data area", block);
    u32 per_block_sectors = m_sb.block_size / static_cast<u32>(drivers::kSectorSize);
    u64 p = m_sb.block_size / 4;
    u64 span = 1;
    for (u32 i = 1; i < depth; ++i)
        span *= p;
    // A copy per level: freeing touches bitmaps in the cache, which may evict this block.
    auto& copy = m_level[depth - 1];
    TRY(read_block(block, copy.span()));
    bool changed = false;
    for (u64 slot = 0; slot < p; ++slot) {
        u64 start = base + slot * span;
        if (start + span <= from)
            continue;
        u32 entry = get32(copy.span(), slot * 4);
        if (entry == 0)
            continue;
        if (entry == block)
            return Error::malformed("ext2: indirect block points at itself", block);
        if (depth == 1) {
            TRY(free_block(entry));
            inode.sectors = inode.sectors > per_block_sectors ? inode.sectors - per_block_sectors : 0;
        } else if (!TRY(free_tree(inode, entry, depth - 1, start, from))) {
            continue;
        }
        put32(copy.span(), slot * 4, 0);
        changed = true;
    }
    if (from <= base) {
        TRY(free_block(block));
        inode.sectors = inode.sectors > per_block_sectors ? inode.sectors - per_block_sectors : 0;
        return true;
    }
    if (changed) {
        auto bytes = TRY(m_cache.modify(block));
        __builtin_memcpy(bytes.data(), copy.data(), m_sb.block_size);
    }
    return false;
}

Result<void> Volume::free_blocks_from(Inode& inode, u64 first)
{
    u32 per_block_sectors = m_sb.block_size / static_cast<u32>(drivers::kSectorSize);
    for (u64 index = first; index < kDirectBlocks; ++index) {
        if (inode.block[index] == 0)
            continue;
        TRY(free_block(inode.block[index]));
        inode.block[index] = 0;
        inode.sectors = inode.sectors > per_block_sectors ? inode.sectors - per_block_sectors : 0;
    }
    u64 p = m_sb.block_size / 4;
    u64 base = kDirectBlocks;
    u64 span = p;
    for (u32 depth = 1; depth <= 3; ++depth) {
        u32& root = inode.block[kDirectBlocks + depth - 1];
        if (root != 0 && first < base + span && TRY(free_tree(inode, root, depth, base, first)))
            root = 0;
        base += span;
        span *= p;
    }
    return {};
}

ErrnoResult<void> Volume::set_size(Inode& inode, u64 size)
{
    TRY(check_writable());
    if (inode.type() == FileType::Directory)
        return Errno::IsDir;
    if (inode.type() != FileType::Regular)
        return Errno::Inval;
    if (size > max_file_size())
        return Errno::FBig;
    TRY(ensure_large_file(size));
    TRY(mark_dirty_state());
    if (size < inode.size) {
        u64 kept = (size + m_sb.block_size - 1) / m_sb.block_size;
        auto freed = free_blocks_from(inode, kept);
        if (!freed) {
            // What was freed is already out of the inode: store it before failing.
            (void)write_inode(inode);
            return fail(freed.error());
        }
        // The rest of the last block must read as zeros if the file grows again.
        if (size % m_sb.block_size != 0) {
            u32 block = TRY_IO(map_block(inode, size / m_sb.block_size));
            if (block != 0) {
                auto bytes = TRY_IO(m_cache.modify(block));
                u32 within = static_cast<u32>(size % m_sb.block_size);
                __builtin_memset(bytes.data() + within, 0, m_sb.block_size - within);
            }
        }
    }
    inode.size = size;
    inode.modify_time = inode.change_time = now();
    TRY_IO(write_inode(inode));
    return {};
}

ErrnoResult<void> Volume::set_times(Inode& inode, const u32* access, const u32* modify)
{
    TRY(check_writable());
    TRY(mark_dirty_state());
    if (access)
        inode.access_time = *access;
    if (modify)
        inode.modify_time = *modify;
    inode.change_time = now();
    TRY_IO(write_inode(inode));
    return {};
}

} // namespace wk::kernel::fs::ext2
