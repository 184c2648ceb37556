// The path_* calls of wasi_snapshot_preview1. Every path is resolved by ResolvedPath
// relative to the directory descriptor the guest names; the backend only ever sees a
// directory handle and one component.
#include "engine/wasi/path_resolver.h"
#include "engine/wasi/wasi_context.h"

namespace wk::engine::wasi {

namespace {

// Whether a symlink with this target text only ever descends from the directory that
// holds it: relative, and no ".." component. Such a link names something below its own
// directory wherever it is moved, hard-linked or chained through other such links, so
// it stays inside the preopen for anyone who follows it, host tools included (the
// argument is in docs/wasi.md).
bool symlink_target_descends(StringView target)
{
    if (target.empty() || target[0] == '/')
        return false;
    usize position = 0;
    while (position < target.size()) {
        usize end = position;
        while (end < target.size() && target[end] != '/')
            ++end;
        if (StringView(target.data() + position, end - position) == "..")
            return false;
        position = end + 1;
    }
    return true;
}

// For a path that ended in '/': ENOTDIR unless the name is a directory (whose error,
// ENOENT for a missing one, is the lookup's). Success for a path without the slash.
Errno slash_requires_directory(WasiSystem& system, const ResolvedPath& path)
{
    if (!path.must_be_directory())
        return Errno::Success;
    auto stat = system.stat_at(path.directory(), path.name());
    if (!stat)
        return stat.error();
    return stat->filetype == Filetype::Directory ? Errno::Success : Errno::NotDir;
}

// For a new name that ended in '/' (link, symlink): Linux makes no file there, and says
// EEXIST when the name exists (even as a dangling link) and ENOENT when it does not.
Errno slash_refuses_new_file(WasiSystem& system, const ResolvedPath& path)
{
    if (!path.must_be_directory())
        return Errno::Success;
    auto stat = system.stat_at(path.directory(), path.name());
    if (stat)
        return Errno::Exist;
    return stat.error();
}

constexpr auto kSlashNamesTheLink = ResolvedPath::SlashOnLink::NamesTheLink;

} // namespace

// A symlink whose text climbs ("..", or absolute) means something else in another
// directory: such a link (placed by the host; the guest cannot make one) may not be
// renamed or hard-linked, so that moving it cannot turn it into a way out.
Errno WasiContext::check_link_may_move(HostHandle directory, StringView name)
{
    auto stat = m_system.stat_at(directory, name);
    if (!stat || stat->filetype != Filetype::SymbolicLink)
        return Errno::Success; // not a link: the rename or link reports its own errors
    auto target = m_system.readlink_at(directory, name);
    if (!target)
        return target.error();
    return symlink_target_descends(target->view()) ? Errno::Success : Errno::NotCapable;
}

// The directory descriptor `fd` with `required` rights, and the guest's path text.
#define WASI_DIRECTORY_AND_PATH(entry_name, path_name, fd, required, path, path_len) \
    auto entry_name = descriptor(fd, required);                                      \
    if (!entry_name)                                                                 \
        return entry_name.error();                                                   \
    if ((*entry_name)->filetype != Filetype::Directory)                              \
        return Errno::NotDir;                                                        \
    auto path_name = memory().string(path, path_len);                                \
    if (!path_name)                                                                  \
        return path_name.error();

Errno WasiContext::path_open(u32 fd, u32 dirflags, u32 path, u32 path_len, u32 oflags_value, u64 rights_base,
                             u64 rights_inheriting, u32 fdflags_value, u32 fd_out)
{
    u64 required = rights::kPathOpen;
    if (oflags_value & oflags::kCreat)
        required |= rights::kPathCreateFile;
    if (oflags_value & oflags::kTrunc)
        required |= rights::kPathFilestatSetSize;
    WASI_DIRECTORY_AND_PATH(directory, text, fd, required, path, path_len);
    GuestMemory guest = memory();
    if (!guest.contains(fd_out, 4))
        return Errno::Fault;
    if (oflags_value > oflags::kAll || fdflags_value > fdflags::kAll)
        return Errno::Inval;
    // A descriptor never gets rights its directory cannot hand down.
    if (((rights_base | rights_inheriting) & ~(*directory)->rights_inheriting) != 0)
        return Errno::NotCapable;

    ResolvedPath resolved(m_system);
    if (auto result = resolved.resolve((*directory)->handle, *text, (dirflags & lookupflags::kSymlinkFollow) != 0); !result)
        return result.error();

    OpenRequest request;
    request.read = (rights_base & (rights::kFdRead | rights::kFdReaddir)) != 0;
    request.write = (rights_base & (rights::kFdWrite | rights::kFdAllocate | rights::kFdFilestatSetSize)) != 0
        || (fdflags_value & fdflags::kAppend) != 0;
    request.create = (oflags_value & oflags::kCreat) != 0;
    request.exclusive = (oflags_value & oflags::kExcl) != 0;
    request.truncate = (oflags_value & oflags::kTrunc) != 0;
    request.directory = (oflags_value & oflags::kDirectory) != 0 || resolved.must_be_directory();
    request.fdflags = static_cast<u16>(fdflags_value);
    // Linux: O_CREAT on "name/" is EISDIR whether or not the name exists.
    if (resolved.must_be_directory() && request.create && (oflags_value & oflags::kDirectory) == 0)
        return Errno::IsDir;
    if (request.directory && (request.create || request.truncate))
        return Errno::Inval;
    if (!request.read && !request.write)
        request.read = true;

    auto slot = allocate_descriptor();
    if (!slot)
        return slot.error();
    auto handle = m_system.open_at(resolved.directory(), resolved.name(), request);
    if (!handle)
        return handle.error();
    auto stat = m_system.stat(*handle);
    if (!stat) {
        (void)m_system.close(*handle);
        return stat.error();
    }
    FdEntry& entry = m_descriptors[*slot];
    entry = FdEntry {};
    entry.open = true;
    entry.handle = *handle;
    entry.filetype = stat->filetype;
    entry.rights_base = rights_base & (stat->filetype == Filetype::Directory ? rights::kDirectory : rights::kFile);
    entry.rights_inheriting = rights_inheriting;
    return guest.write_u32(fd_out, *slot);
}

Errno WasiContext::path_create_directory(u32 fd, u32 path, u32 path_len)
{
    WASI_DIRECTORY_AND_PATH(directory, text, fd, rights::kPathCreateDirectory, path, path_len);
    ResolvedPath resolved(m_system);
    if (auto result = resolved.resolve((*directory)->handle, *text, false, kSlashNamesTheLink); !result)
        return result.error();
    if (resolved.name() == ".")
        return Errno::Exist;
    auto result = m_system.create_directory_at(resolved.directory(), resolved.name());
    return result ? Errno::Success : result.error();
}

Errno WasiContext::path_remove_directory(u32 fd, u32 path, u32 path_len)
{
    WASI_DIRECTORY_AND_PATH(directory, text, fd, rights::kPathRemoveDirectory, path, path_len);
    ResolvedPath resolved(m_system);
    if (auto result = resolved.resolve((*directory)->handle, *text, false, kSlashNamesTheLink); !result)
        return result.error();
    if (resolved.name() == ".")
        return Errno::Inval;
    if (auto slash = slash_requires_directory(m_system, resolved); slash != Errno::Success)
        return slash;
    auto result = m_system.remove_directory_at(resolved.directory(), resolved.name());
    return result ? Errno::Success : result.error();
}

Errno WasiContext::path_unlink_file(u32 fd, u32 path, u32 path_len)
{
    WASI_DIRECTORY_AND_PATH(directory, text, fd, rights::kPathUnlinkFile, path, path_len);
    ResolvedPath resolved(m_system);
    if (auto result = resolved.resolve((*directory)->handle, *text, false, kSlashNamesTheLink); !result)
        return result.error();
    if (resolved.name() == ".")
        return Errno::IsDir;
    if (resolved.must_be_directory()) {
        // "name/" names a directory, which unlink never removes.
        auto stat = m_system.stat_at(resolved.directory(), resolved.name());
        if (!stat)
            return stat.error();
        return stat->filetype == Filetype::Directory ? Errno::IsDir : Errno::NotDir;
    }
    auto result = m_system.unlink_file_at(resolved.directory(), resolved.name());
    return result ? Errno::Success : result.error();
}

Errno WasiContext::path_filestat_get(u32 fd, u32 flags, u32 path, u32 path_len, u32 filestat_out)
{
    WASI_DIRECTORY_AND_PATH(directory, text, fd, rights::kPathFilestatGet, path, path_len);
    GuestMemory guest = memory();
    if (!guest.contains(filestat_out, layout::kFilestatSize))
        return Errno::Fault;
    ResolvedPath resolved(m_system);
    if (auto result = resolved.resolve((*directory)->handle, *text, (flags & lookupflags::kSymlinkFollow) != 0); !result)
        return result.error();
    auto stat = m_system.stat_at(resolved.directory(), resolved.name());
    if (!stat)
        return stat.error();
    if (resolved.must_be_directory() && stat->filetype != Filetype::Directory)
        return Errno::NotDir;
    return write_filestat(guest, filestat_out, *stat);
}

Errno WasiContext::path_filestat_set_times(u32 fd, u32 flags, u32 path, u32 path_len, u64 atim, u64 mtim,
                                           u32 fst_flags)
{
    WASI_DIRECTORY_AND_PATH(directory, text, fd, rights::kPathFilestatSetTimes, path, path_len);
    auto times = decode_times(atim, mtim, fst_flags);
    if (!times)
        return times.error();
    ResolvedPath resolved(m_system);
    if (auto result = resolved.resolve((*directory)->handle, *text, (flags & lookupflags::kSymlinkFollow) != 0); !result)
        return result.error();
    if (auto slash = slash_requires_directory(m_system, resolved); slash != Errno::Success)
        return slash;
    auto result = m_system.set_times_at(resolved.directory(), resolved.name(), times->access, times->modify);
    return result ? Errno::Success : result.error();
}

Errno WasiContext::path_link(u32 old_fd, u32 old_flags, u32 old_path, u32 old_path_len, u32 new_fd, u32 new_path,
                             u32 new_path_len)
{
    WASI_DIRECTORY_AND_PATH(old_directory, old_text, old_fd, rights::kPathLinkSource, old_path, old_path_len);
    WASI_DIRECTORY_AND_PATH(new_directory, new_text, new_fd, rights::kPathLinkTarget, new_path, new_path_len);
    ResolvedPath from(m_system);
    if (auto result = from.resolve((*old_directory)->handle, *old_text, (old_flags & lookupflags::kSymlinkFollow) != 0); !result)
        return result.error();
    if (from.name() == ".")
        return Errno::Perm;
    if (auto slash = slash_requires_directory(m_system, from); slash != Errno::Success)
        return slash;
    if (from.must_be_directory())
        return Errno::Perm; // "dir/": a directory, which is never hard-linked
    ResolvedPath to(m_system);
    if (auto result = to.resolve((*new_directory)->handle, *new_text, false, kSlashNamesTheLink); !result)
        return result.error();
    if (to.name() == ".")
        return Errno::Exist;
    if (auto slash = slash_refuses_new_file(m_system, to); slash != Errno::Success)
        return slash;
    if (auto movable = check_link_may_move(from.directory(), from.name()); movable != Errno::Success)
        return movable;
    auto result = m_system.link_at(from.directory(), from.name(), to.directory(), to.name());
    return result ? Errno::Success : result.error();
}

Errno WasiContext::path_rename(u32 fd, u32 old_path, u32 old_path_len, u32 new_fd, u32 new_path, u32 new_path_len)
{
    WASI_DIRECTORY_AND_PATH(old_directory, old_text, fd, rights::kPathRenameSource, old_path, old_path_len);
    WASI_DIRECTORY_AND_PATH(new_directory, new_text, new_fd, rights::kPathRenameTarget, new_path, new_path_len);
    ResolvedPath from(m_system);
    if (auto result = from.resolve((*old_directory)->handle, *old_text, false, kSlashNamesTheLink); !result)
        return result.error();
    ResolvedPath to(m_system);
    if (auto result = to.resolve((*new_directory)->handle, *new_text, false, kSlashNamesTheLink); !result)
        return result.error();
    if (from.name() == "." || to.name() == ".")
        return Errno::Busy;
    if (from.must_be_directory() || to.must_be_directory()) {
        // A slash on either name means both are directories (Linux): "f" -> "g/" is
        // ENOTDIR, not a file named g.
        auto stat = m_system.stat_at(from.directory(), from.name());
        if (!stat)
            return stat.error();
        if (stat->filetype != Filetype::Directory)
            return Errno::NotDir;
        if (auto target = m_system.stat_at(to.directory(), to.name()); target && target->filetype != Filetype::Directory)
            return Errno::NotDir;
    }
    if (auto movable = check_link_may_move(from.directory(), from.name()); movable != Errno::Success)
        return movable;
    auto result = m_system.rename_at(from.directory(), from.name(), to.directory(), to.name());
    return result ? Errno::Success : result.error();
}

Errno WasiContext::path_symlink(u32 old_path, u32 old_path_len, u32 fd, u32 new_path, u32 new_path_len)
{
    // Following a link always goes through ResolvedPath, which refuses absolute targets
    // and escapes; links that could only escape are refused when made, too.
    auto target = memory().string(old_path, old_path_len);
    if (!target)
        return target.error();
    WASI_DIRECTORY_AND_PATH(directory, text, fd, rights::kPathSymlink, new_path, new_path_len);
    if (target->empty())
        return Errno::NoEnt;
    ResolvedPath resolved(m_system);
    if (auto result = resolved.resolve((*directory)->handle, *text, false, kSlashNamesTheLink); !result)
        return result.error();
    if (resolved.name() == ".")
        return Errno::Exist;
    if (auto slash = slash_refuses_new_file(m_system, resolved); slash != Errno::Success)
        return slash;
    if (!symlink_target_descends(*target))
        return Errno::NotCapable;
    auto result = m_system.symlink_at(*target, resolved.directory(), resolved.name());
    return result ? Errno::Success : result.error();
}

Errno WasiContext::path_readlink(u32 fd, u32 path, u32 path_len, u32 buf, u32 buf_len, u32 bufused_out)
{
    WASI_DIRECTORY_AND_PATH(directory, text, fd, rights::kPathReadlink, path, path_len);
    GuestMemory guest = memory();
    if (!guest.contains(buf, buf_len) || !guest.contains(bufused_out, 4))
        return Errno::Fault;
    ResolvedPath resolved(m_system);
    if (auto result = resolved.resolve((*directory)->handle, *text, false); !result)
        return result.error();
    if (resolved.name() == ".")
        return Errno::Inval;
    // "link/" follows the link: ENOTDIR for a file, EINVAL (not a link) for a directory.
    if (auto slash = slash_requires_directory(m_system, resolved); slash != Errno::Success)
        return slash;
    auto target = m_system.readlink_at(resolved.directory(), resolved.name());
    if (!target)
        return target.error();
    // Truncated to the buffer, as readlink(2) does.
    usize count = target->length() < buf_len ? target->length() : buf_len;
    (void)guest.write_bytes(buf, ReadonlyBytes(reinterpret_cast<const u8*>(target->c_str()), count));
    return guest.write_u32(bufused_out, static_cast<u32>(count));
}

#undef WASI_DIRECTORY_AND_PATH

} // namespace wk::engine::wasi
