#pragma once

#include "base/format_sink.h"
#include "base/span.h"

namespace wk::hosted {

// Prints the section headers of a binary module (offset, name, id, size):
// the layout, which engine::Module does not keep. Stops at the first header
// that does not fit.
void print_sections(ReadonlyBytes module, FormatSink&);

} // namespace wk::hosted
