#pragma once

#include "base/errno.h"
#include "base/ref_ptr.h"
#include "base/span.h"
#include "base/string.h"
#include "base/string_view.h"
#include "base/types.h"
#include "kernel/fs/inode.h"

namespace wk::kernel::fs {

struct TimeUpdate;

// A disk file system mounted in the RAM tree (docs/storage.md, "Live mount"). Its nodes are
// ordinary File/Directory/Symlink objects with `backend()` set: they hold no contents, and
// FileSystem hands every operation on them here (one `if` at the top of each operation),
// so the WASI layer, path resolution and OpenFile keep one copy of every operation.
//
// A Backend materialises a node when a lookup reaches it and keeps at most one node per
// disk inode (hard links and open files share it) until the node's last reference goes
// (`forget`). The node's link count, size and times mirror the disk's inode; the Backend
// refreshes them after every change it makes.
//
// Errors speak the WASI errno space; a device error or damage is Io. A read-only volume
// answers RoFs to every change.
//
// NOTE: called under the FileSystem's lock (the kernel's FsGuard), like everything in kernel/fs.
class Backend {
public:
    // st_dev of the nodes (the RAM file system's is 1).
    virtual u64 device() const = 0;
    // A name in `directory` (not "." or ".."): the node, NoEnt, or Io.
    virtual ErrnoResult<RefPtr<Inode>> lookup(Directory&, StringView name) = 0;
    virtual ErrnoResult<RefPtr<Inode>> create_file(Directory&, StringView name) = 0;
    virtual ErrnoResult<RefPtr<Directory>> create_directory(Directory&, StringView name) = 0;
    virtual ErrnoResult<void> remove_directory(Directory&, StringView name) = 0;
    virtual ErrnoResult<void> unlink(Directory&, StringView name) = 0;
    virtual ErrnoResult<void> rename(Directory&, StringView from, Directory&, StringView to) = 0;
    virtual ErrnoResult<void> link(Inode&, Directory&, StringView name) = 0;
    virtual ErrnoResult<RefPtr<Symlink>> symlink(StringView target, Directory&, StringView name) = 0;
    // Entries from `cookie` on ("." and ".." included); next_cookie is stable while the
    // entry exists.
    virtual ErrnoResult<void> read_directory(Directory&, u64 cookie, DirectoryVisitor&) = 0;
    virtual ErrnoResult<usize> read(const File&, u64 offset, Bytes) = 0;
    virtual ErrnoResult<usize> write(File&, u64 offset, ReadonlyBytes) = 0;
    virtual ErrnoResult<void> set_size(File&, u64 size) = 0;
    virtual ErrnoResult<void> set_times(Inode&, const TimeUpdate& access, const TimeUpdate& modify) = 0;
    // On stable storage when this returns: every change made before the call.
    virtual ErrnoResult<void> sync() = 0;
    // The node's last reference is going: drop it from the table (and free the disk inode
    // of a file unlinked while it was open).
    virtual void forget(Inode&) = 0;

protected:
    ~Backend() = default;
};

} // namespace wk::kernel::fs
