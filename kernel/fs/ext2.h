#pragma once

#include "base/errno.h"
#include "base/format_sink.h"
#include "base/result.h"
#include "base/string_view.h"
#include "base/span.h"
#include "base/types.h"
#include "base/vector.h"
#include "kernel/drivers/block_device.h"
#include "kernel/fs/ext2_cache.h"

// An ext2 driver (revision 0 and 1, 1-4 KiB blocks) over a BlockDevice: reads, and writes
// through a bounded write-back BlockCache. Every number on the disk is hostile: each is
// checked before use and a bad one is an Error (Malformed for the image's fault, Unsupported
// for a feature this driver lacks, Io for the device), never a crash or an unbounded loop.
// docs/storage.md, "ext2", says how it is mounted.
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
// What this driver understands; other INCOMPAT bits refuse the mount, other RO_COMPAT bits
// make it read-only.
inline constexpr u32 kKnownIncompat = kIncompatFiletype;
inline constexpr u32 kKnownRoCompat = kRoCompatSparseSuper | kRoCompatLargeFile | kRoCompatBtreeDir;

inline constexpr u32 kStateValid = 0x1; // s_state: cleanly unmounted
inline constexpr u32 kStateErrors = 0x2;
inline constexpr u32 kIndexFlag = 0x1000; // i_flags: a dir_index hash tree
inline constexpr u32 kMaxLinks = 32000;

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
    u32 state { 0 };
    u32 reserved_gdt_blocks { 0 }; // resize_inode: descriptor blocks kept free for growth
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
    u32 free_blocks { 0 };
    u32 free_inodes { 0 };
    u32 used_dirs { 0 };
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
    u32 deletion_time { 0 };
    u32 sectors { 0 }; // i_blocks: 512-byte units, metadata included
    u32 flags { 0 };
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
    u32 offset { 0 };  // of the record in its block
    u32 rec_len { 0 }; // the record's length: the next record starts at offset + rec_len
};

// Walks one directory block: calls visit(entry) for each used entry (inode != 0) until it
// returns false. Checks rec_len (>= 8, 4-aligned, inside the block), name_len (fits rec_len,
// not 0 in a used entry) and the inode number (<= inodes_count).
template<typename Visit>
Result<void> walk_directory_block(ReadonlyBytes block, const Superblock& sb, Visit&& visit);

// A mounted volume: reads inodes, maps file blocks, reads file ranges, and (when writable)
// allocates, writes and changes the tree. Every block goes through the BlockCache; changes
// reach the disk on flush() (or earlier, when the cache needs room).
//
// Writes: the operations below that return ErrnoResult speak the WASI errno space (NoEnt,
// Exist, NotEmpty, NoSpc, FBig, ...). A device error or damage found in the image is Io
// (errno_of: NoMem when memory ran out, NotSup for a write a read-only device refused), and
// last_error() says what and where; damage also makes the volume read-only (RoFs from then
// on), so a bad image is never made worse. A volume is read-only from the start when the
// device is, when the superblock has unknown RO_COMPAT features or says it has errors.
//
// NOTE: not thread-safe; the caller serialises every call (and calls to the device). Times
// come from the clock given to set_clock (seconds since the epoch; 0 without one).
class Volume {
public:
    // Reads and checks the superblock and every group descriptor.
    static Result<Volume> mount(drivers::BlockDevice&, u32 cache_blocks = BlockCache::kDefaultCapacity);

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

    // ---- writing (ext2_alloc.cpp, ext2_file.cpp, ext2_directory.cpp) ---------------
    using ClockSource = u32 (*)();
    void set_clock(ClockSource clock) { m_clock = clock; }
    bool is_writable() const { return m_writable; }
    // From now on every change is RoFs; last_error() says `reason`.
    void set_read_only(Error reason)
    {
        m_writable = false;
        m_error = std::move(reason);
    }
    // Why the volume is read-only or the last operation failed with Io ("" when nothing failed).
    const Error& last_error() const { return m_error; }
    const GroupDescriptor& group(u32 index) const { return m_groups[index]; }
    const BlockCache::Stats& cache_stats() const { return m_cache.stats(); }

    // Reads up to buffer.size() bytes at `offset` (0 at or past the end). Regular files only.
    ErrnoResult<usize> read(const Inode&, u64 offset, Bytes buffer);
    // Writes at `offset`, allocating blocks for what is written (a gap stays a hole) and
    // updating size, i_blocks and the modify/change times in `inode` and on disk. FBig past
    // max_file_size(); out of space part-way is a short write (the count so far).
    ErrnoResult<usize> write(Inode&, u64 offset, ReadonlyBytes data);
    // Shrinks (freeing every block past the end, zeroing the tail of the last one) or grows
    // (a hole).
    ErrnoResult<void> set_size(Inode&, u64 size);
    // Seconds; nullptr leaves a time alone.
    ErrnoResult<void> set_times(Inode&, const u32* access, const u32* modify);

    // The inode named `name` in directory `directory` (NoEnt; NotDir when not a directory).
    ErrnoResult<u32> lookup(const Inode& directory, StringView name);
    // Visits every used entry of a directory ("." and ".." included) in disk order until
    // visit returns false.
    template<typename Visit>
    ErrnoResult<void> read_directory(const Inode& directory, Visit&& visit);
    // New names. `mode` is the permission bits (the type comes from the call). Exist when
    // the name is taken; the parent must be a directory with a link count below kMaxLinks.
    ErrnoResult<Inode> create_file(u32 directory, StringView name, u16 mode);
    ErrnoResult<Inode> create_directory(u32 directory, StringView name, u16 mode);
    // Fast (in i_block) below 60 bytes, otherwise one data block; NameTooLong at a block.
    ErrnoResult<Inode> create_symlink(u32 directory, StringView name, StringView target);
    ErrnoResult<void> link(u32 inode, u32 directory, StringView name);
    // Removes a non-directory's name; at link count 0 its blocks and inode are freed (unless
    // `keep_unlinked`: the caller frees it later with release(), as for an open file).
    ErrnoResult<void> unlink(u32 directory, StringView name, bool keep_unlinked = false);
    // Removes an empty directory (NotEmpty otherwise) and frees it.
    ErrnoResult<void> remove_directory(u32 directory, StringView name);
    // POSIX rename (a file replaces a non-directory, a directory an empty directory; a
    // directory cannot move below itself: Inval). A replaced inode at link count 0 is freed.
    // `keep_replaced`: a replaced non-directory at link count 0 is kept for release(), as
    // unlink's keep_unlinked (it is open).
    ErrnoResult<void> rename(u32 from_directory, StringView from, u32 to_directory, StringView to, bool keep_replaced = false);
    // Frees an inode whose link count is 0 (its blocks, then the inode).
    ErrnoResult<void> release(u32 inode);

    // Writes every dirty block; flush() also flushes the device: on return, everything
    // changed before the call is on stable storage. unmount() flushes and marks the file
    // system clean (s_state).
    ErrnoResult<void> write_back();
    ErrnoResult<void> flush();
    ErrnoResult<void> unmount();

private:
    Volume(drivers::BlockDevice& device)
        : m_device(&device)
    {
    }
    Result<void> read_block(u32 block, Bytes buffer);
    // Reads entry `slot` of indirect block `block` (checked: inside the data area, not itself).
    Result<u32> indirect_entry(u32 block, u64 slot);

    // ext2_alloc.cpp
    Errno fail(const Error&);
    ErrnoResult<void> check_writable();
    ErrnoResult<void> mark_dirty_state();
    u32 now() const { return m_clock ? m_clock() : 0; }
    Result<void> write_inode(const Inode&);
    Result<void> store_group(u32 index);
    Result<void> adjust_superblock_counts(i32 blocks, i32 inodes);
    // Whether `block` is a superblock, descriptor or reserved descriptor block (in group 0
    // and in the groups holding backups) or any other metadata: never handed out.
    bool is_reserved_block(u32 block) const;
    ErrnoResult<u32> allocate_block(u32 goal);
    Result<void> free_block(u32 block);
    ErrnoResult<Inode> allocate_inode(u32 parent, u16 mode);
    Result<void> free_inode(Inode&);

    // ext2_file.cpp
    ErrnoResult<u32> map_for_write(Inode&, u64 index, bool& fresh);
    Result<bool> free_tree(Inode&, u32 block, u32 depth, u64 base, u64 from);
    Result<void> free_blocks_from(Inode&, u64 first_block);

    // ext2_directory.cpp
    struct EntryPosition {
        u32 block { 0 }; // disk block
        u32 offset { 0 };
        u32 previous { ~0u }; // offset of the record before it in the block, ~0 for the first
        u32 inode { 0 };
    };
    ErrnoResult<Inode> directory_inode(u32 number);
    ErrnoResult<bool> find_entry(const Inode& directory, StringView name, EntryPosition&);
    ErrnoResult<void> add_entry(Inode& directory, StringView name, const Inode& target);
    ErrnoResult<void> remove_entry(Inode& directory, const EntryPosition&);
    ErrnoResult<void> set_entry_inode(Inode& directory, const EntryPosition&, const Inode& target);
    ErrnoResult<bool> is_empty_directory(const Inode&);
    // Removing a name, in the order that keeps a crash repairable by e2fsck -p: drop_link
    // before the entry goes, finish_unlink after. An inode losing its last name is written
    // with link count 0 first (persist_unlinked: a write-back follows), so a crash leaves at
    // worst a name of a deleted inode, which e2fsck -p removes; the other order could leave a
    // nameless inode with a link count, which e2fsck only asks about (docs/storage.md).
    ErrnoResult<void> drop_link(Inode&);
    ErrnoResult<void> persist_unlinked(Inode&);
    // Frees an inode at link count 0 unless `keep_unlinked` (it is open: release() frees it).
    ErrnoResult<void> finish_unlink(Inode&, bool keep_unlinked);
    // rename() of a non-directory over another whose entry lies in the same block.
    ErrnoResult<void> replace_in_block(Inode& parent, const EntryPosition& from, const EntryPosition& to, Inode& source,
                                       Inode& replaced, bool keep_replaced);
    ErrnoResult<Inode> new_entry(u32 directory, StringView name, u16 mode, Inode& parent);
    // Links `inode` (link count set, contents written) into `parent`, or frees it on failure.
    ErrnoResult<void> attach(Inode& parent, StringView name, Inode& inode);
    // Frees the blocks (not a fast symlink's text) and the inode.
    ErrnoResult<void> destroy_inode(Inode&);
    ErrnoResult<void> ensure_large_file(u64 size);

    drivers::BlockDevice* m_device;
    Superblock m_sb;
    u32 m_metadata_end { 0 }; // first block after group 0's superblock and descriptors
    Vector<GroupDescriptor> m_groups;
    Vector<u8> m_scratch;
    Vector<u8> m_level[3];       // truncation: one indirect block per level
    Vector<u8> m_directory_block; // read_directory's copy of the block it walks
    BlockCache m_cache;
    ClockSource m_clock { nullptr };
    bool m_writable { false };
    bool m_state_dirty { false }; // s_state says "not clean" on disk
    u32 m_block_hint { 0 };       // where the next block search starts
    Error m_error { Error::from("") };
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
            DirectoryEntry entry { inode, block[at + 7], block.subspan(at + 8, name_len), static_cast<u32>(at), rec_len };
            if (!visit(entry))
                return {};
        }
        at += rec_len;
    }
    return {};
}

template<typename Visit>
ErrnoResult<void> Volume::read_directory(const Inode& directory, Visit&& visit)
{
    if (directory.type() != FileType::Directory)
        return Errno::NotDir;
    if (directory.size % m_sb.block_size != 0)
        return fail(Error::malformed("ext2: directory size is not whole blocks", directory.number));
    bool stopped = false;
    for (u64 index = 0; index < directory.size / m_sb.block_size && !stopped; ++index) {
        // A copy: the visitor may call back into the volume, which may evict the cached block.
        if (auto read = read_file_block(directory, index, m_directory_block.span()); !read)
            return fail(read.error());
        auto walked = walk_directory_block(m_directory_block.span(), m_sb, [&](const DirectoryEntry& entry) {
            stopped = !visit(entry);
            return !stopped;
        });
        if (!walked)
            return fail(walked.error());
    }
    return {};
}

} // namespace wk::kernel::fs::ext2
