#pragma once

#include "base/format_sink.h"
#include "base/result.h"
#include "kernel/fs/ext2.h"
#include "kernel/fs/file_system.h"

namespace wk::kernel::fs {

struct Ext2ImportStats {
    u64 files { 0 };
    u64 directories { 0 };
    u64 symlinks { 0 };
    u64 hard_links { 0 };
    u64 skipped { 0 }; // devices, fifos, sockets, and entries refused as damaged
    u64 damaged { 0 }; // of those, entries refused because the image is damaged there
    u64 file_bytes { 0 };
};

// Copies the tree of an ext2 volume into `destination` of an in-memory file system: files
// (holes stay holes), directories, symlinks (fast and slow), hard links (one inode, several
// names) and the three times. The first step of ext2 at /data (docs/storage.md, "ext2"): a
// read-only snapshot taken at mount.
//
// Damage confined to one entry (a bad block pointer, a bad inode, a bad name, a second name
// of a directory, which would make a loop) skips that entry with one line on `log` and goes
// on; damage to the root directory, or the in-memory file system running out of space, stops
// the copy with an Error (what was copied stays). Every walk is bounded: each directory is
// entered once, depth is at most kMaxDepth, and a file costs time in its allocated blocks.
inline constexpr u32 kExt2MaxDepth = 256;
Result<Ext2ImportStats> import_ext2(ext2::Volume&, FileSystem&, Directory& destination, FormatSink* log = nullptr);

} // namespace wk::kernel::fs
