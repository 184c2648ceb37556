#pragma once

#include <string_view>

namespace wk::kernel::console {

// `ext2`: changes an ext2 disk directly through fs::ext2::Volume (mounted for the one command,
// then flushed and marked clean), beside the read-only snapshot at /data, which does not see
// them until the next boot. A tool for the driver's boot tests and measurements until /data
// is a live mount (docs/storage.md).
// ext2 write DISK PATH TEXT...   create or replace a file with TEXT and a newline
// ext2 mkdir DISK PATH
// ext2 rm DISK PATH              a file, symlink or empty directory
// ext2 mv DISK FROM TO
// ext2 ln DISK TARGET PATH       a symlink
// ext2 bench DISK MIB            write MIB MiB to /bench, flush, read it back, remove it
void command_ext2(std::string_view arguments);

} // namespace wk::kernel::console
