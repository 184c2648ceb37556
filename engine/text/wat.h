#pragma once

#include "base/result.h"
#include "base/string_view.h"
#include "base/vector.h"
#include "engine/module.h"

namespace wk::engine::text {

// Encodes a text module — `(module $id? field*)` or a bare sequence of fields —
// in the binary format. Errors are Malformed with the byte offset into `source`.
// `features` picks the text rules where suites disagree (Features::u64_text_limits).
Result<Vector<u8>> wat_to_wasm(StringView source, Features features = {});

// The same, and function `$id`s become the name section's function names (where no
// `@name` annotation names functions), as a debugger or a trap backtrace wants them.
// The spec's text format does not do this; tools ask for it.
Result<Vector<u8>> wat_to_wasm_with_names(StringView source, Features features = {});

} // namespace wk::engine::text
