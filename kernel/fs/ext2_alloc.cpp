// ext2 writes, part 1: the superblock's and groups' counters, block and inode allocation
// through the bitmaps, inode records, and flushing. Bitmaps are believed only as far as they
// agree with the rest: a bit that would hand out metadata, or free what is already free, is
// damage (Io, and the volume turns read-only).
#include "kernel/fs/ext2.h"
#include "kernel/fs/ext2_internal.h"

namespace wk::kernel::fs::ext2 {

namespace {

constexpr u32 kDescriptorSize = 32;

// The first clear bit in [from, end) of a bitmap, or `end`.
u32 find_clear_bit(ReadonlyBytes bitmap, u32 from, u32 end)
{
    u32 bit = from;
    while (bit < end) {
        if (bit % 8 == 0 && end - bit >= 8 && bitmap[bit / 8] == 0xFF) {
            bit += 8;
            continue;
        }
        if ((bitmap[bit / 8] & (1u << (bit % 8))) == 0)
            return bit;
        ++bit;
    }
    return end;
}

bool is_power_of(u32 value, u32 base)
{
    while (value > 1 && value % base == 0)
        value /= base;
    return value == 1;
}

} // namespace

bool Volume::is_reserved_block(u32 block) const
{
    if (is_bad_data_block(block))
        return true;
    u32 group = (block - m_sb.first_data_block) / m_sb.blocks_per_group;
    bool sparse = (m_sb.feature_ro_compat & kRoCompatSparseSuper) != 0;
    bool backup = group <= 1 || !sparse || is_power_of(group, 3) || is_power_of(group, 5) || is_power_of(group, 7);
    if (!backup)
        return false;
    u32 per_block = m_sb.block_size / kDescriptorSize;
    u64 first = m_sb.first_data_block + u64 { group } * m_sb.blocks_per_group;
    u64 end = first + 1 + (m_sb.group_count + per_block - 1) / per_block + m_sb.reserved_gdt_blocks;
    return block < end;
}

Errno Volume::fail(const Error& error)
{
    m_error = error;
    // NOTE: damage found while writing may be damage this volume would spread; stop writing.
    if (error.kind() == ErrorKind::Malformed)
        m_writable = false;
    return errno_of(error, Errno::Io);
}

ErrnoResult<void> Volume::check_writable()
{
    if (!m_writable)
        return Errno::RoFs;
    return {};
}

ErrnoResult<void> Volume::mark_dirty_state()
{
    if (m_state_dirty)
        return {};
    // The file system is "not clean" on disk from the first change until unmount(), so a
    // crash leaves a mark that makes e2fsck -p check it.
    u32 block = static_cast<u32>(kSuperblockOffset / m_sb.block_size);
    u32 at = static_cast<u32>(kSuperblockOffset % m_sb.block_size);
    // The first block of any write-back from now on (BlockKind::Superblock).
    auto bytes = TRY_IO(m_cache.modify(block, BlockKind::Superblock));
    m_sb.state &= ~kStateValid;
    put16(bytes, at + 58, m_sb.state);
    put32(bytes, at + 48, now()); // s_wtime
    m_state_dirty = true;
    return {};
}

Result<void> Volume::adjust_superblock_counts(i32 blocks, i32 inodes)
{
    u32 block = static_cast<u32>(kSuperblockOffset / m_sb.block_size);
    u32 at = static_cast<u32>(kSuperblockOffset % m_sb.block_size);
    auto bytes = TRY(m_cache.modify(block, BlockKind::Superblock));
    m_sb.free_blocks = static_cast<u32>(static_cast<i64>(m_sb.free_blocks) + blocks);
    m_sb.free_inodes = static_cast<u32>(static_cast<i64>(m_sb.free_inodes) + inodes);
    put32(bytes, at + 12, m_sb.free_blocks);
    put32(bytes, at + 16, m_sb.free_inodes);
    return {};
}

Result<void> Volume::store_group(u32 index)
{
    u32 per_block = m_sb.block_size / kDescriptorSize;
    auto bytes = TRY(m_cache.modify(m_sb.first_data_block + 1 + index / per_block, BlockKind::Allocation));
    u32 at = index % per_block * kDescriptorSize;
    auto& group = m_groups[index];
    put16(bytes, at + 12, group.free_blocks);
    put16(bytes, at + 14, group.free_inodes);
    put16(bytes, at + 16, group.used_dirs);
    return {};
}

ErrnoResult<u32> Volume::allocate_block(u32 goal)
{
    if (m_sb.free_blocks == 0)
        return Errno::NoSpc;
    // A block freed since the last write-back may still be named by a pointer on the disk:
    // handing it out now could leave two files owning it after a crash.
    if (m_cache.frees_unwritten())
        TRY_IO(m_cache.write_back());
    if (goal < m_metadata_end || goal >= m_sb.blocks_count)
        goal = m_block_hint < m_sb.blocks_count ? m_block_hint : m_metadata_end;
    u32 start_group = (goal - m_sb.first_data_block) / m_sb.blocks_per_group;
    // The goal's group from the goal on, every other group, then the goal's group from its start.
    for (u32 step = 0; step <= m_sb.group_count; ++step) {
        u32 index = (start_group + step) % m_sb.group_count;
        auto& group = m_groups[index];
        if (group.free_blocks == 0)
            continue;
        u32 first = m_sb.first_data_block + index * m_sb.blocks_per_group;
        u32 in_group = m_sb.blocks_count - first < m_sb.blocks_per_group ? m_sb.blocks_count - first : m_sb.blocks_per_group;
        u32 from = step == 0 ? goal - first : 0;
        if (from >= in_group)
            continue;
        auto bitmap = TRY_IO(m_cache.read(group.block_bitmap));
        u32 bit = find_clear_bit(bitmap, from, in_group);
        if (bit == in_group)
            continue;
        u32 block = first + bit;
        if (is_reserved_block(block))
            return fail(Error::malformed("ext2: block bitmap marks metadata as free", block));
        bitmap = TRY_IO(m_cache.modify(group.block_bitmap, BlockKind::Allocation));
        bitmap[bit / 8] = static_cast<u8>(bitmap[bit / 8] | 1u << (bit % 8));
        --group.free_blocks;
        TRY_IO(store_group(index));
        TRY_IO(adjust_superblock_counts(-1, 0));
        m_block_hint = block + 1;
        return block;
    }
    return fail(Error::malformed("ext2: free block counts say free, the bitmaps say full"));
}

Result<void> Volume::free_block(u32 block)
{
    if (is_bad_data_block(block))
        return Error::malformed("ext2: freeing a block outside the data area", block);
    u32 index = (block - m_sb.first_data_block) / m_sb.blocks_per_group;
    u32 bit = (block - m_sb.first_data_block) % m_sb.blocks_per_group;
    auto& group = m_groups[index];
    auto bitmap = TRY(m_cache.modify(group.block_bitmap, BlockKind::Allocation));
    if ((bitmap[bit / 8] & (1u << (bit % 8))) == 0)
        return Error::malformed("ext2: freeing a block the bitmap says is free", block);
    bitmap[bit / 8] = static_cast<u8>(bitmap[bit / 8] & ~(1u << (bit % 8)));
    if (group.free_blocks >= m_sb.blocks_per_group || m_sb.free_blocks >= m_sb.blocks_count)
        return Error::malformed("ext2: free block count above the group's size", index);
    ++group.free_blocks;
    TRY(store_group(index));
    TRY(adjust_superblock_counts(1, 0));
    m_cache.forget(block);
    return {};
}

ErrnoResult<Inode> Volume::allocate_inode(u32 parent, u16 mode)
{
    if (m_sb.free_inodes == 0)
        return Errno::NoSpc;
    bool directory = (mode & 0xF000) == 0x4000;
    u32 start_group = parent >= 1 && parent <= m_sb.inodes_count ? (parent - 1) / m_sb.inodes_per_group : 0;
    for (u32 step = 0; step < m_sb.group_count; ++step) {
        u32 index = (start_group + step) % m_sb.group_count;
        auto& group = m_groups[index];
        if (group.free_inodes == 0)
            continue;
        u32 base = index * m_sb.inodes_per_group; // inode number of bit b: base + b + 1
        u32 from = m_sb.first_inode > base + 1 ? m_sb.first_inode - base - 1 : 0;
        if (from >= m_sb.inodes_per_group)
            continue;
        auto bitmap = TRY_IO(m_cache.read(group.inode_bitmap));
        u32 bit = find_clear_bit(bitmap, from, m_sb.inodes_per_group);
        if (bit == m_sb.inodes_per_group)
            continue;
        u32 number = base + bit + 1;
        auto old = TRY_IO(read_inode(number));
        if (old.mode != 0 && old.link_count != 0 && old.deletion_time == 0)
            return fail(Error::malformed("ext2: inode bitmap marks a live inode as free", number));
        bitmap = TRY_IO(m_cache.modify(group.inode_bitmap, BlockKind::Allocation));
        bitmap[bit / 8] = static_cast<u8>(bitmap[bit / 8] | 1u << (bit % 8));
        --group.free_inodes;
        if (directory)
            ++group.used_dirs;
        TRY_IO(store_group(index));
        TRY_IO(adjust_superblock_counts(0, -1));
        // A fresh record: everything this driver does not set stays zero (uid, gid, flags).
        u64 offset = u64 { bit } * m_sb.inode_size;
        auto table = TRY_IO(m_cache.modify(group.inode_table + static_cast<u32>(offset / m_sb.block_size), BlockKind::InodeTable));
        u32 at = static_cast<u32>(offset % m_sb.block_size);
        __builtin_memset(table.data() + at, 0, m_sb.inode_size);
        // i_extra_isize: the fixed fields past 128 bytes that mke2fs's own inodes declare.
        if (m_sb.inode_size > 128)
            put16(table, at + 128, 32);
        Inode inode;
        inode.number = number;
        inode.mode = mode;
        u32 time = now();
        inode.access_time = inode.change_time = inode.modify_time = time;
        TRY_IO(write_inode(inode));
        return inode;
    }
    return fail(Error::malformed("ext2: free inode counts say free, the bitmaps say full"));
}

Result<void> Volume::free_inode(Inode& inode)
{
    u32 index = (inode.number - 1) / m_sb.inodes_per_group;
    u32 bit = (inode.number - 1) % m_sb.inodes_per_group;
    auto& group = m_groups[index];
    auto bitmap = TRY(m_cache.modify(group.inode_bitmap, BlockKind::Allocation));
    if ((bitmap[bit / 8] & (1u << (bit % 8))) == 0)
        return Error::malformed("ext2: freeing an inode the bitmap says is free", inode.number);
    bitmap[bit / 8] = static_cast<u8>(bitmap[bit / 8] & ~(1u << (bit % 8)));
    if (group.free_inodes >= m_sb.inodes_per_group)
        return Error::malformed("ext2: free inode count above the group's size", index);
    ++group.free_inodes;
    if (inode.type() == FileType::Directory) {
        if (group.used_dirs == 0)
            return Error::malformed("ext2: group's directory count below zero", index);
        --group.used_dirs;
    }
    TRY(store_group(index));
    TRY(adjust_superblock_counts(0, 1));
    inode.link_count = 0;
    inode.deletion_time = now();
    return write_inode(inode);
}

Result<void> Volume::write_inode(const Inode& inode)
{
    if (inode.number == 0 || inode.number > m_sb.inodes_count)
        return Error::malformed("ext2: inode number out of range", inode.number);
    u32 group = (inode.number - 1) / m_sb.inodes_per_group;
    u64 offset = u64 { (inode.number - 1) % m_sb.inodes_per_group } * m_sb.inode_size;
    auto bytes = TRY(m_cache.modify(m_groups[group].inode_table + static_cast<u32>(offset / m_sb.block_size), BlockKind::InodeTable));
    u32 at = static_cast<u32>(offset % m_sb.block_size);
    put16(bytes, at + 0, inode.mode);
    put32(bytes, at + 4, static_cast<u32>(inode.size));
    put32(bytes, at + 8, inode.access_time);
    put32(bytes, at + 12, inode.change_time);
    put32(bytes, at + 16, inode.modify_time);
    put32(bytes, at + 20, inode.deletion_time);
    put16(bytes, at + 26, inode.link_count);
    put32(bytes, at + 28, inode.sectors);
    put32(bytes, at + 32, inode.flags);
    for (u32 i = 0; i < 15; ++i)
        put32(bytes, at + 40 + i * 4, inode.block[i]);
    if (m_sb.revision >= 1 && inode.type() == FileType::Regular)
        put32(bytes, at + 108, static_cast<u32>(inode.size >> 32));
    return {};
}

ErrnoResult<void> Volume::write_back()
{
    TRY_IO(m_cache.write_back());
    return {};
}

ErrnoResult<void> Volume::flush()
{
    TRY_IO(m_cache.flush());
    return {};
}

ErrnoResult<void> Volume::unmount()
{
    if (m_state_dirty && m_writable) {
        // Data and metadata first, then the "clean" mark, each behind a device flush, so the
        // mark never reaches the disk before what it vouches for.
        TRY(flush());
        u32 block = static_cast<u32>(kSuperblockOffset / m_sb.block_size);
        u32 at = static_cast<u32>(kSuperblockOffset % m_sb.block_size);
        auto bytes = TRY_IO(m_cache.modify(block, BlockKind::Superblock));
        m_sb.state |= kStateValid;
        put16(bytes, at + 58, m_sb.state);
        m_state_dirty = false;
    }
    return flush();
}

} // namespace wk::kernel::fs::ext2
