#pragma once

#include "base/allocator.h"
#include "base/errno.h"
#include "base/hash_map.h"
#include "base/intrusive_list.h"
#include "base/path_walk.h"
#include "base/ref_ptr.h"
#include "base/string.h"
#include "base/string_view.h"
#include "base/types.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/backend.h"

namespace wk::kernel::fs {

// Where inode times come from: nanoseconds since the epoch (or since boot: the file system
// only stores what it is given).
class Clock {
public:
    virtual u64 now() = 0;

protected:
    ~Clock() = default;
};

struct Limits {
    // Charged: file chunks (their capacity), chunk tables (8 bytes a slot), symlink targets,
    // and kEntryOverhead plus the name's length for each directory entry.
    u64 max_bytes { 64ull << 20 };
    // Live inodes, including unlinked ones that are still open, and the root.
    u64 max_inodes { 1ull << 16 };
    u64 max_file_size { 1ull << 40 };
    // File storage (chunks and chunk tables) the files of one owner may hold together;
    // beyond is DQuot. Owner 0 (the kernel: the initrd, files the kernel creates) is
    // bounded by max_bytes only.
    u64 max_bytes_per_owner { ~0ull };
};

struct OpenFlags {
    bool create { false };
    bool exclusive { false }; // with create: Exist when the name exists
    bool truncate { false };  // files only; IsDir on a directory
    bool directory { false }; // NotDir unless the result is a directory
};

struct ResolveOptions {
    // Follow a symlink in the last component.
    bool follow_final { true };
    // Whether a trailing slash follows a final symlink anyway. As in Linux, lookups do; the
    // path operations that create or remove the name itself (create_directory,
    // remove_directory, unlink, rename, the new name of link and symlink) clear it and
    // act on the link, which is not a directory.
    bool slash_follows_final { true };
};

// Where a path ends: the directory holding its last component, and that component (one
// name, never empty, never ".."; "." when the path names the directory itself).
struct ResolvedParent {
    RefPtr<Directory> directory;
    String name;
    bool must_be_directory { false }; // the path ended in '/'
};

struct TimeUpdate {
    enum class Kind : u8 { Omit, Now, Set };
    Kind kind { Kind::Omit };
    u64 nanoseconds { 0 };
};

// An in-memory file system: a tree of reference-counted inodes under one root, with limits
// on memory and inode count, where exhaustion is NoSpc and never a crash.
//
// Two levels of operations:
//  - `_at` operations take a directory and ONE component and never follow a symlink in it;
//    they match engine/wasi/wasi_system.h one to one (the WASI layer resolves paths itself).
//  - path operations resolve a path from a starting directory ("/" starts at the root),
//    with "." and "..", following symlinks up to kMaxSymlinkExpansions; they serve the
//    kernel itself (initrd, spawn by path, the console). A walk kept inside a directory (a
//    WASI preopen) is the WASI layer's (engine/wasi/path_resolver.h), over the `_at` calls.
//
// NOTE: not thread-safe. The kernel holds one lock around every call, and drops inode and
// OpenFile references under the same lock (a last unref() changes the accounting).
// The FileSystem must outlive every inode: its destructor asserts that none is left.
class FileSystem final : public RefCounted<FileSystem> {
public:
    static constexpr u64 kMaxLinkCount = 65000;
    static constexpr u64 kEntryOverhead = 64;

    // allocator: where every inode, entry and chunk comes from (nullptr: default_allocator()).
    // clock: nullptr leaves every time at 0.
    static ErrnoResult<RefPtr<FileSystem>> create(Limits = {}, Clock* = nullptr, Allocator* = nullptr);
    ~FileSystem();
    // NOTE: called by RefCounted when the last reference goes, never directly.
    void destroy();

    Directory& root() { return *m_root; }
    RefPtr<Directory> root_ref() { return m_root; }
    const Limits& limits() const { return m_limits; }
    u64 bytes_used() const { return m_bytes_used; }
    u64 inode_count() const { return m_inode_count; }
    Allocator& allocator() const { return m_allocator ? *m_allocator : default_allocator(); }
    u64 now() const { return m_clock ? m_clock->now() : 0; }

    // Called with a file's inode number whenever what identifies its contents changes: a
    // write, a size change, a name removed, renamed or added. Caches of things derived from
    // a file (compiled modules) drop their copies there. NOTE: runs inside the operation,
    // under the caller's lock: it must not call back into the file system or block.
    using FileObserver = void (*)(u64 inode_number);
    void set_file_observer(FileObserver observer) { m_file_observer = observer; }

    // Who creates a file now (a process id; 0 for the kernel): the file's owner for
    // Limits::max_bytes_per_owner, for the file's whole life. Without a source every file
    // belongs to owner 0.
    using OwnerSource = u32 (*)();
    void set_owner_source(OwnerSource source) { m_owner_source = source; }
    // File storage charged to `owner` now.
    u64 owner_bytes(u32 owner) const;

    // ---- one component ------------------------------------------------------------
    // "." is the directory, ".." its parent (the root's is itself; NoEnt once removed).
    ErrnoResult<RefPtr<Inode>> lookup_at(Directory&, StringView name);
    // Opens (or creates a file at) `name`. A symlink there is Loop (O_NOFOLLOW).
    ErrnoResult<RefPtr<Inode>> open_at(Directory&, StringView name, const OpenFlags&);
    ErrnoResult<RefPtr<Directory>> create_directory_at(Directory&, StringView name);
    ErrnoResult<void> remove_directory_at(Directory&, StringView name);
    // Removes a non-directory's name (IsDir for a directory).
    ErrnoResult<void> unlink_at(Directory&, StringView name);
    // POSIX rename: atomically replaces an existing `to` of a compatible type (a file by a
    // non-directory, an empty directory by a directory); renaming onto another name of the
    // same inode does nothing; a directory cannot move below itself (Inval).
    ErrnoResult<void> rename_at(Directory& from_directory, StringView from, Directory& to_directory, StringView to);
    // A new name for a non-directory (Perm for a directory).
    ErrnoResult<void> link_at(Directory& from_directory, StringView from, Directory& to_directory, StringView to);
    ErrnoResult<RefPtr<Symlink>> symlink_at(StringView target, Directory&, StringView name);
    // Inval when `name` is not a symlink.
    ErrnoResult<String> readlink_at(Directory&, StringView name);
    ErrnoResult<Stat> stat_at(Directory&, StringView name);
    // The directory's entries from `cookie` on (Directory::read), with a backed directory's
    // device error reported.
    ErrnoResult<void> read_directory(Directory&, u64 cookie, DirectoryVisitor&);
    // The entry `name` (not "." or ".."), or nullptr when there is none or it cannot be read.
    RefPtr<Inode> find_ref(Directory&, StringView name);

    // ---- mounts (kernel/fs/backend.h) ----------------------------------------------
    // Makes `root`, a backed directory, the entry `name` of the RAM directory `parent`.
    ErrnoResult<void> mount_at(Directory& parent, StringView name, RefPtr<Directory> root);
    // For a Backend: a new node (counted in max_inodes like any inode; a symlink's target in
    // max_bytes), and the mirror of its disk inode's link count, size and times.
    ErrnoResult<RefPtr<Inode>> make_backed(Backend&, InodeType, u32 disk_number, StringView symlink_target = {});
    void mirror(Inode&, u64 link_count, u64 size, u64 access_time, u64 modify_time, u64 change_time);
    // A backed directory removed from the disk's tree (rmdir, replaced by rename).
    void mark_removed(Directory&);
    // fd_sync: a backed inode's Backend writes everything to stable storage; RAM: nothing.
    ErrnoResult<void> sync(Inode&);

    // ---- inodes -------------------------------------------------------------------
    ErrnoResult<void> set_times(Inode&, TimeUpdate access, TimeUpdate modify);
    // Writes update the modify and change times, reads touch nothing (noatime).
    ErrnoResult<usize> write(File&, u64 offset, ReadonlyBytes);
    ErrnoResult<void> set_size(File&, u64 size);

    // ---- paths --------------------------------------------------------------------
    ErrnoResult<ResolvedParent> resolve_parent(Directory& start, StringView path, const ResolveOptions& = {});
    ErrnoResult<RefPtr<Inode>> resolve(Directory& start, StringView path, const ResolveOptions& = {});
    // Follows a final symlink unless options say otherwise; creating with `exclusive`
    // never follows one (POSIX O_CREAT|O_EXCL).
    ErrnoResult<RefPtr<Inode>> open(Directory& start, StringView path, const OpenFlags&, const ResolveOptions& = {});
    ErrnoResult<RefPtr<Directory>> create_directory(Directory& start, StringView path, const ResolveOptions& = {});
    ErrnoResult<void> remove_directory(Directory& start, StringView path, const ResolveOptions& = {});
    ErrnoResult<void> unlink(Directory& start, StringView path, const ResolveOptions& = {});
    ErrnoResult<void> rename(Directory& start, StringView from, StringView to, const ResolveOptions& = {});
    ErrnoResult<void> link(Directory& start, StringView from, StringView to, const ResolveOptions& = {});
    ErrnoResult<RefPtr<Symlink>> symlink(StringView target, Directory& start, StringView path, const ResolveOptions& = {});
    ErrnoResult<String> readlink(Directory& start, StringView path, const ResolveOptions& = {});
    ErrnoResult<Stat> stat(Directory& start, StringView path, const ResolveOptions& = {});

    // Checks one component for a name that an entry may have (not ".", "..", no '/', no
    // NUL, 1..kMaxNameLength bytes). Inval or NameTooLong.
    static ErrnoResult<void> check_new_name(StringView name);

private:
    friend class Inode;
    friend class File;
    friend class Directory;

    FileSystem(Limits limits, Clock* clock, Allocator* allocator)
        : m_limits(limits)
        , m_clock(clock)
        , m_allocator(allocator)
        , m_owner_bytes(allocator)
    {
    }

    ErrnoResult<void> charge(u64 bytes);
    void uncharge(u64 bytes);
    // A file's storage: charged to the limits and to its owner.
    ErrnoResult<void> charge_file(File&, u64 bytes);
    void uncharge_file(File&, u64 bytes);
    ErrnoResult<u64> take_inode_number();
    template<typename T, typename... Args>
    ErrnoResult<RefPtr<T>> make_inode(Args&&...);
    void release(Inode&);
    void free_inode(Inode&);
    void touch_directory(Directory&);
    void file_changed(const Inode&);
    ErrnoResult<void> add_entry(Directory&, StringView name, RefPtr<Inode>);
    ErrnoResult<RefPtr<File>> create_file(Directory&, StringView name);

    Limits m_limits;
    Clock* m_clock;
    Allocator* m_allocator;
    RefPtr<Directory> m_root;
    u64 m_bytes_used { 0 };
    u64 m_inode_count { 0 };
    u64 m_next_inode_number { 1 };
    IntrusiveList<Inode, &Inode::m_release_node> m_release_queue;
    bool m_releasing { false };
    FileObserver m_file_observer { nullptr };
    OwnerSource m_owner_source { nullptr };
    HashMap<u32, u64> m_owner_bytes; // owners with storage charged (never 0)
};

} // namespace wk::kernel::fs
