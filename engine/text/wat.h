#pragma once

#include "base/result.h"
#include "base/string_view.h"
#include "base/vector.h"

namespace wk::engine::text {

// Encodes a text module — `(module $id? field*)` or a bare sequence of fields —
// in the binary format. Errors are Malformed with the byte offset into `source`.
Result<Vector<u8>> wat_to_wasm(StringView source);

} // namespace wk::engine::text
