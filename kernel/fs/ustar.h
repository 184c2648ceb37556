#pragma once

#include "base/error.h"
#include "base/format_sink.h"
#include "base/result.h"
#include "base/span.h"
#include "base/string.h"
#include "base/types.h"
#include "kernel/fs/file_system.h"

namespace wk::kernel::fs {

struct UstarStats {
    u64 files { 0 };
    u64 directories { 0 };
    u64 symlinks { 0 };
    u64 hard_links { 0 };
    u64 skipped { 0 };     // entry types the file system has no use for (devices, fifos...)
    u64 file_bytes { 0 };
};

// Why an archive was rejected: what was wrong (error.message(), a fixed text; error.kind()
// Malformed for the archive's fault, OutOfMemory when the file system's limits or the
// allocator ran out, Invalid for a path the file system refuses), the byte offset of the
// entry's header, and the entry's name as far as it was read (non-printable bytes shown
// as '?'; empty when the header itself is unreadable).
struct UstarError {
    Error error;
    u64 offset { 0 };
    String entry;

    // "entry 'bin/sh' at offset 1536: size field is not a number"
    void write_to(FormatSink&) const;
};

using UstarResult = Result<UstarStats, UstarError>;

// Unpacks a tar archive into `destination`: POSIX ustar, with the GNU (././@LongLink 'L'/'K')
// and pax ('x': path, linkpath, size, mtime) extensions that GNU tar writes for long names
// and large files. Regular files, directories, symbolic links and hard links are created;
// other entry types are skipped and reported to `log` (one line each) when given.
//
// Every field is checked: checksums, magic, octal or base-256 numbers, sizes against the
// archive's end, names bounded by their fields. Paths are relative: an absolute path or a
// ".." component is rejected, and parent directories are entered without following
// symlinks, so nothing is ever created outside `destination`. Missing parent directories
// are created. A later entry replaces an earlier non-directory of the same name (as tar
// does); a directory entry for an existing directory only updates its time; a file where a
// directory is (or the reverse) is rejected. The archive must end with a zero block.
//
// On error, entries before the bad one stay in the file system.
UstarResult load_ustar(FileSystem&, Directory& destination, ReadonlyBytes archive, FormatSink* log = nullptr);

} // namespace wk::kernel::fs
