#pragma once

#include "base/format_sink.h"
#include "base/result.h"
#include "engine/module.h"
#include "engine/opt/ir.h"

namespace wk::engine::opt {

// Checks what every builder output and every pass result must satisfy:
//   - the layout starts at the entry block, which has no predecessors, and every block
//     in it is reachable from the entry and ends in exactly one terminator;
//   - instructions, results, parameters and edges agree with each other (an edge is
//     in its target's predecessor list exactly when a live terminator owns it);
//   - operand counts and types match the op (the wasm signature for one-to-one ops),
//     edge arguments match their target's parameters, returns the function's results;
//   - SSA: every use is dominated by its definition (an edge argument is used at the
//     end of the edge's source block); no use names an alias or a removed value.
// With the module the function came from, calls are also checked against their
// callee's type and global accesses against the global's type (references by kind).
// The first violation is returned as an Error; when `detail` is given, a line naming
// the block, instruction and value is written to it as well.
Result<void> verify(const Function& function, FormatSink* detail = nullptr, const Module* module = nullptr);

} // namespace wk::engine::opt
