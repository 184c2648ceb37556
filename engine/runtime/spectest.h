#pragma once

#include "base/format_sink.h"
#include "engine/runtime/linker.h"

namespace wk::engine::runtime {

// The spec test suite's `spectest` module, as the reference interpreter defines it:
//   print, print_i32, print_i64, print_f32, print_f64, print_i32_f32, print_f64_f64
//   global_i32 = 666, global_i64 = 666, global_f32 = 666.6, global_f64 = 666.6 (immutable)
//   table: 10..20 funcref; table64: i64-address 10..20 funcref
//   memory: 1..2 pages; shared_memory: 1..2 pages, shared
// The print functions write their arguments, one line per call, to `output` when given
// ("666 : i32"), else do nothing.
Result<void> define_spectest(Store& store, Linker& linker, FormatSink* output = nullptr);

} // namespace wk::engine::runtime
