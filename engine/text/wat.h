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

} // namespace wk::engine::text
