#pragma once

#include "base/format_sink.h"
#include "base/result.h"
#include "base/span.h"
#include "base/types.h"
#include "base/vector.h"
#include "kernel/drivers/block_device.h"

// A read-only ext2 reader (revision 0 and 1, 1-4 KiB blocks) over a BlockDevice. Every number
// on the disk is hostile: each is checked before use and a bad one is an Error (Malformed for
// the image's fault, Unsupported for a feature this reader lacks, Io for the device), never a
// crash or an unbounded loop. docs/storage.md, "ext2", says how it is mounted.
namespace wk::kernel::fs::ext2 {

inline constexpr u16 kMagic = 0xEF53;
inline constexpr u64 kSuperblockOffset = 1024;
inline constexpr u64 kSuperblockSize = 1024;
inline constexpr u32 kRootInode = 2;

// Feature bits (the kernel.org ext4 on-disk format document).
inline constexpr u32 kCompatDirPrealloc = 0x1;
inline constexpr u32 kCompatImagicInodes = 0x2;
inline constexpr u32 kCompatHasJournal = 0x4;
inline constexpr u32 kCompatExtAttr = 0x8;
inline constexpr u32 kCompatResizeInode = 0x10;
inline constexpr u32 kCompatDirIndex = 0x20;
inline constexpr u32 kIncompatFiletype = 0x2;
inline constexpr u32 kRoCompatSparseSuper = 0x1;
inline constexpr u32 kRoCompatLargeFile = 0x2;
inline constexpr u32 kRoCompatBtreeDir = 0x4;
// What this reader understands; other INCOMPAT bits refuse the mount, other RO_COMPAT bits
// would force read-only (every mount is read-only today).
inline constexpr u32 kKnownIncompat = kIncompatFiletype;
inline constexpr u32 kKnownRoCompat = kRoCompatSparseSuper | kRoCompatLargeFile | kRoCompatBtreeDir;

struct Superblock {
    u32 inodes_count { 0 };
    u32 blocks_count { 0 };
    u32 free_blocks { 0 };
    u32 free_inodes { 0 };
    u32 first_data_block { 0 };
    u32 block_size { 0 };
    u32 blocks_per_group { 0 };
    u32 inodes_per_group { 0 };
    u32 group_count { 0 };
    u32 revision { 0 };
    u32 first_inode { 0 };
    u32 inode_size { 0 };
    u32 feature_compat { 0 };
    u32 feature_incompat { 0 };
    u32 feature_ro_compat { 0 };
};

// Parses and checks the 1024 bytes at byte 1024 of a disk of `disk_bytes` bytes: magic, block
// size 1-4 KiB, counts that fit the disk and each other, inode size, unknown INCOMPAT features.
Result<Superblock> parse_superblock(ReadonlyBytes bytes, u64 disk_bytes);

// Writes "compat 0x38 (ext_attr resize_inode dir_index) incompat 0x2 (filetype) ...".
void write_features(FormatSink&, const Superblock&);

struct GroupDescriptor {
    u32 block_bitmap { 0 };
    u32 inode_bitmap { 0 };
    u32 inode_table { 0 };
};

// Parses the descriptor at `slot` of `table` (32 bytes each), that of group `group`, and checks
// that its bitmaps and inode table lie inside that group's blocks (as Linux's ext2 does; ext2
// without flex_bg places them there), which also makes "is this block metadata" one lookup.
Result<GroupDescriptor> parse_group_descriptor(ReadonlyBytes table, u32 slot, u32 group, const Superblock&);

enum class FileType : u8 { Unknown, Regular, Directory, Symlink, Other };

struct Inode {
    u32 number { 0 };
    u16 mode { 0 };
    u16 link_count { 0 };
    u64 size { 0 };
    u32 access_time { 0 };
    u32 change_time { 0 };
    u32 modify_time { 0 };
    u32 sectors { 0 }; // i_blocks: 512-byte units, metadata included
    u32 file_acl { 0 };
    u32 block[15] {};
    FileType type() const;
};

Result<Inode> parse_inode(ReadonlyBytes bytes, u32 number, const Superblock&);

// One directory entry as found in a block. `name` views the block.
struct DirectoryEntry {
    u32 inode { 0 };
    u8 file_type { 0 };
    ReadonlyBytes name;
};

// Walks one directory block: calls visit(entry) for each used entry (inode != 0) until it
// returns false. Checks rec_len (>= 8, 4-aligned, inside the block), name_len (fits rec_len,
// not 0 in a used entry) and the inode number (<= inodes_count).
template<typename Visit>
Result<void> walk_directory_block(ReadonlyBytes block, const Superblock& sb, Visit&& visit);

// A mounted volume: reads inodes, maps file blocks, reads file ranges. Not thread-safe; the
// caller serialises calls (and calls to the device).
class Volume {
public:
    // Reads and checks the superblock and every group descriptor.
    static Result<Volume> mount(drivers::BlockDevice&);

    const Superblock& superblock() const { return m_sb; }
    Result<Inode> read_inode(u32 number);
    // The disk block holding logical block `index` of the inode, 0 for a hole. Checks every
    // pointer on the way (inside the file system, not in the metadata, not an indirect block
    // naming itself). For a hole, `hole_run` (when given) receives how many blocks from
    // `index` on are holes for certain (>= 1: a missing indirect block covers its whole span),
    // so a sparse file is walked in time proportional to its allocated blocks.
    Result<u32> map_block(const Inode&, u64 index, u64* hole_run = nullptr);
    // Reads logical block `index` of the inode into `buffer` (block_size bytes; zeros for a hole).
    Result<void> read_file_block(const Inode&, u64 index, Bytes buffer);
    // Reads `count` consecutive blocks from `first` into `buffer` (count * block_size bytes)
    // in one device request; the blocks must lie inside the file system.
    Result<void> read_blocks(u32 first, u32 count, Bytes buffer);
    // A symlink's target into `out` (size bytes; fast symlinks from i_block).
    Result<void> read_symlink(const Inode&, Vector<u8>& out);
    // Largest size a file may have with this block size (12 + p + p^2 + p^3 blocks).
    u64 max_file_size() const;
    // Whether `block` is metadata (superblock and descriptors of group 0, any group's
    // bitmaps or inode table) or outside [first_data_block, blocks_count).
    bool is_bad_data_block(u32 block) const;

private:
    Volume(drivers::BlockDevice& device)
        : m_device(&device)
    {
    }
    Result<void> read_block(u32 block, Bytes buffer);
    // Reads entry `slot` of indirect block `block` (cached: one block per level).
    Result<u32> indirect_entry(u32 level, u32 block, u64 slot);

    drivers::BlockDevice* m_device;
    Superblock m_sb;
    u32 m_metadata_end { 0 }; // first block after group 0's superblock and descriptors
    Vector<GroupDescriptor> m_groups;
    Vector<u8> m_scratch;
    Vector<u8> m_indirect[3];
    u32 m_indirect_block[3] { 0, 0, 0 };
};

template<typename Visit>
Result<void> walk_directory_block(ReadonlyBytes block, const Superblock& sb, Visit&& visit)
{
    auto le16 = [&](usize at) { return u32 { block[at] } | u32 { block[at + 1] } << 8; };
    usize at = 0;
    // Each step advances by rec_len >= 8, so at most block.size() / 8 steps.
    while (at < block.size()) {
        if (block.size() - at < 8)
            return Error::malformed("ext2: directory entry header overruns its block", at);
        u32 inode = le16(at) | le16(at + 2) << 16;
        u32 rec_len = le16(at + 4);
        u32 name_len = block[at + 6];
        if ((sb.feature_incompat & kIncompatFiletype) == 0)
            name_len |= u32 { block[at + 7] } << 8;
        if (rec_len < 8 || rec_len % 4 != 0)
            return Error::malformed("ext2: directory entry rec_len below 8 or not 4-aligned", at);
        if (rec_len > block.size() - at)
            return Error::malformed("ext2: directory entry rec_len overruns its block", at);
        if (name_len + 8 > rec_len)
            return Error::malformed("ext2: directory entry name_len exceeds rec_len", at);
        if (inode != 0) {
            if (inode > sb.inodes_count)
                return Error::malformed("ext2: directory entry names an inode beyond the count", at);
            if (name_len == 0)
                return Error::malformed("ext2: directory entry with an empty name", at);
            DirectoryEntry entry { inode, block[at + 7], block.subspan(at + 8, name_len) };
            if (!visit(entry))
                return {};
        }
        at += rec_len;
    }
    return {};
}

} // namespace wk::kernel::fs::ext2
