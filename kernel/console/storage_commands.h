#pragma once

#include <string_view>

namespace wk::kernel::console {

// Console commands around PCI and disks (kernel/drivers).
void command_lspci(std::string_view arguments);
// disk                              list the disks
// disk write|verify NAME SECTOR COUNT SEED   write or check the test pattern (sector_pattern)
// disk flush NAME
// disk bench NAME SECTOR MIB        sequential write, flush and read of MIB MiB from SECTOR
void command_disk(std::string_view arguments);

} // namespace wk::kernel::console
