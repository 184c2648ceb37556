#include "kernel/fs/file_system.h"
#include "base/path_walk.h"

namespace wk::kernel::fs {

// Walks the path one component at a time (base/path_walk.h: symlinks are spliced in front
// of the rest, so the walk is a loop, bounded by kMaxSymlinkExpansions and kMaxPathLength).
ErrnoResult<ResolvedParent> FileSystem::resolve_parent(Directory& start, StringView path, const ResolveOptions& options)
{
    for (char c : path) {
        if (c == '\0')
            return Errno::Inval;
    }
    PathWalk walk = TRY(PathWalk::create(path, &allocator()));
    RefPtr<Directory> current(start);
    auto parent_named = [&](StringView name, bool must_be_directory) -> ErrnoResult<ResolvedParent> {
        String copy = TRY(no_mem_on_error(String::try_create(name, &allocator())));
        return ResolvedParent { current, std::move(copy), must_be_directory };
    };

    if (walk.is_absolute())
        current = m_root;

    while (true) {
        PathWalk::Component component = TRY(walk.next());
        if (component.name.empty()) // only slashes left: the path names the current directory ("/", "a/")
            return parent_named(".", true);

        if (component.name == "..") {
            if (current->is_removed())
                return Errno::NoEnt;
            current = RefPtr<Directory>(*current->parent());
            if (component.last)
                return parent_named(".", component.trailing_slash);
            continue;
        }
        if (component.name == ".") {
            if (component.last)
                return parent_named(".", component.trailing_slash);
            continue;
        }

        RefPtr<Inode> inode = find_ref(*current, component.name);
        bool follow = !component.last || options.follow_final || (component.trailing_slash && options.slash_follows_final);
        if (component.last && (!inode || !inode->is_symlink() || !follow))
            return parent_named(component.name, component.trailing_slash);
        if (!inode)
            return Errno::NoEnt;
        if (inode->is_directory()) {
            current = RefPtr<Directory>(static_cast<Directory&>(*inode));
            continue;
        }
        if (!inode->is_symlink())
            return Errno::NotDir;

        TRY(walk.splice(static_cast<Symlink&>(*inode).target()));
        if (walk.is_absolute())
            current = m_root;
    }
}

ErrnoResult<RefPtr<Inode>> FileSystem::resolve(Directory& start, StringView path, const ResolveOptions& options)
{
    ResolvedParent parent = TRY(resolve_parent(start, path, options));
    RefPtr<Inode> inode = TRY(lookup_at(*parent.directory, parent.name));
    if (parent.must_be_directory && !inode->is_directory())
        return Errno::NotDir;
    return inode;
}

ErrnoResult<RefPtr<Inode>> FileSystem::open(Directory& start, StringView path, const OpenFlags& flags, const ResolveOptions& options)
{
    ResolveOptions resolve_options = options;
    if (flags.create && flags.exclusive)
        resolve_options.follow_final = false;
    ResolvedParent parent = TRY(resolve_parent(start, path, resolve_options));
    OpenFlags open_flags = flags;
    if (parent.must_be_directory) {
        if (flags.create && !flags.directory)
            return Errno::IsDir; // Linux: O_CREAT on "name/" is EISDIR, existing or not
        open_flags.directory = true;
    }
    return open_at(*parent.directory, parent.name, open_flags);
}

ErrnoResult<RefPtr<Directory>> FileSystem::create_directory(Directory& start, StringView path, const ResolveOptions& options)
{
    ResolveOptions resolve_options = options;
    resolve_options.follow_final = false;
    resolve_options.slash_follows_final = false;
    ResolvedParent parent = TRY(resolve_parent(start, path, resolve_options));
    return create_directory_at(*parent.directory, parent.name);
}

ErrnoResult<void> FileSystem::remove_directory(Directory& start, StringView path, const ResolveOptions& options)
{
    ResolveOptions resolve_options = options;
    resolve_options.follow_final = false;
    resolve_options.slash_follows_final = false;
    ResolvedParent parent = TRY(resolve_parent(start, path, resolve_options));
    if (parent.must_be_directory) {
        RefPtr<Inode> inode = find_ref(*parent.directory, parent.name);
        if (inode && !inode->is_directory())
            return Errno::NotDir; // "link/" names the link, not its target
    }
    return remove_directory_at(*parent.directory, parent.name);
}

ErrnoResult<void> FileSystem::unlink(Directory& start, StringView path, const ResolveOptions& options)
{
    ResolveOptions resolve_options = options;
    resolve_options.follow_final = false;
    resolve_options.slash_follows_final = false;
    ResolvedParent parent = TRY(resolve_parent(start, path, resolve_options));
    if (parent.must_be_directory) {
        RefPtr<Inode> inode = find_ref(*parent.directory, parent.name);
        if (inode && !inode->is_directory())
            return Errno::NotDir;
    }
    return unlink_at(*parent.directory, parent.name);
}

ErrnoResult<void> FileSystem::rename(Directory& start, StringView from, StringView to, const ResolveOptions& options)
{
    ResolveOptions resolve_options = options;
    resolve_options.follow_final = false;
    resolve_options.slash_follows_final = false;
    ResolvedParent source = TRY(resolve_parent(start, from, resolve_options));
    ResolvedParent target = TRY(resolve_parent(start, to, resolve_options));
    if (source.must_be_directory || target.must_be_directory) {
        // A slash on either name means both are directories (Linux).
        RefPtr<Inode> inode = find_ref(*source.directory, source.name);
        if (inode && !inode->is_directory())
            return Errno::NotDir;
        RefPtr<Inode> replaced = find_ref(*target.directory, target.name);
        if (inode && replaced && !replaced->is_directory())
            return Errno::NotDir;
    }
    return rename_at(*source.directory, source.name, *target.directory, target.name);
}

ErrnoResult<void> FileSystem::link(Directory& start, StringView from, StringView to, const ResolveOptions& options)
{
    ResolveOptions resolve_options = options;
    resolve_options.follow_final = false;
    ResolvedParent source = TRY(resolve_parent(start, from, resolve_options));
    if (source.must_be_directory) {
        // "name/" follows a final link and must be a directory, which is never linked.
        RefPtr<Inode> inode = find_ref(*source.directory, source.name);
        if (!inode)
            return Errno::NoEnt;
        return inode->is_directory() ? Errno::Perm : Errno::NotDir;
    }
    ResolveOptions target_options = resolve_options;
    target_options.slash_follows_final = false;
    ResolvedParent target = TRY(resolve_parent(start, to, target_options));
    if (target.must_be_directory) // Linux makes no file at "name/"
        return find_ref(*target.directory, target.name) ? Errno::Exist : Errno::NoEnt;
    return link_at(*source.directory, source.name, *target.directory, target.name);
}

ErrnoResult<RefPtr<Symlink>> FileSystem::symlink(StringView target, Directory& start, StringView path, const ResolveOptions& options)
{
    ResolveOptions resolve_options = options;
    resolve_options.follow_final = false;
    resolve_options.slash_follows_final = false;
    ResolvedParent parent = TRY(resolve_parent(start, path, resolve_options));
    if (parent.must_be_directory)
        return find_ref(*parent.directory, parent.name) ? Errno::Exist : Errno::NoEnt;
    return symlink_at(target, *parent.directory, parent.name);
}

ErrnoResult<String> FileSystem::readlink(Directory& start, StringView path, const ResolveOptions& options)
{
    ResolveOptions resolve_options = options;
    resolve_options.follow_final = false;
    ResolvedParent parent = TRY(resolve_parent(start, path, resolve_options));
    if (parent.must_be_directory) {
        // "link/" followed the link: a file is NotDir, a directory is not a link (Inval).
        RefPtr<Inode> inode = find_ref(*parent.directory, parent.name);
        if (inode && !inode->is_directory())
            return Errno::NotDir;
    }
    return readlink_at(*parent.directory, parent.name);
}

ErrnoResult<Stat> FileSystem::stat(Directory& start, StringView path, const ResolveOptions& options)
{
    RefPtr<Inode> inode = TRY(resolve(start, path, options));
    return inode->stat();
}

} // namespace wk::kernel::fs
