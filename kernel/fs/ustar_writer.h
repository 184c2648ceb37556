#pragma once

#include "base/allocator.h"
#include "base/result.h"
#include "base/span.h"
#include "base/string_view.h"
#include "base/types.h"
#include "base/vector.h"

namespace wk::kernel::fs {

// Builds a POSIX ustar archive in memory: what the in-kernel tests load, and a reference
// for the hosted tests. Names longer than 100 bytes are split into prefix and name at a
// slash (Invalid when they cannot be).
class UstarWriter {
public:
    static constexpr usize kBlock = 512;

    explicit UstarWriter(Allocator* allocator = nullptr)
        : m_bytes(allocator)
    {
    }

    Result<void> add_file(StringView path, ReadonlyBytes contents, u64 mtime = 0);
    Result<void> add_directory(StringView path, u64 mtime = 0);
    Result<void> add_symlink(StringView path, StringView target);
    Result<void> add_hard_link(StringView path, StringView target);
    // Any entry type with any data, for tests of what the loader skips or rejects.
    Result<void> add_entry(char type, StringView path, StringView link, ReadonlyBytes contents, u64 mtime = 0);
    // Appends the two zero blocks that end an archive.
    Result<void> finish();

    Span<const u8> bytes() const { return m_bytes.span(); }
    Vector<u8>& buffer() { return m_bytes; }

    // Recomputes the checksum of the header at `offset` (tests that edit a header).
    static void fix_checksum(Span<u8> archive, usize offset);

private:
    Vector<u8> m_bytes;
};

} // namespace wk::kernel::fs
