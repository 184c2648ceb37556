#pragma once

#include <string_view>

#include "base/types.h"

namespace wk::kernel::debug {

struct Symbol {
    std::string_view name; // empty when unknown
    u64 offset;
};

// Looks `address` up in the symbol table the build embedded in .ksyms (tools/ksymgen).
// Returns an empty name for addresses outside the kernel's code or a malformed table.
Symbol symbolize(u64 address);
usize symbol_count();

} // namespace wk::kernel::debug
