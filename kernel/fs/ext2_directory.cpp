// ext2 writes, part 3: names. Directories are linear (an entry is inserted into the first
// record with room, splitting its rec_len, or into a new block; a removed entry is merged
// into the record before it). A directory with a dir_index hash tree loses its index flag
// when changed: its tree blocks read as empty records, so the linear form stays valid and
// e2fsck stays clean.
#include "kernel/fs/ext2.h"
#include "kernel/fs/ext2_internal.h"
#include "kernel/fs/file_system.h" // check_new_name: one rule for a new name (ext2 allows 255 bytes too)

namespace wk::kernel::fs::ext2 {

namespace {

constexpr u32 kMaxNameLength = 255;
// The same bound the import uses: a directory larger than this is refused.
constexpr u64 kMaxDirectoryBytes = 64ull << 20;
constexpr u32 kMaxDepth = 4096;

u32 record_length(usize name_length) { return static_cast<u32>((8 + name_length + 3) & ~usize { 3 }); }

u8 directory_file_type(u16 mode)
{
    switch (mode & 0xF000) {
    case 0x8000: return 1;
    case 0x4000: return 2;
    case 0x2000: return 3;
    case 0x6000: return 4;
    case 0x1000: return 5;
    case 0xC000: return 6;
    case 0xA000: return 7;
    default: return 0;
    }
}

} // namespace

ErrnoResult<Inode> Volume::directory_inode(u32 number)
{
    auto inode = TRY_IO(read_inode(number));
    if (inode.type() != FileType::Directory)
        return Errno::NotDir;
    if (inode.link_count == 0)
        return Errno::NoEnt;
    if (inode.size % m_sb.block_size != 0 || inode.size > kMaxDirectoryBytes)
        return fail(Error::malformed("ext2: directory size is not whole blocks or above 64 MiB", number));
    return inode;
}

ErrnoResult<bool> Volume::find_entry(const Inode& directory, StringView name, EntryPosition& position)
{
    bool filetype = (m_sb.feature_incompat & kIncompatFiletype) != 0;
    for (u64 index = 0; index < directory.size / m_sb.block_size; ++index) {
        u32 block = TRY_IO(map_block(directory, index));
        if (block == 0)
            return fail(Error::malformed("ext2: directory with a hole", directory.number));
        auto bytes = TRY_IO(m_cache.read(block));
        TRY_IO(walk_directory_block(bytes, m_sb, [](const DirectoryEntry&) { return true; }));
        u32 previous = ~0u;
        // Checked just above: each record lies inside the block.
        for (u32 at = 0; at < m_sb.block_size; at += get16(bytes, at + 4)) {
            u32 inode = get32(bytes, at);
            u32 name_length = bytes[at + 6] | (filetype ? 0 : u32 { bytes[at + 7] } << 8);
            if (inode != 0 && name_length == name.size() && __builtin_memcmp(bytes.data() + at + 8, name.data(), name.size()) == 0) {
                position = { block, at, previous, inode };
                return true;
            }
            previous = at;
        }
    }
    return false;
}

ErrnoResult<u32> Volume::lookup(const Inode& directory, StringView name)
{
    if (directory.type() != FileType::Directory)
        return Errno::NotDir;
    if (directory.size % m_sb.block_size != 0 || directory.size > kMaxDirectoryBytes)
        return fail(Error::malformed("ext2: directory size is not whole blocks or above 64 MiB", directory.number));
    if (name.empty() || name.size() > kMaxNameLength)
        return name.empty() ? Errno::NoEnt : Errno::NameTooLong;
    EntryPosition position;
    if (!TRY(find_entry(directory, name, position)))
        return Errno::NoEnt;
    return position.inode;
}

ErrnoResult<void> Volume::add_entry(Inode& directory, StringView name, const Inode& target)
{
    bool filetype = (m_sb.feature_incompat & kIncompatFiletype) != 0;
    u32 needed = record_length(name.size());
    auto write_record = [&](Bytes bytes, u32 at, u32 length) {
        put32(bytes, at, target.number);
        put16(bytes, at + 4, length);
        bytes[at + 6] = static_cast<u8>(name.size());
        bytes[at + 7] = filetype ? directory_file_type(target.mode) : 0;
        __builtin_memcpy(bytes.data() + at + 8, name.data(), name.size());
    };
    bool placed = false;
    u64 blocks = directory.size / m_sb.block_size;
    for (u64 index = 0; index < blocks && !placed; ++index) {
        u32 block = TRY_IO(map_block(directory, index));
        if (block == 0)
            return fail(Error::malformed("ext2: directory with a hole", directory.number));
        auto bytes = TRY_IO(m_cache.read(block));
        TRY_IO(walk_directory_block(bytes, m_sb, [](const DirectoryEntry&) { return true; }));
        for (u32 at = 0; at < m_sb.block_size; at += get16(bytes, at + 4)) {
            u32 length = get16(bytes, at + 4);
            u32 name_length = bytes[at + 6] | (filetype ? 0 : u32 { bytes[at + 7] } << 8);
            u32 used = get32(bytes, at) != 0 ? record_length(name_length) : 0;
            if (length < used + needed)
                continue;
            bytes = TRY_IO(m_cache.modify(block)); // the same slot: the read above was the last call
            if (used == 0) {
                write_record(bytes, at, length);
            } else {
                put16(bytes, at + 4, used);
                write_record(bytes, at + used, length - used);
            }
            placed = true;
            break;
        }
    }
    if (!placed) {
        if (directory.size + m_sb.block_size > kMaxDirectoryBytes)
            return Errno::NoSpc;
        bool fresh = false;
        u32 block = TRY(map_for_write(directory, blocks, fresh));
        auto bytes = TRY_IO(m_cache.overwrite(block));
        write_record(bytes, 0, m_sb.block_size);
        directory.size += m_sb.block_size;
    }
    directory.flags &= ~kIndexFlag;
    directory.modify_time = directory.change_time = now();
    TRY_IO(write_inode(directory));
    return {};
}

ErrnoResult<void> Volume::remove_entry(Inode& directory, const EntryPosition& position)
{
    auto bytes = TRY_IO(m_cache.modify(position.block));
    if (position.previous != ~0u)
        put16(bytes, position.previous + 4, get16(bytes, position.previous + 4) + get16(bytes, position.offset + 4));
    else
        put32(bytes, position.offset, 0);
    directory.flags &= ~kIndexFlag;
    directory.modify_time = directory.change_time = now();
    TRY_IO(write_inode(directory));
    return {};
}

ErrnoResult<void> Volume::set_entry_inode(Inode& directory, const EntryPosition& position, const Inode& target)
{
    auto bytes = TRY_IO(m_cache.modify(position.block));
    put32(bytes, position.offset, target.number);
    if ((m_sb.feature_incompat & kIncompatFiletype) != 0)
        bytes[position.offset + 7] = directory_file_type(target.mode);
    directory.flags &= ~kIndexFlag;
    directory.modify_time = directory.change_time = now();
    TRY_IO(write_inode(directory));
    return {};
}

ErrnoResult<bool> Volume::is_empty_directory(const Inode& directory)
{
    bool empty = true;
    TRY(read_directory(directory, [&](const DirectoryEntry& entry) {
        bool dot = entry.name.size() == 1 && entry.name[0] == '.';
        bool dot_dot = entry.name.size() == 2 && entry.name[0] == '.' && entry.name[1] == '.';
        empty = dot || dot_dot;
        return empty;
    }));
    return empty;
}

ErrnoResult<void> Volume::destroy_inode(Inode& inode)
{
    u32 ea_sectors = inode.file_acl != 0 ? m_sb.block_size / static_cast<u32>(drivers::kSectorSize) : 0;
    // A fast symlink's i_block holds its text, not block numbers.
    if (inode.type() == FileType::Symlink && inode.sectors == ea_sectors) {
        for (auto& block : inode.block)
            block = 0;
    }
    TRY_IO(free_blocks_from(inode, 0));
    inode.size = 0;
    TRY_IO(free_inode(inode));
    return {};
}

ErrnoResult<void> Volume::persist_unlinked(Inode& inode)
{
    inode.link_count = 0;
    inode.change_time = now();
    TRY_IO(write_inode(inode));
    TRY_IO(m_cache.write_back());
    return {};
}

ErrnoResult<void> Volume::drop_link(Inode& inode)
{
    if (inode.link_count == 0)
        return fail(Error::malformed("ext2: a named inode with link count 0", inode.number));
    if (inode.link_count == 1)
        return persist_unlinked(inode);
    // Still named elsewhere: in any write order, a crash leaves a link count at or above the
    // names, which e2fsck -p corrects.
    --inode.link_count;
    inode.change_time = now();
    TRY_IO(write_inode(inode));
    return {};
}

ErrnoResult<void> Volume::finish_unlink(Inode& inode, bool keep_unlinked)
{
    if (inode.link_count == 0 && !keep_unlinked)
        return destroy_inode(inode);
    return {};
}

ErrnoResult<void> Volume::release(u32 number)
{
    TRY(check_writable());
    auto inode = TRY_IO(read_inode(number));
    if (inode.link_count != 0)
        return Errno::Busy;
    if (inode.deletion_time != 0)
        return {}; // already freed
    TRY(mark_dirty_state());
    return destroy_inode(inode);
}

ErrnoResult<Inode> Volume::new_entry(u32 directory, StringView name, u16 mode, Inode& parent)
{
    TRY(check_writable());
    TRY(FileSystem::check_new_name(name));
    parent = TRY(directory_inode(directory));
    EntryPosition position;
    if (TRY(find_entry(parent, name, position)))
        return Errno::Exist;
    TRY(mark_dirty_state());
    return allocate_inode(directory, mode);
}

ErrnoResult<void> Volume::attach(Inode& parent, StringView name, Inode& inode)
{
    TRY_IO(write_inode(inode));
    auto added = add_entry(parent, name, inode);
    if (!added) {
        (void)destroy_inode(inode);
        return added.error();
    }
    return {};
}

ErrnoResult<Inode> Volume::create_file(u32 directory, StringView name, u16 mode)
{
    Inode parent;
    auto inode = TRY(new_entry(directory, name, static_cast<u16>(0x8000 | (mode & 0xFFF)), parent));
    inode.link_count = 1;
    TRY(attach(parent, name, inode));
    return inode;
}

ErrnoResult<Inode> Volume::create_directory(u32 directory, StringView name, u16 mode)
{
    Inode parent;
    TRY(check_writable());
    if (auto found = directory_inode(directory); found && found->link_count >= kMaxLinks)
        return Errno::MLink;
    auto inode = TRY(new_entry(directory, name, static_cast<u16>(0x4000 | (mode & 0xFFF)), parent));
    bool fresh = false;
    auto block = map_for_write(inode, 0, fresh);
    if (!block) {
        (void)destroy_inode(inode);
        return block.error();
    }
    auto bytes = TRY_IO(m_cache.overwrite(*block));
    bool filetype = (m_sb.feature_incompat & kIncompatFiletype) != 0;
    put32(bytes, 0, inode.number);
    put16(bytes, 4, 12);
    bytes[6] = 1;
    bytes[7] = filetype ? 2 : 0;
    bytes[8] = '.';
    put32(bytes, 12, parent.number);
    put16(bytes, 16, m_sb.block_size - 12);
    bytes[18] = 2;
    bytes[19] = filetype ? 2 : 0;
    bytes[20] = '.';
    bytes[21] = '.';
    inode.size = m_sb.block_size;
    inode.link_count = 2;
    TRY(attach(parent, name, inode));
    ++parent.link_count;
    TRY_IO(write_inode(parent));
    return inode;
}

ErrnoResult<Inode> Volume::create_symlink(u32 directory, StringView name, StringView target)
{
    if (target.empty())
        return Errno::NoEnt;
    if (target.size() >= m_sb.block_size)
        return Errno::NameTooLong;
    Inode parent;
    auto inode = TRY(new_entry(directory, name, 0xA1FF, parent));
    if (target.size() < 60) {
        for (usize i = 0; i < target.size(); ++i)
            inode.block[i / 4] |= u32 { static_cast<u8>(target[i]) } << (i % 4 * 8);
    } else {
        bool fresh = false;
        auto block = map_for_write(inode, 0, fresh);
        if (!block) {
            (void)destroy_inode(inode);
            return block.error();
        }
        auto bytes = TRY_IO(m_cache.overwrite(*block));
        __builtin_memcpy(bytes.data(), target.data(), target.size());
    }
    inode.size = target.size();
    inode.link_count = 1;
    TRY(attach(parent, name, inode));
    return inode;
}

ErrnoResult<void> Volume::link(u32 number, u32 directory, StringView name)
{
    TRY(check_writable());
    TRY(FileSystem::check_new_name(name));
    auto target = TRY_IO(read_inode(number));
    if (target.type() == FileType::Directory)
        return Errno::Perm;
    if (target.link_count == 0)
        return Errno::NoEnt;
    if (target.link_count >= kMaxLinks)
        return Errno::MLink;
    auto parent = TRY(directory_inode(directory));
    EntryPosition position;
    if (TRY(find_entry(parent, name, position)))
        return Errno::Exist;
    TRY(mark_dirty_state());
    TRY(add_entry(parent, name, target));
    ++target.link_count;
    target.change_time = now();
    TRY_IO(write_inode(target));
    return {};
}

ErrnoResult<void> Volume::unlink(u32 directory, StringView name, bool keep_unlinked)
{
    TRY(check_writable());
    TRY(FileSystem::check_new_name(name));
    auto parent = TRY(directory_inode(directory));
    EntryPosition position;
    if (!TRY(find_entry(parent, name, position)))
        return Errno::NoEnt;
    auto target = TRY_IO(read_inode(position.inode));
    if (target.type() == FileType::Directory)
        return Errno::IsDir;
    TRY(mark_dirty_state());
    TRY(drop_link(target));
    TRY(remove_entry(parent, position));
    return finish_unlink(target, keep_unlinked);
}

ErrnoResult<void> Volume::remove_directory(u32 directory, StringView name)
{
    TRY(check_writable());
    if (name == "..")
        return Errno::NotEmpty;
    TRY(FileSystem::check_new_name(name));
    auto parent = TRY(directory_inode(directory));
    EntryPosition position;
    if (!TRY(find_entry(parent, name, position)))
        return Errno::NoEnt;
    auto target = TRY_IO(read_inode(position.inode));
    if (target.type() != FileType::Directory)
        return Errno::NotDir;
    if (!TRY(is_empty_directory(target)))
        return Errno::NotEmpty;
    if (parent.link_count <= 2)
        return fail(Error::malformed("ext2: a directory with a subdirectory has link count below 3", parent.number));
    TRY(mark_dirty_state());
    TRY(persist_unlinked(target));
    TRY(remove_entry(parent, position));
    --parent.link_count;
    TRY_IO(write_inode(parent));
    return destroy_inode(target);
}

ErrnoResult<void> Volume::rename(u32 from_directory, StringView from, u32 to_directory, StringView to, bool keep_replaced)
{
    TRY(check_writable());
    TRY(FileSystem::check_new_name(from));
    TRY(FileSystem::check_new_name(to));
    Inode from_parent = TRY(directory_inode(from_directory));
    Inode other_parent;
    bool same_parent = from_directory == to_directory;
    if (!same_parent)
        other_parent = TRY(directory_inode(to_directory));
    Inode& to_parent = same_parent ? from_parent : other_parent;
    EntryPosition source_position;
    if (!TRY(find_entry(from_parent, from, source_position)))
        return Errno::NoEnt;
    auto source = TRY_IO(read_inode(source_position.inode));
    EntryPosition target_position;
    bool replaces = TRY(find_entry(to_parent, to, target_position));
    if (replaces && target_position.inode == source.number)
        return {};
    bool moves_directory = source.type() == FileType::Directory;
    Inode target;
    if (replaces) {
        target = TRY_IO(read_inode(target_position.inode));
        if (moves_directory && target.type() != FileType::Directory)
            return Errno::NotDir;
        if (!moves_directory && target.type() == FileType::Directory)
            return Errno::IsDir;
        if (moves_directory && !TRY(is_empty_directory(target)))
            return Errno::NotEmpty;
    }
    if (moves_directory && !same_parent) {
        if (!replaces && to_parent.link_count >= kMaxLinks)
            return Errno::MLink;
        // The destination must not lie below the directory that moves.
        u32 current = to_directory;
        for (u32 depth = 0;; ++depth) {
            if (current == source.number)
                return Errno::Inval;
            if (current == kRootInode)
                break;
            if (depth == kMaxDepth)
                return fail(Error::malformed("ext2: '..' chain does not reach the root", to_directory));
            auto here = TRY(directory_inode(current));
            current = TRY(lookup(here, ".."));
        }
    }
    TRY(mark_dirty_state());
    // The source's inode is on the disk before a new name points to it.
    TRY_IO(m_cache.write_back());
    if (replaces && !moves_directory && target_position.block == source_position.block)
        return replace_in_block(from_parent, source_position, target_position, source, target, keep_replaced);
    if (replaces)
        TRY(moves_directory ? persist_unlinked(target) : drop_link(target));
    if (replaces)
        TRY(set_entry_inode(to_parent, target_position, source));
    else
        TRY(add_entry(to_parent, to, source));
    // The new name reaches the disk before the old one goes: a crash in between leaves two
    // names for a file (e2fsck -p raises its link count), never none.
    TRY_IO(m_cache.write_back());
    // Adding may have split the record before the source's: find it again.
    if (!TRY(find_entry(from_parent, from, source_position)))
        return fail(Error::malformed("ext2: renamed entry vanished", from_parent.number));
    TRY(remove_entry(from_parent, source_position));
    if (moves_directory && !same_parent) {
        EntryPosition dot_dot;
        if (!TRY(find_entry(source, "..", dot_dot)))
            return fail(Error::malformed("ext2: directory without '..'", source.number));
        TRY(set_entry_inode(source, dot_dot, to_parent));
        if (from_parent.link_count <= 2)
            return fail(Error::malformed("ext2: a directory with a subdirectory has link count below 3", from_parent.number));
        --from_parent.link_count;
        ++to_parent.link_count;
        TRY_IO(write_inode(from_parent));
    }
    if (replaces && target.type() == FileType::Directory) {
        // The replaced directory's ".." named the destination parent.
        --to_parent.link_count;
        TRY_IO(write_inode(to_parent));
        TRY(destroy_inode(target));
    } else {
        TRY_IO(write_inode(to_parent));
        if (replaces)
            TRY(finish_unlink(target, keep_replaced));
    }
    source.change_time = now();
    TRY_IO(write_inode(source));
    return {};
}

ErrnoResult<void> Volume::replace_in_block(Inode& parent, const EntryPosition& from, const EntryPosition& to, Inode& source,
                                           Inode& replaced, bool keep_replaced)
{
    // Swapping the two entries' inodes is one block's write: on the disk the names go from
    // (to: replaced, from: source) to (to: source, from: replaced), never through a state
    // without either file. What is left is unlinking `from`, which names the replaced inode.
    TRY(set_entry_inode(parent, to, source));
    TRY(set_entry_inode(parent, from, replaced));
    TRY(drop_link(replaced));
    TRY(remove_entry(parent, from));
    source.change_time = now();
    TRY_IO(write_inode(source));
    return finish_unlink(replaced, keep_replaced);
}

} // namespace wk::kernel::fs::ext2
