#pragma once

#include <expected>
#include <utility>

#include "base/error.h"
#include "base/result.h"
#include "base/types.h"

namespace wk::kernel::fs {

// Why a file system operation failed. The values are the WASI preview1 errno numbers
// (engine/wasi/wasi_types.h, Errno), so the kernel's WASI backend converts with a cast;
// kernel/fs does not include the engine to stay usable on its own.
enum class FsError : u16 {
    Access = 2,        // the open file lacks the right (read on a write-only file)
    BadF = 8,          // operation on an open file that does not support it
    Busy = 10,         // the root directory cannot be renamed or removed
    DQuot = 19,        // the file's owner reached Limits::max_bytes_per_owner
    Exist = 20,        // the name exists already
    FBig = 22,         // a file would grow past Limits::max_file_size
    Inval = 28,        // bad argument: "." or ".." where a new name is needed, readlink on a non-symlink...
    IsDir = 31,        // a directory where a non-directory is needed
    Loop = 32,         // too many symbolic links, or a symlink where following is refused
    MLink = 34,        // too many hard links to one inode
    NameTooLong = 37,  // a component above kMaxNameLength or a path above kMaxPathLength
    NoEnt = 44,        // no such name, or the directory was removed
    NoMem = 48,        // the allocator refused temporary memory
    NoSpc = 51,        // Limits::max_bytes or Limits::max_inodes reached
    NotDir = 54,       // a non-directory where a directory is needed
    NotEmpty = 55,     // rmdir or rename onto a non-empty directory
    Overflow = 61,     // a seek would move the offset out of range
    Perm = 63,         // hard link to a directory
    NotCapable = 76,   // a path would leave the directory it must stay beneath
};

// A short fixed description ("no such file or directory").
const char* describe(FsError);

// The generic Error for code that does not care about fs details: the description as its
// message, NoSpc/NoMem as OutOfMemory, Inval as Invalid, NameTooLong/FBig/Overflow as
// OutOfRange, everything else as Io.
Error to_error(FsError);

// std::expected<T, FsError> that an FsError converts to implicitly, so that TRY() and
// `return FsError::NoEnt;` work in functions returning FsResult<T>.
template<typename T>
class [[nodiscard]] FsResult : public std::expected<T, FsError> {
public:
    using Base = std::expected<T, FsError>;
    using Base::Base;

    constexpr FsResult(FsError error)
        : Base(std::unexpect, error)
    {
    }
    constexpr FsResult(const FsResult&) = default;
    constexpr FsResult(FsResult&&) = default;
    constexpr FsResult& operator=(const FsResult&) = default;
    constexpr FsResult& operator=(FsResult&&) = default;

    constexpr bool is_error() const { return !this->has_value(); }
};

// Maps an allocation failure of a base/ container to FsError::NoMem.
template<typename T>
FsResult<T> no_mem_on_error(Result<T>&& result)
{
    if (!result.has_value())
        return FsError::NoMem;
    if constexpr (std::is_void_v<T>)
        return {};
    else
        return std::move(*result);
}

} // namespace wk::kernel::fs
