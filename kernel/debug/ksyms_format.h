#pragma once

#include "base/types.h"

// The embedded kernel symbol table, written by tools/ksymgen and read by debug/symbols.cpp:
// a header, `count` entries sorted by address, then `strings_size` bytes of NUL-terminated names.
namespace wk::kernel::debug {

constexpr u32 kKsymsMagic = 0x4D59534B; // "KSYM"

struct KsymsHeader {
    u32 magic;
    u32 count;
    u32 strings_size;
    u32 reserved;
};

struct KsymsEntry {
    u64 address;
    u32 name_offset;
    u32 reserved;
};

} // namespace wk::kernel::debug
