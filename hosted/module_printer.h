#pragma once

#include "base/format_sink.h"
#include "engine/module.h"

namespace wk::hosted {

// Prints a decoded module for `wasmkern dump`: the section headers of its bytes,
// then types, imports, functions (with body sizes), tables, memories, globals,
// tags, exports, start, segments and custom sections.
void print_module(engine::Module const&, FormatSink&);

} // namespace wk::hosted
