#pragma once

#include "base/hash_map.h"
#include "base/intrusive_list.h"
#include "base/ref_ptr.h"
#include "base/span.h"
#include "base/string.h"
#include "base/string_view.h"
#include "base/types.h"
#include "base/vector.h"
#include "base/errno.h"

namespace wk::kernel::fs {

class FileSystem;
class Directory;
class Backend;

enum class InodeType : u8 { File, Directory, Symlink };

// What stat() reports. Times are nanoseconds from the FileSystem's clock.
struct Stat {
    u64 device { 1 }; // 1: the RAM file system; a mounted disk's Backend says its own
    u64 inode { 0 };
    InodeType type { InodeType::File };
    u64 link_count { 0 };
    u64 size { 0 };
    u64 access_time { 0 };
    u64 modify_time { 0 };
    u64 change_time { 0 };
};

// A file, directory or symbolic link. Reference counted: a directory entry holds one
// reference, every open file or lookup result another, so an unlinked file lives on
// until the last reference goes. The last unref() returns the inode's memory and its
// share of the limits to its FileSystem.
//
// NOTE: not thread-safe; the FileSystem's caller serialises every operation, including
// dropping references (see FileSystem). An inode must not outlive its FileSystem.
class Inode : public RefCounted<Inode> {
public:
    InodeType type() const { return m_type; }
    bool is_file() const { return m_type == InodeType::File; }
    bool is_directory() const { return m_type == InodeType::Directory; }
    bool is_symlink() const { return m_type == InodeType::Symlink; }
    u64 number() const { return m_number; }
    u64 link_count() const { return m_link_count; }
    // A node of a mounted disk file system (kernel/fs/backend.h): its contents and names live
    // on the disk, and every operation on it goes to the Backend. Its link count, size and
    // times here mirror the disk's inode (the Backend refreshes them after each change).
    Backend* backend() const { return m_backend; }
    bool is_backed() const { return m_backend != nullptr; }
    u32 disk_number() const { return m_disk_number; }
    FileSystem& file_system() const { return m_fs; }

    u64 access_time() const { return m_access_time; }
    u64 modify_time() const { return m_modify_time; }
    u64 change_time() const { return m_change_time; }
    void set_access_time(u64 time) { m_access_time = time; }
    void set_modify_time(u64 time) { m_modify_time = time; }
    void set_change_time(u64 time) { m_change_time = time; }

    Stat stat() const;
    // Bytes of content (files), target length (symlinks), entry count (directories).
    u64 size() const;

    // NOTE: called by RefCounted when the last reference goes, never directly.
    void destroy();

protected:
    Inode(FileSystem&, InodeType, u64 number, u64 now);
    ~Inode();

private:
    friend class FileSystem;
    friend class Directory;

protected:
    FileSystem& m_fs;
    u64 m_number;
    Backend* m_backend { nullptr };
    u32 m_disk_number { 0 };

private:
    u64 m_link_count { 0 };
    u64 m_access_time;
    u64 m_modify_time;
    u64 m_change_time;
    InodeType m_type;
    IntrusiveListNode m_release_node; // on FileSystem's release queue while being freed
};

// A regular file. Contents live in chunks allocated on first write; a chunk never written
// (a hole) reads as zeros, so a file grown by set_size() or by a write past its end costs
// only what is written. Chunk 0 starts small (a power of two from 32 bytes) and grows, so
// small files stay small.
class File final : public Inode {
public:
    // NOTE: a chunk plus the kernel heap's large-block header fits one 4 KiB page.
    static constexpr usize kChunkSize = 4096 - 64;

    u64 size() const { return m_size; }

    // Copies up to buffer.size() bytes from offset; 0 at or past the end (and, for a backed
    // file, on a device error: read_checked says which).
    usize read_at(u64 offset, Bytes buffer) const;
    ErrnoResult<usize> read_checked(u64 offset, Bytes buffer) const;
    // Writes data at offset, growing the file (a gap reads as zeros). FBig past
    // Limits::max_file_size. Running out of space (NoSpc/NoMem) part-way returns the count
    // written so far (a short write, as POSIX); with nothing written, the error.
    ErrnoResult<usize> write_at(u64 offset, ReadonlyBytes data);
    // Shrinks (freeing whole chunks past the end, zeroing the rest of the last one) or
    // grows (a hole, no allocation).
    ErrnoResult<void> set_size(u64 size);

    // End of the range that has chunk slots (written at some point, holes included): shrinking
    // below it frees storage, in time proportional to (stored_end - new size) / kChunkSize.
    // A backed file: its size (the disk's blocks are freed by the Backend in any step size).
    u64 stored_end() const { return m_backend ? m_size : u64 { m_chunks.size() } * kChunkSize; }
    // Bytes charged to the limits for this file's storage.
    u64 storage_bytes() const { return m_storage_bytes; }
    // Whose quota the storage counts in (FileSystem::set_owner_source); 0 for the kernel.
    u32 owner() const { return m_owner; }

private:
    friend class FileSystem;
    friend class Inode;
    File(FileSystem& fs, u64 number, u64 now)
        : Inode(fs, InodeType::File, number, now)
    {
    }
    ~File();

    usize chunk_capacity(usize index) const;
    // Chunk `index`, allocated or grown to hold [0, to). NOTE: the caller writes [from, to)
    // at once, so a fresh chunk's zeroing skips that range (it copies the initrd's 1 MB at
    // every boot).
    ErrnoResult<u8*> writable_chunk(usize index, usize from, usize to);
    void release_chunks_from(usize index);

    Vector<u8*> m_chunks; // nullptr: hole; entries past the end are holes too
    u64 m_size { 0 };
    usize m_first_capacity { 0 };
    u64 m_storage_bytes { 0 };
    u32 m_owner { 0 };
};

// A symbolic link: an immutable target text, interpreted only by path resolution.
class Symlink final : public Inode {
public:
    StringView target() const { return m_target.view(); }

private:
    friend class FileSystem;
    friend class Inode;
    Symlink(FileSystem& fs, u64 number, u64 now, String target)
        : Inode(fs, InodeType::Symlink, number, now)
        , m_target(std::move(target))
    {
    }
    ~Symlink() = default;

    String m_target;
};

// Receives directory entries in order; returns false to stop. `next_cookie` is the
// position after this entry: reading again from it continues with the next entry.
class DirectoryVisitor {
public:
    virtual bool entry(u64 next_cookie, u64 inode, InodeType type, StringView name) = 0;

protected:
    ~DirectoryVisitor() = default;
};

// A directory: named entries in creation order. Each entry has a serial number that never
// changes while the entry exists (also when rename replaces what it points to), which makes
// readdir cookies stable: a cookie is "the entry with the next serial at or above this",
// so entries added or removed meanwhile do not make a reader skip or repeat the others.
// Positions 0 and 1 are "." and "..".
//
// The parent link is not a reference (it would be a cycle): a directory in the tree is held
// by its parent's entry, and a removed directory has no parent.
class Directory final : public Inode {
public:
    static constexpr u64 kFirstSerial = 2;

    // The entry's inode, or nullptr; "." and ".." are not entries.
    Inode* find(StringView name) const;
    usize entry_count() const { return m_entries.size(); }
    bool is_empty() const { return m_entries.is_empty(); }
    bool is_root() const { return m_parent == this; }
    // Removed from the tree (rmdir, or replaced by rename) while still referenced.
    bool is_removed() const { return m_parent == nullptr; }
    // A backed directory is held by nothing but its users, so it holds its parent (the mount's
    // root is held by its RAM entry and points at the RAM parent without a reference).
    void set_backed_parent(Directory* parent, bool hold);
    // The parent; the root is its own parent; nullptr once removed.
    Directory* parent() const { return m_parent; }

    void read(u64 cookie, DirectoryVisitor&) const;

private:
    friend class FileSystem;
    friend class Inode;
    struct Entry {
        u64 serial;
        String name;
        RefPtr<Inode> inode;
    };

    Directory(FileSystem& fs, u64 number, u64 now);
    ~Directory();

    Entry* find_entry(StringView name);
    // First entry with serial >= `serial` (index into m_entries, may be the size).
    usize lower_bound(u64 serial) const;
    ErrnoResult<void> add(StringView name, RefPtr<Inode>);
    // Drops the entry's reference; returns the inode it named (still referenced by the caller's copy).
    RefPtr<Inode> remove(StringView name);

    Vector<Entry> m_entries;           // ascending serial
    HashMap<StringView, u64> m_index; // name (viewing Entry::name) -> serial
    u64 m_next_serial { kFirstSerial };
    Directory* m_parent { nullptr };
    RefPtr<Inode> m_parent_hold; // backed directories below the mount's root: keeps m_parent alive
};

} // namespace wk::kernel::fs
