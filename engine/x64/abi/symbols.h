#pragma once

// The relocation symbols of a module's code, shared by every tier and the pipeline
// (engine/compile/compiler.cpp) that lays the code out and links it.

#include "base/types.h"

namespace wk::engine::x64::abi {

// Symbols of the module's code (relocation targets below compile::kExternalBase):
//   [0, F)          defined function i - imported count: its native entry
//   [F, 2F)         its array-call entry
//   [2F, 2F + T)    the wasm → array-call trampoline of type index t
//   2F + T          the retpoline thunk through r11 (every indirect call and jump)
struct SymbolSpace {
    u32 defined_count { 0 };
    u32 type_count { 0 };
    u32 function(u32 defined) const { return defined; }
    u32 array_entry(u32 defined) const { return defined_count + defined; }
    u32 array_trampoline(u32 type_index) const { return 2 * defined_count + type_index; }
    u32 retpoline() const { return 2 * defined_count + type_count; }
    u32 size() const { return 2 * defined_count + type_count + 1; }
};

} // namespace wk::engine::x64::abi
