#pragma once

#include "base/hash_map.h"
#include "base/vector.h"
#include "kernel/fs/backend.h"
#include "kernel/fs/ext2.h"
#include "kernel/fs/file_system.h"

namespace wk::kernel::fs::ext2 {

// An ext2 Volume live in a FileSystem's tree (docs/storage.md, "Live mount"): the Backend
// behind every node below the mount point. Nodes are materialised on lookup and kept in a
// table by disk inode number while referenced, so one disk inode is one kernel Inode.
// A file unlinked (or replaced by rename) while a node for it exists keeps its disk inode
// until the node's last reference goes, then its blocks are freed (forget).
//
// NOTE: not thread-safe; under the FileSystem's lock. Outlives every node it made (the
// kernel's mount is never taken down; poweroff only unmounts the volume).
class Mount final : public Backend {
public:
    static constexpr u64 kDevice = 2;

    // The volume moves in; `parent`/`name` is where its root appears (a RAM directory).
    static ErrnoResult<Mount*> create(FileSystem&, Volume, Directory& parent, StringView name);
    // Frees a Mount whose nodes are all gone (tests; the kernel's mount lives forever).
    static void destroy(Mount*);

    Volume& volume() { return m_volume; }
    // Called once, with Volume::last_error(), when an operation finds damage (or a device
    // error) that makes the volume read-only; the kernel logs it.
    using DamageReporter = void (*)(const Error&);
    void set_damage_reporter(DamageReporter reporter) { m_reporter = reporter; }
    // Writes everything back, marks the file system clean and makes the volume read-only
    // (poweroff): nothing may change the disk after its clean mark.
    ErrnoResult<void> unmount();
    // Materialised nodes (for tests and the console).
    usize node_count() const { return m_nodes.size(); }

    u64 device() const override { return kDevice; }
    ErrnoResult<RefPtr<fs::Inode>> lookup(Directory&, StringView name) override;
    ErrnoResult<RefPtr<fs::Inode>> create_file(Directory&, StringView name) override;
    ErrnoResult<RefPtr<Directory>> create_directory(Directory&, StringView name) override;
    ErrnoResult<void> remove_directory(Directory&, StringView name) override;
    ErrnoResult<void> unlink(Directory&, StringView name) override;
    ErrnoResult<void> rename(Directory&, StringView from, Directory&, StringView to) override;
    ErrnoResult<void> link(fs::Inode&, Directory&, StringView name) override;
    ErrnoResult<RefPtr<Symlink>> symlink(StringView target, Directory&, StringView name) override;
    ErrnoResult<void> read_directory(Directory&, u64 cookie, DirectoryVisitor&) override;
    ErrnoResult<usize> read(const File&, u64 offset, Bytes) override;
    ErrnoResult<usize> write(File&, u64 offset, ReadonlyBytes) override;
    ErrnoResult<void> set_size(File&, u64 size) override;
    ErrnoResult<void> set_times(fs::Inode&, const TimeUpdate& access, const TimeUpdate& modify) override;
    ErrnoResult<void> sync() override;
    void forget(fs::Inode&) override;

private:
    // Parent walks stop here (a directory tree deeper than this is not followed).
    static constexpr u32 kMaxParentWalk = 4096;

    Mount(FileSystem& fs, Volume volume)
        : m_fs(fs)
        , m_allocator(fs.allocator())
        , m_volume(std::move(volume))
    {
    }
    bool is_ancestor(const Directory& candidate, const Directory& directory) const;

    ErrnoResult<ext2::Inode> disk_inode(u32 number);
    // The node for a disk inode, made (and entered in the table) when there is none.
    ErrnoResult<RefPtr<fs::Inode>> node_for(u32 number);
    void mirror(fs::Inode&, const ext2::Inode&);
    // Re-reads the disk inode of a node, if one exists for `number`.
    void refresh(u32 number);
    ErrnoResult<u32> lookup_number(Directory&, StringView name);

    // Reports the volume turning read-only during the operation it lives in.
    class DamageWatch {
    public:
        explicit DamageWatch(Mount& mount)
            : m_mount(mount)
        {
        }
        ~DamageWatch();

    private:
        Mount& m_mount;
    };

    FileSystem& m_fs;
    Allocator& m_allocator;
    Volume m_volume;
    DamageReporter m_reporter { nullptr };
    bool m_writable_seen { false };
    HashMap<u32, fs::Inode*> m_nodes;
    Vector<u8> m_block; // read_directory's copy of the block it walks
};

} // namespace wk::kernel::fs::ext2
