#pragma once

#include "base/ref_ptr.h"
#include "base/span.h"
#include "base/types.h"
#include "kernel/fs/file_system.h"
#include "base/errno.h"
#include "kernel/fs/inode.h"

namespace wk::kernel::fs {

enum class Whence : u8 { Set = 0, Current = 1, End = 2 };

struct OpenMode {
    bool read { false };
    bool write { false };
    bool append { false }; // every write goes to the end
};

// An open file description: an inode, a position and what it was opened for. What a
// kernel handle points at; it keeps the inode alive after unlink. Directories open too
// (for readdir and as the base of `_at` calls), but read/write on them is IsDir.
//
// NOTE: not thread-safe; used under the FileSystem's lock like everything in kernel/fs.
class OpenFile final : public RefCounted<OpenFile> {
public:
    static ErrnoResult<RefPtr<OpenFile>> create(RefPtr<Inode>, OpenMode);

    Inode& inode() const { return *m_inode; }
    const RefPtr<Inode>& inode_ref() const { return m_inode; }
    OpenMode mode() const { return m_mode; }
    void set_append(bool append) { m_mode.append = append; }
    u64 position() const { return m_position; }

    // At the position, which advances by what was transferred.
    ErrnoResult<usize> read(Bytes);
    ErrnoResult<usize> write(ReadonlyBytes);
    // At an offset, leaving the position alone (pwrite ignores append, as WASI allows).
    ErrnoResult<usize> read_at(u64 offset, Bytes);
    ErrnoResult<usize> write_at(u64 offset, ReadonlyBytes);
    // Inval for a negative result, Overflow past i64.
    ErrnoResult<u64> seek(i64 offset, Whence);
    ErrnoResult<void> set_size(u64 size);

private:
    template<typename U, typename... Args>
    friend Result<RefPtr<U>> wk::try_make_ref_counted_in(Allocator&, Args&&...);

    OpenFile(RefPtr<Inode> inode, OpenMode mode)
        : m_inode(std::move(inode))
        , m_mode(mode)
    {
    }
    ErrnoResult<File*> file_for(bool writing) const;

    RefPtr<Inode> m_inode;
    OpenMode m_mode;
    u64 m_position { 0 };
};

} // namespace wk::kernel::fs
