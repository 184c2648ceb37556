#pragma once

// Unsigned upper bounds of i32 values, read from the operations that define them
// (docs/optimizing-compiler.md, "Address folding"). A back end uses them to prove that
// an address computation cannot wrap around 2^32, so that it can hand the computation to
// the machine's address arithmetic, which does not wrap there.

#include "engine/opt/ir.h"

namespace wk::engine::opt {

// The largest value `v` (an i32) can have, as an unsigned number. Exact reasoning only:
// constants, masks, unsigned shifts, narrow loads, compares, bounded sums and products;
// anything else (block parameters included) is 2^32 - 1. Looks at most a few
// definitions deep, so a query costs a bounded amount of work.
u32 max_u32(const Function& f, Value v);

} // namespace wk::engine::opt
