#include "kernel/fs/file_system.h"

#include <new>

namespace wk::kernel::fs {

// ---- lifetime and accounting ------------------------------------------------------

ErrnoResult<RefPtr<FileSystem>> FileSystem::create(Limits limits, Clock* clock, Allocator* allocator)
{
    Allocator& memory = allocator ? *allocator : default_allocator();
    void* storage = memory.allocate(sizeof(FileSystem), alignof(FileSystem));
    if (!storage)
        return Errno::NoMem;
    auto fs = adopt_ref(*new (storage) FileSystem(limits, clock, allocator));
    fs->m_root = TRY(fs->make_inode<Directory>());
    fs->m_root->m_parent = fs->m_root.get();
    fs->m_root->m_link_count = 2;
    return fs;
}

void FileSystem::destroy()
{
    Allocator& memory = allocator();
    this->~FileSystem();
    memory.deallocate(this, sizeof(FileSystem), alignof(FileSystem));
}

FileSystem::~FileSystem()
{
    m_root = nullptr;
    WK_ASSERT(m_inode_count == 0);
    WK_ASSERT(m_bytes_used == 0);
}

ErrnoResult<void> FileSystem::charge(u64 bytes)
{
    if (bytes > m_limits.max_bytes - m_bytes_used)
        return Errno::NoSpc;
    m_bytes_used += bytes;
    return {};
}

void FileSystem::uncharge(u64 bytes)
{
    WK_ASSERT(bytes <= m_bytes_used);
    m_bytes_used -= bytes;
}

u64 FileSystem::owner_bytes(u32 owner) const
{
    const u64* used = m_owner_bytes.get(owner);
    return used ? *used : 0;
}

ErrnoResult<void> FileSystem::charge_file(File& file, u64 bytes)
{
    if (file.m_owner == 0 || bytes == 0)
        return charge(bytes);
    u64* used = m_owner_bytes.get(file.m_owner);
    u64 current = used ? *used : 0;
    if (current > m_limits.max_bytes_per_owner || bytes > m_limits.max_bytes_per_owner - current)
        return Errno::DQuot;
    TRY(charge(bytes));
    if (used) {
        *used += bytes;
    } else if (!m_owner_bytes.try_set(file.m_owner, bytes)) {
        uncharge(bytes);
        return Errno::NoMem;
    }
    return {};
}

void FileSystem::uncharge_file(File& file, u64 bytes)
{
    uncharge(bytes);
    if (file.m_owner == 0 || bytes == 0)
        return;
    u64* used = m_owner_bytes.get(file.m_owner);
    WK_ASSERT(used && *used >= bytes);
    *used -= bytes;
    if (*used == 0)
        m_owner_bytes.remove(file.m_owner);
}

template<typename T, typename... Args>
ErrnoResult<RefPtr<T>> FileSystem::make_inode(Args&&... args)
{
    if (m_inode_count >= m_limits.max_inodes)
        return Errno::NoSpc;
    void* storage = allocator().allocate(sizeof(T), alignof(T));
    if (!storage)
        return Errno::NoMem;
    ++m_inode_count;
    T* inode = new (storage) T(*this, m_next_inode_number++, now(), std::forward<Args>(args)...);
    return adopt_ref(*inode);
}

// Frees inodes one at a time from a queue: freeing a directory drops its entries, whose
// inodes join the queue instead of being freed recursively, so a deep tree cannot
// exhaust the stack.
void FileSystem::release(Inode& inode)
{
    m_release_queue.push_back(inode);
    if (m_releasing)
        return;
    m_releasing = true;
    while (Inode* next = m_release_queue.pop_front())
        free_inode(*next);
    m_releasing = false;
}

void FileSystem::free_inode(Inode& inode)
{
    if (inode.m_backend)
        inode.m_backend->forget(inode);
    Allocator& memory = allocator();
    switch (inode.type()) {
    case InodeType::File: {
        auto& file = static_cast<File&>(inode);
        file.~File();
        memory.deallocate(&file, sizeof(File), alignof(File));
        break;
    }
    case InodeType::Directory: {
        auto& directory = static_cast<Directory&>(inode);
        directory.~Directory();
        memory.deallocate(&directory, sizeof(Directory), alignof(Directory));
        break;
    }
    case InodeType::Symlink: {
        auto& symlink = static_cast<Symlink&>(inode);
        uncharge(symlink.target().size());
        symlink.~Symlink();
        memory.deallocate(&symlink, sizeof(Symlink), alignof(Symlink));
        break;
    }
    }
    WK_ASSERT(m_inode_count > 0);
    --m_inode_count;
}

void FileSystem::file_changed(const Inode& inode)
{
    if (m_file_observer && inode.is_file())
        m_file_observer(inode.number());
}

void FileSystem::touch_directory(Directory& directory)
{
    u64 time = now();
    directory.m_modify_time = time;
    directory.m_change_time = time;
}

// ---- names ------------------------------------------------------------------------

ErrnoResult<void> FileSystem::check_new_name(StringView name)
{
    if (name.empty() || name == "." || name == "..")
        return Errno::Inval;
    if (name.size() > kMaxNameLength)
        return Errno::NameTooLong;
    for (char c : name) {
        if (c == '/' || c == '\0')
            return Errno::Inval;
    }
    return {};
}

// Checks a component that names something existing (may be "." or "..").
static ErrnoResult<void> check_name(StringView name)
{
    if (name == "." || name == "..")
        return {};
    return FileSystem::check_new_name(name);
}

ErrnoResult<void> FileSystem::add_entry(Directory& directory, StringView name, RefPtr<Inode> inode)
{
    TRY(charge(kEntryOverhead + name.size()));
    auto added = directory.add(name, std::move(inode));
    if (!added) {
        uncharge(kEntryOverhead + name.size());
        return added.error();
    }
    touch_directory(directory);
    return {};
}

// ---- one component ----------------------------------------------------------------

ErrnoResult<RefPtr<Inode>> FileSystem::lookup_at(Directory& directory, StringView name)
{
    TRY(check_name(name));
    if (name == ".")
        return RefPtr<Inode>(directory);
    if (name == "..") {
        if (directory.is_removed())
            return Errno::NoEnt;
        return RefPtr<Inode>(*directory.parent());
    }
    if (directory.is_backed())
        return directory.backend()->lookup(directory, name);
    Inode* inode = directory.find(name);
    if (!inode)
        return Errno::NoEnt;
    return RefPtr<Inode>(*inode);
}

RefPtr<Inode> FileSystem::find_ref(Directory& directory, StringView name)
{
    if (name == "." || name == "..")
        return nullptr;
    if (directory.is_backed()) {
        auto found = directory.backend()->lookup(directory, name);
        return found ? std::move(*found) : RefPtr<Inode>();
    }
    Inode* inode = directory.find(name);
    return inode ? RefPtr<Inode>(*inode) : RefPtr<Inode>();
}

ErrnoResult<void> FileSystem::read_directory(Directory& directory, u64 cookie, DirectoryVisitor& visitor)
{
    if (directory.is_backed())
        return directory.backend()->read_directory(directory, cookie, visitor);
    directory.read(cookie, visitor);
    return {};
}

// ---- mounts -----------------------------------------------------------------------

ErrnoResult<void> FileSystem::mount_at(Directory& parent, StringView name, RefPtr<Directory> root)
{
    TRY(check_new_name(name));
    if (parent.is_backed() || !root->is_backed())
        return Errno::Inval;
    if (parent.find(name))
        return Errno::Exist;
    Directory& mounted = *root;
    TRY(add_entry(parent, name, std::move(root)));
    mounted.set_backed_parent(&parent, false);
    ++parent.m_link_count;
    return {};
}

ErrnoResult<RefPtr<Inode>> FileSystem::make_backed(Backend& backend, InodeType type, u32 disk_number, StringView target)
{
    RefPtr<Inode> inode;
    switch (type) {
    case InodeType::File: inode = TRY(make_inode<File>()); break;
    case InodeType::Directory: inode = TRY(make_inode<Directory>()); break;
    case InodeType::Symlink: {
        TRY(charge(target.size()));
        auto text = String::try_create(target, &allocator());
        if (!text) {
            uncharge(target.size());
            return Errno::NoMem;
        }
        auto made = make_inode<Symlink>(std::move(*text));
        if (!made) {
            uncharge(target.size());
            return made.error();
        }
        inode = std::move(*made);
        break;
    }
    }
    inode->m_backend = &backend;
    inode->m_disk_number = disk_number;
    return inode;
}

void FileSystem::mirror(Inode& inode, u64 link_count, u64 size, u64 access_time, u64 modify_time, u64 change_time)
{
    inode.m_link_count = link_count;
    inode.m_access_time = access_time;
    inode.m_modify_time = modify_time;
    inode.m_change_time = change_time;
    if (inode.is_file())
        static_cast<File&>(inode).m_size = size;
}

void FileSystem::mark_removed(Directory& directory)
{
    directory.set_backed_parent(nullptr, false);
    directory.m_link_count = 0;
}

ErrnoResult<void> FileSystem::sync(Inode& inode)
{
    if (inode.is_backed())
        return inode.backend()->sync();
    return {};
}

ErrnoResult<RefPtr<File>> FileSystem::create_file(Directory& directory, StringView name)
{
    TRY(check_new_name(name));
    if (directory.is_removed())
        return Errno::NoEnt;
    if (directory.is_backed()) {
        RefPtr<Inode> made = TRY(directory.backend()->create_file(directory, name));
        return RefPtr<File>(static_cast<File&>(*made));
    }
    RefPtr<File> file = TRY(make_inode<File>());
    file->m_owner = m_owner_source ? m_owner_source() : 0;
    TRY(add_entry(directory, name, file));
    file->m_link_count = 1;
    return file;
}

ErrnoResult<RefPtr<Inode>> FileSystem::open_at(Directory& directory, StringView name, const OpenFlags& flags)
{
    TRY(check_name(name));
    auto found = lookup_at(directory, name);
    if (!found) {
        if (found.error() != Errno::NoEnt || !flags.create || flags.directory || name == "." || name == "..")
            return found.error();
        return RefPtr<Inode>(TRY(create_file(directory, name)));
    }
    RefPtr<Inode> inode = std::move(*found);
    if (flags.create && flags.exclusive)
        return Errno::Exist;
    if (inode->is_symlink())
        return Errno::Loop;
    if (flags.directory && !inode->is_directory())
        return Errno::NotDir;
    if (flags.truncate) {
        if (inode->is_directory())
            return Errno::IsDir;
        TRY(set_size(static_cast<File&>(*inode), 0));
    }
    return inode;
}

ErrnoResult<RefPtr<Directory>> FileSystem::create_directory_at(Directory& parent, StringView name)
{
    if (name == "." || name == "..")
        return Errno::Exist;
    TRY(check_new_name(name));
    if (parent.is_removed())
        return Errno::NoEnt;
    if (parent.is_backed())
        return parent.backend()->create_directory(parent, name);
    if (parent.find(name))
        return Errno::Exist;
    if (parent.m_link_count >= kMaxLinkCount)
        return Errno::MLink;
    RefPtr<Directory> directory = TRY(make_inode<Directory>());
    TRY(add_entry(parent, name, directory));
    directory->m_parent = &parent;
    directory->m_link_count = 2;
    ++parent.m_link_count;
    return directory;
}

ErrnoResult<void> FileSystem::remove_directory_at(Directory& parent, StringView name)
{
    if (name == ".")
        return Errno::Inval;
    if (name == "..")
        return Errno::NotEmpty;
    TRY(check_new_name(name));
    if (parent.is_backed())
        return parent.backend()->remove_directory(parent, name);
    Inode* inode = parent.find(name);
    if (!inode)
        return Errno::NoEnt;
    if (!inode->is_directory())
        return Errno::NotDir;
    if (inode->is_backed())
        return Errno::Busy; // a mount point
    auto& directory = static_cast<Directory&>(*inode);
    if (!directory.is_empty())
        return Errno::NotEmpty;
    uncharge(kEntryOverhead + name.size());
    RefPtr<Inode> removed = parent.remove(name);
    directory.m_parent = nullptr;
    directory.m_link_count = 0;
    directory.m_change_time = now();
    --parent.m_link_count;
    touch_directory(parent);
    return {};
}

ErrnoResult<void> FileSystem::unlink_at(Directory& parent, StringView name)
{
    if (name == "." || name == "..")
        return Errno::IsDir;
    TRY(check_new_name(name));
    if (parent.is_backed())
        return parent.backend()->unlink(parent, name);
    Inode* inode = parent.find(name);
    if (!inode)
        return Errno::NoEnt;
    if (inode->is_directory())
        return Errno::IsDir;
    uncharge(kEntryOverhead + name.size());
    RefPtr<Inode> removed = parent.remove(name);
    --removed->m_link_count;
    removed->m_change_time = now();
    file_changed(*removed);
    touch_directory(parent);
    return {};
}

static bool is_within(Directory& directory, Directory& ancestor)
{
    // Parent links lead to the root in at most the tree's depth; a removed directory ends it.
    for (Directory* current = &directory; current; current = current->parent()) {
        if (current == &ancestor)
            return true;
        if (current->is_root())
            return false;
    }
    return false;
}

ErrnoResult<void> FileSystem::rename_at(Directory& from_directory, StringView from, Directory& to_directory, StringView to)
{
    if (from == "." || from == ".." || to == "." || to == "..")
        return from == "." || to == "." ? Errno::Inval : Errno::Busy;
    TRY(check_new_name(from));
    TRY(check_new_name(to));
    if (from_directory.is_backed() || to_directory.is_backed()) {
        if (from_directory.backend() != to_directory.backend())
            return Errno::XDev;
        return from_directory.backend()->rename(from_directory, from, to_directory, to);
    }
    Inode* source = from_directory.find(from);
    if (!source)
        return Errno::NoEnt;
    if (to_directory.is_removed())
        return Errno::NoEnt;
    Inode* target = to_directory.find(to);
    if (target == source)
        return {}; // POSIX: two names of one inode, nothing happens.
    if (source->is_backed() || (target && target->is_backed()))
        return Errno::Busy; // a mount point stays where it is

    bool moving_directory = source->is_directory();
    if (moving_directory && is_within(to_directory, static_cast<Directory&>(*source)))
        return Errno::Inval;
    if (target) {
        if (moving_directory && !target->is_directory())
            return Errno::NotDir;
        if (!moving_directory && target->is_directory())
            return Errno::IsDir;
        if (target->is_directory() && !static_cast<Directory*>(target)->is_empty())
            return Errno::NotEmpty;
    } else {
        if (moving_directory && &from_directory != &to_directory && to_directory.m_link_count >= kMaxLinkCount)
            return Errno::MLink;
        // The only step that can fail: make the new name before touching anything.
        RefPtr<Inode> keep(*source);
        TRY(add_entry(to_directory, to, keep));
    }

    u64 time = now();
    RefPtr<Inode> moved(*source);
    if (target) {
        // Atomic replace: the target entry keeps its place (and readdir cookie).
        Directory::Entry* entry = to_directory.find_entry(to);
        RefPtr<Inode> replaced = std::exchange(entry->inode, moved);
        --replaced->m_link_count;
        replaced->m_change_time = time;
        file_changed(*replaced);
        if (replaced->is_directory()) {
            auto& gone = static_cast<Directory&>(*replaced);
            gone.m_parent = nullptr;
            gone.m_link_count = 0;
            --to_directory.m_link_count;
        }
        touch_directory(to_directory);
    }
    uncharge(kEntryOverhead + from.size());
    RefPtr<Inode> unused = from_directory.remove(from);
    if (moving_directory) {
        auto& directory = static_cast<Directory&>(*moved);
        --from_directory.m_link_count;
        ++to_directory.m_link_count;
        directory.m_parent = &to_directory;
    }
    moved->m_change_time = time;
    file_changed(*moved);
    touch_directory(from_directory);
    return {};
}

ErrnoResult<void> FileSystem::link_at(Directory& from_directory, StringView from, Directory& to_directory, StringView to)
{
    TRY(check_name(from));
    TRY(check_new_name(to));
    RefPtr<Inode> source = TRY(lookup_at(from_directory, from));
    if (source->is_directory())
        return Errno::Perm;
    if (to_directory.is_removed())
        return Errno::NoEnt;
    if (source->is_backed() || to_directory.is_backed()) {
        if (source->backend() != to_directory.backend())
            return Errno::XDev;
        return to_directory.backend()->link(*source, to_directory, to);
    }
    if (to_directory.find(to))
        return Errno::Exist;
    if (source->m_link_count >= kMaxLinkCount)
        return Errno::MLink;
    TRY(add_entry(to_directory, to, source));
    ++source->m_link_count;
    source->m_change_time = now();
    return {};
}

ErrnoResult<RefPtr<Symlink>> FileSystem::symlink_at(StringView target, Directory& directory, StringView name)
{
    if (target.empty())
        return Errno::NoEnt;
    if (target.size() >= kMaxPathLength)
        return Errno::NameTooLong;
    for (char c : target) {
        if (c == '\0')
            return Errno::Inval;
    }
    if (name == "." || name == "..")
        return Errno::Exist;
    TRY(check_new_name(name));
    if (directory.is_removed())
        return Errno::NoEnt;
    if (directory.is_backed())
        return directory.backend()->symlink(target, directory, name);
    if (directory.find(name))
        return Errno::Exist;
    TRY(charge(target.size()));
    auto text = String::try_create(target, &allocator());
    if (!text) {
        uncharge(target.size());
        return Errno::NoMem;
    }
    auto made = make_inode<Symlink>(std::move(*text));
    if (!made) {
        uncharge(target.size());
        return made.error();
    }
    // From here the symlink's destruction returns the charge for its target.
    RefPtr<Symlink> symlink = std::move(*made);
    TRY(add_entry(directory, name, symlink));
    symlink->m_link_count = 1;
    return symlink;
}

ErrnoResult<String> FileSystem::readlink_at(Directory& directory, StringView name)
{
    RefPtr<Inode> inode = TRY(lookup_at(directory, name));
    if (!inode->is_symlink())
        return Errno::Inval;
    return no_mem_on_error(String::try_create(static_cast<Symlink&>(*inode).target(), &allocator()));
}

ErrnoResult<Stat> FileSystem::stat_at(Directory& directory, StringView name)
{
    RefPtr<Inode> inode = TRY(lookup_at(directory, name));
    return inode->stat();
}

// ---- inodes -----------------------------------------------------------------------

ErrnoResult<void> FileSystem::set_times(Inode& inode, TimeUpdate access, TimeUpdate modify)
{
    if (inode.is_backed())
        return inode.backend()->set_times(inode, access, modify);
    u64 time = now();
    auto pick = [&](TimeUpdate update, u64 current) {
        switch (update.kind) {
        case TimeUpdate::Kind::Omit: return current;
        case TimeUpdate::Kind::Now: return time;
        case TimeUpdate::Kind::Set: return update.nanoseconds;
        }
        return current;
    };
    inode.m_access_time = pick(access, inode.m_access_time);
    inode.m_modify_time = pick(modify, inode.m_modify_time);
    inode.m_change_time = time;
    return {};
}

ErrnoResult<usize> FileSystem::write(File& file, u64 offset, ReadonlyBytes data)
{
    if (file.is_backed()) {
        usize written = TRY(file.backend()->write(file, offset, data));
        if (written > 0)
            file_changed(file);
        return written;
    }
    usize written = TRY(file.write_at(offset, data));
    if (written > 0) {
        u64 time = now();
        file.m_modify_time = time;
        file.m_change_time = time;
        file_changed(file);
    }
    return written;
}

ErrnoResult<void> FileSystem::set_size(File& file, u64 size)
{
    if (file.is_backed()) {
        TRY(file.backend()->set_size(file, size));
        file_changed(file);
        return {};
    }
    TRY(file.set_size(size));
    u64 time = now();
    file.m_modify_time = time;
    file.m_change_time = time;
    file_changed(file);
    return {};
}

} // namespace wk::kernel::fs
