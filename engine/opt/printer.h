#pragma once

#include "base/format_sink.h"
#include "base/result.h"
#include "base/string.h"
#include "engine/opt/ir.h"

namespace wk::engine::opt {

// Writes a function as text, one block per paragraph, for debugging and tests:
//
//   function 3 -> (i32)
//   block0(v0: i32, v1: i32):
//       v2 = i32.add v0, v1
//       v3 = i32.load v2 offset=8 mem=0 guarded
//       brif v3, block1(v2), block2
//
// Blocks print in layout order. Constants print as const.TYPE with integers in
// signed decimal and floats as their bit pattern in hex.
void print_function(const Function& function, FormatSink& sink);
Result<String> function_to_string(const Function& function);

} // namespace wk::engine::opt
