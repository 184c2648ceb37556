#pragma once

#include <span>
#include <string_view>

#include "base/types.h"
#include "kernel/mm/frame_allocator.h"

namespace wk::kernel::boot {

using mm::MemoryRange;

// A module the boot loader placed in memory (the initrd is module 0): a range inside one usable
// memory range, so that its frames can be kept out of the allocator and freed once it is read.
struct BootModule {
    u64 physical { 0 };
    u64 size { 0 };
};

// What the boot loader told us, copied out of its structures (which may be overwritten once
// the frame allocator runs). Every field is validated: a malformed table yields fewer ranges,
// never a fault.
struct BootInfo {
    static constexpr usize kMaxRanges = 64;
    static constexpr usize kMaxCommandLine = 256;
    static constexpr usize kMaxModules = 8;
    // A module must end below this (the kernel direct-maps this much at most).
    static constexpr u64 kMaxModuleEnd = 1ull << 40;

    u32 protocol { 0 };
    MemoryRange usable[kMaxRanges] {};
    usize usable_count { 0 };
    char command_line[kMaxCommandLine] {};
    u64 rsdp_physical { 0 };
    u64 info_physical { 0 };
    u64 info_size { 0 };
    BootModule modules[kMaxModules] {};
    usize module_count { 0 };
    // Modules the loader listed that were refused (empty, outside usable memory, too many).
    usize modules_rejected { 0 };

    std::span<const MemoryRange> usable_ranges() const { return { usable, usable_count }; }
    std::span<const BootModule> module_list() const { return { modules, module_count }; }
    std::string_view command_line_view() const { return command_line; }
    const char* protocol_name() const;
    // True when the command line contains `word` as a whole space-separated word.
    bool has_option(std::string_view word) const;
    // What follows `prefix` in the first word that starts with it (`test=` in `test=smp`), or
    // empty.
    std::string_view option_value(std::string_view prefix) const;
};

// Parses the boot loader's information at physical address `info` (reached through the
// direct map, which covers the first 4 GiB during boot).
BootInfo parse_boot_info(u32 protocol, u64 info);

} // namespace wk::kernel::boot
