#include "kernel/fs/ext2_mount.h"

#include <new>

namespace wk::kernel::fs::ext2 {

namespace {

constexpr u64 kNanosecondsPerSecond = 1'000'000'000;

InodeType node_type(FileType type)
{
    switch (type) {
    case FileType::Directory: return InodeType::Directory;
    case FileType::Symlink: return InodeType::Symlink;
    default: return InodeType::File;
    }
}

// An entry's type from its filetype byte (EXT2_FT_*); without the feature it is 0.
InodeType entry_type(u8 file_type)
{
    switch (file_type) {
    case 2: return InodeType::Directory;
    case 7: return InodeType::Symlink;
    default: return InodeType::File;
    }
}

} // namespace

ErrnoResult<Mount*> Mount::create(FileSystem& fs, Volume volume, Directory& parent, StringView name)
{
    void* storage = fs.allocator().allocate(sizeof(Mount), alignof(Mount));
    if (!storage)
        return Errno::NoMem;
    auto* mount = new (storage) Mount(fs, std::move(volume));
    mount->m_writable_seen = mount->m_volume.is_writable();
    auto cleanup = [&] { destroy(mount); };
    if (!mount->m_block.try_resize(mount->m_volume.superblock().block_size)) {
        cleanup();
        return Errno::NoMem;
    }
    RefPtr<Directory> directory;
    Errno error = Errno::NotDir;
    {
        // Scoped: a root that is not a directory is dropped (forgotten) before the cleanup.
        auto root = mount->node_for(kRootInode);
        if (root && (*root)->is_directory())
            directory = RefPtr<Directory>(static_cast<Directory&>(**root));
        else if (!root)
            error = root.error();
    }
    if (!directory) {
        cleanup();
        return error;
    }
    if (auto mounted = fs.mount_at(parent, name, std::move(directory)); !mounted) {
        // NOTE: the root node's last reference went with `directory`; forget() removed it.
        cleanup();
        return mounted.error();
    }
    return mount;
}

void Mount::destroy(Mount* mount)
{
    Allocator& allocator = mount->m_allocator;
    mount->~Mount();
    allocator.deallocate(mount, sizeof(Mount), alignof(Mount));
}

ErrnoResult<ext2::Inode> Mount::disk_inode(u32 number)
{
    auto inode = m_volume.read_inode(number);
    if (!inode)
        return Errno::Io;
    return *inode;
}

void Mount::mirror(fs::Inode& node, const ext2::Inode& disk)
{
    m_fs.mirror(node, disk.link_count, disk.size, u64 { disk.access_time } * kNanosecondsPerSecond,
                u64 { disk.modify_time } * kNanosecondsPerSecond, u64 { disk.change_time } * kNanosecondsPerSecond);
}

void Mount::refresh(u32 number)
{
    fs::Inode** node = m_nodes.get(number);
    if (!node)
        return;
    if (auto disk = m_volume.read_inode(number))
        mirror(**node, *disk);
}

ErrnoResult<RefPtr<fs::Inode>> Mount::node_for(u32 number)
{
    if (fs::Inode** existing = m_nodes.get(number))
        return RefPtr<fs::Inode>(**existing);
    ext2::Inode disk = TRY(disk_inode(number));
    if (disk.link_count == 0)
        return Errno::Io; // a name leading to a free inode: damage
    FileType type = disk.type();
    if (type != FileType::Regular && type != FileType::Directory && type != FileType::Symlink)
        return Errno::NotSup; // devices, FIFOs, sockets: nothing the kernel can open
    Vector<u8> target;
    if (type == FileType::Symlink) {
        if (!m_volume.read_symlink(disk, target))
            return Errno::Io;
    }
    StringView text(reinterpret_cast<const char*>(target.data()), target.size());
    RefPtr<fs::Inode> node = TRY(m_fs.make_backed(*this, node_type(type), number, text));
    if (!m_nodes.try_set(number, node.get()))
        return Errno::NoMem; // NOTE: dropping `node` calls forget(), which finds nothing to remove
    mirror(*node, disk);
    return node;
}

void Mount::forget(fs::Inode& node)
{
    u32 number = node.disk_number();
    fs::Inode** entry = m_nodes.get(number);
    if (!entry || *entry != &node)
        return;
    m_nodes.remove(number);
    // Unlinked while open: the last reference frees its blocks and inode.
    if (node.link_count() == 0 && !node.is_directory())
        (void)m_volume.release(number);
}

ErrnoResult<u32> Mount::lookup_number(Directory& directory, StringView name)
{
    if (directory.is_removed())
        return Errno::NoEnt;
    ext2::Inode disk = TRY(disk_inode(directory.disk_number()));
    return m_volume.lookup(disk, name);
}

bool Mount::is_ancestor(const Directory& candidate, const Directory& directory) const
{
    // Parents lead up to the mount's root (whose parent is a RAM directory) without cycles, as
    // no lookup makes one; the bound only guards against a bug turning into a hang.
    const Directory* current = &directory;
    for (u32 depth = 0; current && current->is_backed() && depth < kMaxParentWalk; ++depth) {
        if (current == &candidate)
            return true;
        current = current->parent();
    }
    return current == &candidate;
}

ErrnoResult<RefPtr<fs::Inode>> Mount::lookup(Directory& directory, StringView name)
{
    DamageWatch watch(*this);
    u32 number = TRY(lookup_number(directory, name));
    RefPtr<fs::Inode> node = TRY(node_for(number));
    if (node->is_directory() && number != kRootInode) {
        // Reached through `directory`: that is its parent (also after a rename elsewhere),
        // unless a hostile image names an ancestor here: holding it would make a cycle of
        // references (and `..` a loop), so an ancestor keeps its parent.
        auto& found = static_cast<Directory&>(*node);
        if (found.parent() != &directory && !is_ancestor(found, directory))
            found.set_backed_parent(&directory, true);
    }
    return node;
}

ErrnoResult<RefPtr<fs::Inode>> Mount::create_file(Directory& directory, StringView name)
{
    DamageWatch watch(*this);
    ext2::Inode made = TRY(m_volume.create_file(directory.disk_number(), name, 0644));
    refresh(directory.disk_number());
    return node_for(made.number);
}

ErrnoResult<RefPtr<Directory>> Mount::create_directory(Directory& parent, StringView name)
{
    DamageWatch watch(*this);
    ext2::Inode made = TRY(m_volume.create_directory(parent.disk_number(), name, 0755));
    refresh(parent.disk_number());
    RefPtr<fs::Inode> node = TRY(node_for(made.number));
    auto& directory = static_cast<Directory&>(*node);
    directory.set_backed_parent(&parent, true);
    return RefPtr<Directory>(directory);
}

ErrnoResult<void> Mount::remove_directory(Directory& parent, StringView name)
{
    DamageWatch watch(*this);
    u32 number = TRY(lookup_number(parent, name));
    TRY(m_volume.remove_directory(parent.disk_number(), name));
    if (fs::Inode** node = m_nodes.get(number); node && (*node)->is_directory())
        m_fs.mark_removed(static_cast<Directory&>(**node));
    refresh(parent.disk_number());
    return {};
}

ErrnoResult<void> Mount::unlink(Directory& parent, StringView name)
{
    DamageWatch watch(*this);
    u32 number = TRY(lookup_number(parent, name));
    // A node means someone holds the file: its blocks stay until the last reference goes.
    bool held = m_nodes.get(number) != nullptr;
    TRY(m_volume.unlink(parent.disk_number(), name, held));
    refresh(number);
    refresh(parent.disk_number());
    return {};
}

ErrnoResult<void> Mount::rename(Directory& from_directory, StringView from, Directory& to_directory, StringView to)
{
    DamageWatch watch(*this);
    if (to_directory.is_removed())
        return Errno::NoEnt;
    u32 source = TRY(lookup_number(from_directory, from));
    auto replaced = lookup_number(to_directory, to);
    if (!replaced && replaced.error() != Errno::NoEnt)
        return replaced.error();
    u32 target = replaced ? *replaced : 0;
    bool held = target != 0 && m_nodes.get(target) != nullptr;
    TRY(m_volume.rename(from_directory.disk_number(), from, to_directory.disk_number(), to, held));
    if (fs::Inode** node = m_nodes.get(source); node && (*node)->is_directory())
        static_cast<Directory&>(**node).set_backed_parent(&to_directory, true);
    if (fs::Inode** node = target != source && target != 0 ? m_nodes.get(target) : nullptr;
        node && (*node)->is_directory())
        m_fs.mark_removed(static_cast<Directory&>(**node));
    refresh(source);
    if (target != 0)
        refresh(target);
    refresh(from_directory.disk_number());
    refresh(to_directory.disk_number());
    return {};
}

ErrnoResult<void> Mount::link(fs::Inode& source, Directory& directory, StringView name)
{
    DamageWatch watch(*this);
    TRY(m_volume.link(source.disk_number(), directory.disk_number(), name));
    refresh(source.disk_number());
    refresh(directory.disk_number());
    return {};
}

ErrnoResult<RefPtr<Symlink>> Mount::symlink(StringView target, Directory& directory, StringView name)
{
    DamageWatch watch(*this);
    ext2::Inode made = TRY(m_volume.create_symlink(directory.disk_number(), name, target));
    refresh(directory.disk_number());
    RefPtr<fs::Inode> node = TRY(node_for(made.number));
    return RefPtr<Symlink>(static_cast<Symlink&>(*node));
}

ErrnoResult<void> Mount::read_directory(Directory& directory, u64 cookie, DirectoryVisitor& visitor)
{
    DamageWatch watch(*this);
    if (directory.is_removed())
        return {}; // empty, as a removed RAM directory
    ext2::Inode disk = TRY(disk_inode(directory.disk_number()));
    if (disk.type() != FileType::Directory)
        return Errno::NotDir;
    u32 block_size = m_volume.superblock().block_size;
    if (disk.size % block_size != 0)
        return Errno::Io;
    // Cookies are byte positions in the directory: records never move (a removed one merges
    // into the record before it, a new one takes free space), so a cookie stays valid.
    u64 blocks = disk.size / block_size;
    for (u64 index = cookie / block_size; index < blocks; ++index) {
        if (!m_volume.read_file_block(disk, index, m_block.span()))
            return Errno::Io;
        bool stopped = false;
        auto walked = walk_directory_block(m_block.span(), m_volume.superblock(), [&](const DirectoryEntry& entry) {
            u64 at = index * block_size + entry.offset;
            if (at < cookie)
                return true;
            StringView name(reinterpret_cast<const char*>(entry.name.data()), entry.name.size());
            InodeType type = name == "." || name == ".." ? InodeType::Directory : entry_type(entry.file_type);
            stopped = !visitor.entry(at + entry.rec_len, entry.inode, type, name);
            return !stopped;
        });
        if (!walked)
            return Errno::Io;
        if (stopped)
            return {};
    }
    return {};
}

ErrnoResult<usize> Mount::read(const File& file, u64 offset, Bytes buffer)
{
    DamageWatch watch(*this);
    ext2::Inode disk = TRY(disk_inode(file.disk_number()));
    return m_volume.read(disk, offset, buffer);
}

ErrnoResult<usize> Mount::write(File& file, u64 offset, ReadonlyBytes data)
{
    DamageWatch watch(*this);
    ext2::Inode disk = TRY(disk_inode(file.disk_number()));
    auto written = m_volume.write(disk, offset, data);
    mirror(file, disk);
    return written;
}

ErrnoResult<void> Mount::set_size(File& file, u64 size)
{
    DamageWatch watch(*this);
    ext2::Inode disk = TRY(disk_inode(file.disk_number()));
    auto result = m_volume.set_size(disk, size);
    mirror(file, disk);
    return result;
}

ErrnoResult<void> Mount::set_times(fs::Inode& node, const TimeUpdate& access, const TimeUpdate& modify)
{
    DamageWatch watch(*this);
    ext2::Inode disk = TRY(disk_inode(node.disk_number()));
    u64 now = m_fs.now();
    auto seconds = [&](const TimeUpdate& update, u32& out) -> const u32* {
        switch (update.kind) {
        case TimeUpdate::Kind::Omit: return nullptr;
        case TimeUpdate::Kind::Now: out = static_cast<u32>(now / kNanosecondsPerSecond); return &out;
        case TimeUpdate::Kind::Set: out = static_cast<u32>(update.nanoseconds / kNanosecondsPerSecond); return &out;
        }
        return nullptr;
    };
    u32 access_seconds = 0;
    u32 modify_seconds = 0;
    const u32* access_value = seconds(access, access_seconds);
    const u32* modify_value = seconds(modify, modify_seconds);
    TRY(m_volume.set_times(disk, access_value, modify_value));
    mirror(node, disk);
    return {};
}

ErrnoResult<void> Mount::sync()
{
    DamageWatch watch(*this);
    return m_volume.flush();
}

ErrnoResult<void> Mount::unmount()
{
    m_writable_seen = false;
    if (!m_volume.is_writable())
        return {};
    // Files unlinked while still open: nobody can name them again, so their blocks go now
    // rather than leave an orphan inode on a disk marked clean. (Their nodes read zeros or
    // stale blocks from here on; the machine is powering off.)
    for (auto& entry : m_nodes) {
        if (entry.value->link_count() == 0 && !entry.value->is_directory())
            TRY(m_volume.release(entry.key));
    }
    TRY(m_volume.unmount());
    m_volume.set_read_only(Error::from("ext2: unmounted (poweroff)", ErrorKind::Unsupported));
    return {};
}

Mount::DamageWatch::~DamageWatch()
{
    if (m_mount.m_writable_seen && !m_mount.m_volume.is_writable()) {
        m_mount.m_writable_seen = false;
        if (m_mount.m_reporter)
            m_mount.m_reporter(m_mount.m_volume.last_error());
    }
}

} // namespace wk::kernel::fs::ext2
