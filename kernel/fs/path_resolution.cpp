#include "kernel/fs/file_system.h"
#include "kernel/fs/string_slice.h"

namespace wk::kernel::fs {

namespace {

// The next component of `path` from `position` on, skipping slashes.
struct Component {
    StringView name;
    bool last;           // nothing but slashes follows
    bool trailing_slash; // last, and at least one slash follows
};

Component next_component(StringView path, usize& position)
{
    while (position < path.size() && path[position] == '/')
        ++position;
    usize start = position;
    while (position < path.size() && path[position] != '/')
        ++position;
    Component component { slice(path, start, position - start), true, false };
    usize rest = position;
    while (rest < path.size() && path[rest] == '/')
        ++rest;
    component.last = rest == path.size();
    component.trailing_slash = component.last && rest > position;
    return component;
}

} // namespace

// Walks the path one component at a time. Symlinks are expanded by splicing their target in
// front of the rest of the path (bounded by kMaxSymlinkExpansions and kMaxPathLength), so the
// walk is a loop, never a recursion. In beneath mode the directories entered are kept on a
// stack and ".." pops it: the walk can never get above `start`.
FsResult<ResolvedParent> FileSystem::resolve_parent(Directory& start, StringView path, const ResolveOptions& options)
{
    if (path.empty())
        return FsError::NoEnt;
    if (path.size() >= kMaxPathLength)
        return FsError::NameTooLong;
    for (char c : path) {
        if (c == '\0')
            return FsError::Inval;
    }

    String buffer(TRY(no_mem_on_error(String::try_create(path, &allocator()))));
    Vector<RefPtr<Directory>> entered(&allocator());
    RefPtr<Directory> base(start);
    auto current = [&]() -> Directory& { return entered.is_empty() ? *base : *entered.last(); };
    auto jump_to_root = [&]() -> FsResult<void> {
        if (options.beneath)
            return FsError::NotCapable;
        entered.clear();
        base = m_root;
        return {};
    };

    u32 expansions = 0;
    usize position = 0;
    if (buffer.view().front() == '/')
        TRY(jump_to_root());

    while (true) {
        StringView text = buffer.view();
        Component component = next_component(text, position);
        if (component.name.empty()) {
            // Only slashes left: the path names the current directory ("/", "a/").
            return ResolvedParent { RefPtr<Directory>(current()), TRY(no_mem_on_error(String::try_create(".", &allocator()))), true };
        }
        if (component.name.size() > kMaxNameLength)
            return FsError::NameTooLong;

        if (component.name == "..") {
            if (options.beneath) {
                if (entered.is_empty())
                    return FsError::NotCapable;
                entered.pop_back();
            } else {
                Directory& here = current();
                if (here.is_removed())
                    return FsError::NoEnt;
                RefPtr<Directory> up(*here.parent());
                entered.clear();
                base = std::move(up);
            }
            if (component.last)
                return ResolvedParent { RefPtr<Directory>(current()), TRY(no_mem_on_error(String::try_create(".", &allocator()))), component.trailing_slash };
            continue;
        }
        if (component.name == ".") {
            if (component.last)
                return ResolvedParent { RefPtr<Directory>(current()), TRY(no_mem_on_error(String::try_create(".", &allocator()))), component.trailing_slash };
            continue;
        }

        Inode* inode = current().find(component.name);
        bool follow = !component.last || options.follow_final || (component.trailing_slash && options.slash_follows_final);
        if (component.last && (!inode || !inode->is_symlink() || !follow)) {
            return ResolvedParent { RefPtr<Directory>(current()),
                                    TRY(no_mem_on_error(String::try_create(component.name, &allocator()))),
                                    component.trailing_slash };
        }
        if (!inode)
            return FsError::NoEnt;
        if (inode->is_directory()) {
            if (!entered.try_append(RefPtr<Directory>(static_cast<Directory&>(*inode))))
                return FsError::NoMem;
            continue;
        }
        if (!inode->is_symlink())
            return FsError::NotDir;

        if (++expansions > kMaxSymlinkExpansions)
            return FsError::Loop;
        StringView target = static_cast<Symlink&>(*inode).target();
        StringView rest = slice(text, position);
        auto length = target.size() + 1 + rest.size();
        if (length >= kMaxPathLength)
            return FsError::NameTooLong;
        String expanded(TRY(no_mem_on_error(String::try_create(target, &allocator()))));
        if (!rest.empty()) {
            if (!expanded.try_append('/') || !expanded.try_append(rest))
                return FsError::NoMem;
        }
        buffer = std::move(expanded);
        position = 0;
        if (target.front() == '/')
            TRY(jump_to_root());
    }
}

FsResult<RefPtr<Inode>> FileSystem::resolve(Directory& start, StringView path, const ResolveOptions& options)
{
    ResolvedParent parent = TRY(resolve_parent(start, path, options));
    RefPtr<Inode> inode = TRY(lookup_at(*parent.directory, parent.name));
    if (parent.must_be_directory && !inode->is_directory())
        return FsError::NotDir;
    return inode;
}

FsResult<RefPtr<Inode>> FileSystem::open(Directory& start, StringView path, const OpenFlags& flags, const ResolveOptions& options)
{
    ResolveOptions resolve_options = options;
    if (flags.create && flags.exclusive)
        resolve_options.follow_final = false;
    ResolvedParent parent = TRY(resolve_parent(start, path, resolve_options));
    OpenFlags open_flags = flags;
    if (parent.must_be_directory) {
        if (flags.create && !flags.directory)
            return FsError::IsDir; // Linux: O_CREAT on "name/" is EISDIR, existing or not
        open_flags.directory = true;
    }
    return open_at(*parent.directory, parent.name, open_flags);
}

FsResult<RefPtr<Directory>> FileSystem::create_directory(Directory& start, StringView path, const ResolveOptions& options)
{
    ResolveOptions resolve_options = options;
    resolve_options.follow_final = false;
    resolve_options.slash_follows_final = false;
    ResolvedParent parent = TRY(resolve_parent(start, path, resolve_options));
    return create_directory_at(*parent.directory, parent.name);
}

FsResult<void> FileSystem::remove_directory(Directory& start, StringView path, const ResolveOptions& options)
{
    ResolveOptions resolve_options = options;
    resolve_options.follow_final = false;
    resolve_options.slash_follows_final = false;
    ResolvedParent parent = TRY(resolve_parent(start, path, resolve_options));
    if (parent.must_be_directory) {
        Inode* inode = parent.directory->find(parent.name);
        if (inode && !inode->is_directory())
            return FsError::NotDir; // "link/" names the link, not its target
    }
    return remove_directory_at(*parent.directory, parent.name);
}

FsResult<void> FileSystem::unlink(Directory& start, StringView path, const ResolveOptions& options)
{
    ResolveOptions resolve_options = options;
    resolve_options.follow_final = false;
    resolve_options.slash_follows_final = false;
    ResolvedParent parent = TRY(resolve_parent(start, path, resolve_options));
    if (parent.must_be_directory) {
        Inode* inode = parent.directory->find(parent.name);
        if (inode && !inode->is_directory())
            return FsError::NotDir;
    }
    return unlink_at(*parent.directory, parent.name);
}

FsResult<void> FileSystem::rename(Directory& start, StringView from, StringView to, const ResolveOptions& options)
{
    ResolveOptions resolve_options = options;
    resolve_options.follow_final = false;
    resolve_options.slash_follows_final = false;
    ResolvedParent source = TRY(resolve_parent(start, from, resolve_options));
    ResolvedParent target = TRY(resolve_parent(start, to, resolve_options));
    if (source.must_be_directory || target.must_be_directory) {
        // A slash on either name means both are directories (Linux).
        Inode* inode = source.directory->find(source.name);
        if (inode && !inode->is_directory())
            return FsError::NotDir;
        Inode* replaced = target.directory->find(target.name);
        if (inode && replaced && !replaced->is_directory())
            return FsError::NotDir;
    }
    return rename_at(*source.directory, source.name, *target.directory, target.name);
}

FsResult<void> FileSystem::link(Directory& start, StringView from, StringView to, const ResolveOptions& options)
{
    ResolveOptions resolve_options = options;
    resolve_options.follow_final = false;
    ResolvedParent source = TRY(resolve_parent(start, from, resolve_options));
    if (source.must_be_directory) {
        // "name/" follows a final link and must be a directory, which is never linked.
        Inode* inode = source.directory->find(source.name);
        if (!inode)
            return FsError::NoEnt;
        return inode->is_directory() ? FsError::Perm : FsError::NotDir;
    }
    ResolveOptions target_options = resolve_options;
    target_options.slash_follows_final = false;
    ResolvedParent target = TRY(resolve_parent(start, to, target_options));
    if (target.must_be_directory) // Linux makes no file at "name/"
        return target.directory->find(target.name) ? FsError::Exist : FsError::NoEnt;
    return link_at(*source.directory, source.name, *target.directory, target.name);
}

FsResult<RefPtr<Symlink>> FileSystem::symlink(StringView target, Directory& start, StringView path, const ResolveOptions& options)
{
    ResolveOptions resolve_options = options;
    resolve_options.follow_final = false;
    resolve_options.slash_follows_final = false;
    ResolvedParent parent = TRY(resolve_parent(start, path, resolve_options));
    if (parent.must_be_directory)
        return parent.directory->find(parent.name) ? FsError::Exist : FsError::NoEnt;
    return symlink_at(target, *parent.directory, parent.name);
}

FsResult<String> FileSystem::readlink(Directory& start, StringView path, const ResolveOptions& options)
{
    ResolveOptions resolve_options = options;
    resolve_options.follow_final = false;
    ResolvedParent parent = TRY(resolve_parent(start, path, resolve_options));
    if (parent.must_be_directory) {
        // "link/" followed the link: a file is NotDir, a directory is not a link (Inval).
        Inode* inode = parent.directory->find(parent.name);
        if (inode && !inode->is_directory())
            return FsError::NotDir;
    }
    return readlink_at(*parent.directory, parent.name);
}

FsResult<Stat> FileSystem::stat(Directory& start, StringView path, const ResolveOptions& options)
{
    RefPtr<Inode> inode = TRY(resolve(start, path, options));
    return inode->stat();
}

} // namespace wk::kernel::fs
