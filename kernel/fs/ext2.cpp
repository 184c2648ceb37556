#include "kernel/fs/ext2.h"

#include "base/format.h"

namespace wk::kernel::fs::ext2 {

namespace {

u32 le16(ReadonlyBytes bytes, usize at) { return u32 { bytes[at] } | u32 { bytes[at + 1] } << 8; }
u32 le32(ReadonlyBytes bytes, usize at) { return le16(bytes, at) | le16(bytes, at + 2) << 16; }

constexpr usize kDescriptorSize = 32;
constexpr u32 kDirectBlocks = 12;

struct FeatureName {
    u32 bit;
    const char* name;
};
constexpr FeatureName kCompatNames[] = { { kCompatDirPrealloc, "dir_prealloc" }, { kCompatImagicInodes, "imagic_inodes" },
                                         { kCompatHasJournal, "has_journal" },   { kCompatExtAttr, "ext_attr" },
                                         { kCompatResizeInode, "resize_inode" }, { kCompatDirIndex, "dir_index" } };
constexpr FeatureName kIncompatNames[] = { { 0x1, "compression" }, { kIncompatFiletype, "filetype" }, { 0x4, "needs_recovery" },
                                           { 0x8, "journal_dev" },  { 0x10, "meta_bg" },                { 0x40, "extent" },
                                           { 0x80, "64bit" },       { 0x200, "flex_bg" } };
constexpr FeatureName kRoCompatNames[] = { { kRoCompatSparseSuper, "sparse_super" },
                                           { kRoCompatLargeFile, "large_file" },
                                           { kRoCompatBtreeDir, "btree_dir" } };

template<usize N>
void write_bits(FormatSink& sink, const char* label, u32 bits, const FeatureName (&names)[N])
{
    format_to(sink, "{} {:#x} (", label, bits);
    u32 named = 0;
    bool first = true;
    for (auto& name : names) {
        if ((bits & name.bit) == 0)
            continue;
        format_to(sink, "{}{}", first ? "" : " ", name.name);
        first = false;
        named |= name.bit;
    }
    if ((bits & ~named) != 0)
        format_to(sink, "{}unknown {:#x}", first ? "" : " ", bits & ~named);
    sink.write(")");
}

} // namespace

Result<Superblock> parse_superblock(ReadonlyBytes bytes, u64 disk_bytes)
{
    if (bytes.size() < kSuperblockSize)
        return Error::malformed("ext2: superblock is short");
    if (le16(bytes, 56) != kMagic)
        return Error::malformed("ext2: no ext2 magic (0xEF53) in the superblock");
    Superblock sb;
    sb.inodes_count = le32(bytes, 0);
    sb.blocks_count = le32(bytes, 4);
    sb.free_blocks = le32(bytes, 12);
    sb.free_inodes = le32(bytes, 16);
    sb.first_data_block = le32(bytes, 20);
    u32 log_block_size = le32(bytes, 24);
    sb.blocks_per_group = le32(bytes, 32);
    sb.inodes_per_group = le32(bytes, 40);
    sb.revision = le32(bytes, 76);
    sb.state = le16(bytes, 58);
    if (log_block_size > 2)
        return Error::from("ext2: block size above 4 KiB", ErrorKind::Unsupported);
    sb.block_size = 1024u << log_block_size;
    if (sb.revision > 1)
        return Error::from("ext2: revision above 1", ErrorKind::Unsupported);
    if (sb.revision == 0) {
        sb.first_inode = 11;
        sb.inode_size = 128;
    } else {
        sb.first_inode = le32(bytes, 84);
        sb.inode_size = le16(bytes, 88);
        sb.feature_compat = le32(bytes, 92);
        sb.feature_incompat = le32(bytes, 96);
        sb.feature_ro_compat = le32(bytes, 100);
        if ((sb.feature_compat & kCompatResizeInode) != 0)
            sb.reserved_gdt_blocks = le16(bytes, 206);
    }
    if (sb.inode_size < 128 || sb.inode_size > sb.block_size || (sb.inode_size & (sb.inode_size - 1)) != 0)
        return Error::malformed("ext2: inode size not a power of two in 128..block size");
    if ((sb.feature_incompat & ~kKnownIncompat) != 0)
        return Error::from("ext2: unknown INCOMPAT features", ErrorKind::Unsupported);
    if (sb.first_data_block != (sb.block_size == 1024 ? 1u : 0u))
        return Error::malformed("ext2: first data block does not match the block size");
    if (sb.blocks_count <= sb.first_data_block + 2)
        return Error::malformed("ext2: block count too small");
    if (u64 { sb.blocks_count } * sb.block_size > disk_bytes)
        return Error::malformed("ext2: block count larger than the disk");
    u32 bits_per_block = sb.block_size * 8;
    if (sb.blocks_per_group == 0 || sb.blocks_per_group > bits_per_block)
        return Error::malformed("ext2: blocks per group not in 1..8 * block size");
    if (sb.inodes_per_group == 0 || sb.inodes_per_group > bits_per_block)
        return Error::malformed("ext2: inodes per group not in 1..8 * block size");
    u64 data_blocks = sb.blocks_count - sb.first_data_block;
    u64 groups = (data_blocks + sb.blocks_per_group - 1) / sb.blocks_per_group;
    // The descriptor table must fit in the blocks after the superblock.
    if (groups * kDescriptorSize > u64 { sb.blocks_count - sb.first_data_block - 1 } * sb.block_size)
        return Error::malformed("ext2: group descriptor table larger than the disk");
    sb.group_count = static_cast<u32>(groups);
    if (u64 { sb.inodes_count } != groups * sb.inodes_per_group)
        return Error::malformed("ext2: inode count is not groups * inodes per group");
    if (sb.inodes_count < kRootInode || sb.first_inode <= kRootInode || sb.first_inode > sb.inodes_count)
        return Error::malformed("ext2: first inode or inode count out of range");
    return sb;
}

void write_features(FormatSink& sink, const Superblock& sb)
{
    write_bits(sink, "compat", sb.feature_compat, kCompatNames);
    write_bits(sink, " incompat", sb.feature_incompat, kIncompatNames);
    write_bits(sink, " ro_compat", sb.feature_ro_compat, kRoCompatNames);
}

Result<GroupDescriptor> parse_group_descriptor(ReadonlyBytes table, u32 slot, u32 group, const Superblock& sb)
{
    u64 at = u64 { slot } * kDescriptorSize;
    if (at + kDescriptorSize > table.size())
        return Error::malformed("ext2: group descriptor past its table");
    GroupDescriptor descriptor { le32(table, at),      le32(table, at + 4),  le32(table, at + 8),
                                 le16(table, at + 12), le16(table, at + 14), le16(table, at + 16) };
    u64 table_blocks = (u64 { sb.inodes_per_group } * sb.inode_size + sb.block_size - 1) / sb.block_size;
    u64 first = sb.first_data_block + u64 { group } * sb.blocks_per_group;
    u64 end = first + sb.blocks_per_group < sb.blocks_count ? first + sb.blocks_per_group : sb.blocks_count;
    auto inside = [&](u64 block, u64 count) { return block > sb.first_data_block && block >= first && block + count <= end; };
    if (!inside(descriptor.block_bitmap, 1) || !inside(descriptor.inode_bitmap, 1) || !inside(descriptor.inode_table, table_blocks))
        return Error::malformed("ext2: group descriptor points outside its group", group);
    return descriptor;
}

FileType Inode::type() const
{
    switch (mode & 0xF000) {
    case 0x8000:
        return FileType::Regular;
    case 0x4000:
        return FileType::Directory;
    case 0xA000:
        return FileType::Symlink;
    case 0:
        return FileType::Unknown;
    default:
        return FileType::Other;
    }
}

Result<Inode> parse_inode(ReadonlyBytes bytes, u32 number, const Superblock& sb)
{
    if (bytes.size() < 128)
        return Error::malformed("ext2: inode is short");
    Inode inode;
    inode.number = number;
    inode.mode = static_cast<u16>(le16(bytes, 0));
    inode.size = le32(bytes, 4);
    inode.access_time = le32(bytes, 8);
    inode.change_time = le32(bytes, 12);
    inode.modify_time = le32(bytes, 16);
    inode.deletion_time = le32(bytes, 20);
    inode.link_count = static_cast<u16>(le16(bytes, 26));
    inode.sectors = le32(bytes, 28);
    inode.flags = le32(bytes, 32);
    inode.file_acl = le32(bytes, 104);
    for (usize i = 0; i < 15; ++i)
        inode.block[i] = le32(bytes, 40 + i * 4);
    // Revision 1 keeps the high 32 bits of a regular file's size in i_dir_acl.
    if (sb.revision >= 1 && inode.type() == FileType::Regular)
        inode.size |= u64 { le32(bytes, 108) } << 32;
    return inode;
}

Result<Volume> Volume::mount(drivers::BlockDevice& device, u32 cache_blocks)
{
    Volume volume(device);
    u8 raw[kSuperblockSize];
    if (device.size_bytes() < kSuperblockOffset + kSuperblockSize)
        return Error::malformed("ext2: disk smaller than a superblock");
    TRY(device.read_blocks(kSuperblockOffset / drivers::kSectorSize, Bytes(raw, sizeof raw)));
    volume.m_sb = TRY(parse_superblock(ReadonlyBytes(raw, sizeof raw), device.size_bytes()));
    auto& sb = volume.m_sb;
    TRY(volume.m_cache.initialize(device, sb.block_size, sb.blocks_count, cache_blocks));
    TRY(volume.m_scratch.try_resize(sb.block_size));
    TRY(volume.m_directory_block.try_resize(sb.block_size));
    for (auto& level : volume.m_level)
        TRY(level.try_resize(sb.block_size));
    TRY(volume.m_groups.try_reserve(sb.group_count));
    u32 per_block = sb.block_size / kDescriptorSize;
    u32 table_block = sb.first_data_block + 1;
    u64 free_blocks = 0;
    u64 free_inodes = 0;
    for (u32 index = 0; index < sb.group_count; ++index) {
        if (index % per_block == 0)
            TRY(volume.read_block(table_block + index / per_block, volume.m_scratch.span()));
        auto group = TRY(parse_group_descriptor(volume.m_scratch.span(), index % per_block, index, sb));
        free_blocks += group.free_blocks;
        free_inodes += group.free_inodes;
        TRY(volume.m_groups.try_append(group));
    }
    u32 table_blocks = (sb.group_count + per_block - 1) / per_block;
    volume.m_metadata_end = table_block + table_blocks;
    volume.m_block_hint = volume.m_metadata_end;
    // As Linux's ext2, the superblock's free counts are taken as the groups' sums (it writes
    // them only now and then); a sum beyond the totals is damage.
    if (free_blocks > sb.blocks_count || free_inodes > sb.inodes_count)
        return Error::malformed("ext2: group free counts exceed the totals");
    if (device.is_read_only())
        volume.m_error = Error::from("ext2: the device is read-only", ErrorKind::Unsupported);
    else if ((sb.feature_ro_compat & ~kKnownRoCompat) != 0)
        volume.m_error = Error::from("ext2: unknown RO_COMPAT features", ErrorKind::Unsupported);
    else if ((sb.state & kStateErrors) != 0)
        volume.m_error = Error::malformed("ext2: the superblock says the file system has errors (run e2fsck)");
    else
        volume.m_writable = true;
    sb.free_blocks = static_cast<u32>(free_blocks);
    sb.free_inodes = static_cast<u32>(free_inodes);
    return volume;
}

Result<void> Volume::read_block(u32 block, Bytes buffer)
{
    if (block >= m_sb.blocks_count || buffer.size() != m_sb.block_size)
        return Error::from("ext2: block outside the file system", ErrorKind::Malformed, block);
    auto cached = TRY(m_cache.read(block));
    __builtin_memcpy(buffer.data(), cached.data(), buffer.size());
    return {};
}

Result<void> Volume::read_blocks(u32 first, u32 count, Bytes buffer)
{
    if (first >= m_sb.blocks_count || count > m_sb.blocks_count - first || buffer.size() != u64 { count } * m_sb.block_size)
        return Error::from("ext2: block run outside the file system", ErrorKind::Malformed, first);
    TRY(m_device->read_blocks(u64 { first } * (m_sb.block_size / drivers::kSectorSize), buffer));
    m_cache.overlay(first, count, buffer);
    return {};
}

bool Volume::is_bad_data_block(u32 block) const
{
    if (block < m_metadata_end || block >= m_sb.blocks_count)
        return true;
    // Every group's metadata lies inside the group (checked at mount): look at one group.
    auto& group = m_groups[(block - m_sb.first_data_block) / m_sb.blocks_per_group];
    u32 table_blocks = static_cast<u32>((u64 { m_sb.inodes_per_group } * m_sb.inode_size + m_sb.block_size - 1) / m_sb.block_size);
    if (block == group.block_bitmap || block == group.inode_bitmap)
        return true;
    return block >= group.inode_table && block - group.inode_table < table_blocks;
}

Result<Inode> Volume::read_inode(u32 number)
{
    if (number == 0 || number > m_sb.inodes_count)
        return Error::malformed("ext2: inode number out of range", number);
    u32 group = (number - 1) / m_sb.inodes_per_group;
    u64 offset = u64 { (number - 1) % m_sb.inodes_per_group } * m_sb.inode_size;
    u32 block = m_groups[group].inode_table + static_cast<u32>(offset / m_sb.block_size);
    auto bytes = TRY(m_cache.read(block));
    return parse_inode(ReadonlyBytes(bytes).subspan(offset % m_sb.block_size, m_sb.inode_size), number, m_sb);
}

u64 Volume::max_file_size() const
{
    u64 p = m_sb.block_size / 4;
    return (kDirectBlocks + p + p * p + p * p * p) * m_sb.block_size;
}

Result<u32> Volume::indirect_entry(u32 block, u64 slot)
{
    if (is_bad_data_block(block))
        return Error::malformed("ext2: indirect block outside the data area", block);
    auto bytes = TRY(m_cache.read(block));
    u32 entry = le32(bytes, slot * 4);
    if (entry == block)
        return Error::malformed("ext2: indirect block points at itself", block);
    return entry;
}

Result<u32> Volume::map_block(const Inode& inode, u64 index, u64* hole_run)
{
    u64 p = m_sb.block_size / 4;
    u32 block = 0;
    u64 run = 1;
    if (index < kDirectBlocks) {
        block = inode.block[index];
    } else {
        index -= kDirectBlocks;
        u32 depth = 1;
        u64 span = p;
        while (index >= span) {
            index -= span;
            if (++depth > 3)
                return Error::malformed("ext2: block index beyond triple indirect");
            span *= p;
        }
        block = inode.block[kDirectBlocks + depth - 1];
        run = span - index;
        // Walk down: at each level the slot is the index's digit in base p.
        for (u32 level = 0; level < depth && block != 0; ++level) {
            span /= p;
            block = TRY(indirect_entry(block, index / span));
            index %= span;
            run = span - index;
        }
    }
    if (block != 0 && is_bad_data_block(block))
        return Error::malformed("ext2: data block outside the data area", block);
    if (hole_run)
        *hole_run = block == 0 ? run : 0;
    return block;
}

Result<void> Volume::read_file_block(const Inode& inode, u64 index, Bytes buffer)
{
    u32 block = TRY(map_block(inode, index));
    if (block == 0) {
        for (auto& byte : buffer)
            byte = 0;
        return {};
    }
    return read_block(block, buffer);
}

Result<void> Volume::read_symlink(const Inode& inode, Vector<u8>& out)
{
    if (inode.size == 0 || inode.size > m_sb.block_size)
        return Error::malformed("ext2: symlink target size out of range", inode.number);
    TRY(out.try_resize(inode.size));
    u32 ea_sectors = inode.file_acl != 0 ? m_sb.block_size / drivers::kSectorSize : 0;
    // A fast symlink keeps its target in i_block and has no data block.
    if (inode.size < 60 && inode.sectors == ea_sectors) {
        for (usize i = 0; i < inode.size; ++i)
            out[i] = static_cast<u8>(inode.block[i / 4] >> (i % 4 * 8));
        return {};
    }
    TRY(read_file_block(inode, 0, m_scratch.span()));
    for (usize i = 0; i < inode.size; ++i)
        out[i] = m_scratch[i];
    return {};
}

} // namespace wk::kernel::fs::ext2
