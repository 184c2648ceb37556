#pragma once

#include "base/types.h"

namespace wk::engine::runtime {

// What a store lets hostile modules ask for. Sizes from modules are attacker-controlled:
// anything beyond these is refused with an error (instantiation) or -1 (grow), never
// attempted.
struct RuntimeLimits {
    // Address space reserved for one i64-address memory (its max, capped by this).
    u64 max_memory64_reservation { u64 { 16 } << 30 };
    // Bytes one memory may have committed (its size), any address type.
    u64 max_memory_bytes { u64 { 4 } << 30 };
    // Elements of one table.
    u64 max_table_elements { u64 { 10'000'000 } };
};

} // namespace wk::engine::runtime
