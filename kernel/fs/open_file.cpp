#include "kernel/fs/open_file.h"

#include <limits>

#include "base/checked.h"

namespace wk::kernel::fs {

ErrnoResult<RefPtr<OpenFile>> OpenFile::create(RefPtr<Inode> inode, OpenMode mode)
{
    WK_ASSERT(inode);
    if (inode->is_symlink())
        return Errno::Loop;
    Allocator& memory = inode->file_system().allocator();
    auto made = try_make_ref_counted_in<OpenFile>(memory, std::move(inode), mode);
    if (!made)
        return Errno::NoMem;
    return std::move(*made);
}

ErrnoResult<File*> OpenFile::file_for(bool writing) const
{
    if (m_inode->is_directory())
        return Errno::IsDir;
    if (writing ? !m_mode.write : !m_mode.read)
        return Errno::BadF;
    return static_cast<File*>(m_inode.get());
}

ErrnoResult<usize> OpenFile::read(Bytes buffer)
{
    usize count = TRY(read_at(m_position, buffer));
    m_position += count;
    return count;
}

ErrnoResult<usize> OpenFile::write(ReadonlyBytes data)
{
    File* file = TRY(file_for(true));
    u64 offset = m_mode.append ? file->size() : m_position;
    usize count = TRY(file->file_system().write(*file, offset, data));
    m_position = offset + count;
    return count;
}

ErrnoResult<usize> OpenFile::read_at(u64 offset, Bytes buffer)
{
    File* file = TRY(file_for(false));
    return file->read_checked(offset, buffer);
}

ErrnoResult<usize> OpenFile::write_at(u64 offset, ReadonlyBytes data)
{
    File* file = TRY(file_for(true));
    return file->file_system().write(*file, offset, data);
}

ErrnoResult<u64> OpenFile::seek(i64 offset, Whence whence)
{
    u64 base = 0;
    switch (whence) {
    case Whence::Set:
        break;
    case Whence::Current:
        base = m_position;
        break;
    case Whence::End:
        base = m_inode->size();
        break;
    }
    auto signed_base = checked_cast<i64>(base);
    if (!signed_base)
        return Errno::Overflow;
    auto target = checked_add<i64>(*signed_base, offset);
    if (!target)
        return Errno::Overflow;
    if (*target < 0)
        return Errno::Inval;
    m_position = static_cast<u64>(*target);
    return m_position;
}

ErrnoResult<void> OpenFile::set_size(u64 size)
{
    File* file = TRY(file_for(true));
    return file->file_system().set_size(*file, size);
}

} // namespace wk::kernel::fs
