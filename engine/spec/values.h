#pragma once

// Script values and result patterns against the runtime's VMVal encoding.

#include "engine/runtime/store.h"
#include "engine/runtime/vm.h"
#include "engine/text/wast.h"

namespace wk::engine::spec {

// An argument of an action. Fails for values the engine cannot pass (a GC
// reference or a ref.func constant) and when out of memory.
Result<runtime::VMVal> to_vmval(runtime::Store&, text::Value const&);

enum class Match : u8 { Yes, No };

// Whether `value` matches `pattern`. (ref.struct), (ref.array), (ref.i31), (ref.eq) and
// (ref.any) read the GC object's header (docs/gc.md).
Match matches(runtime::Store const&, runtime::VMVal const& value, text::ResultPattern const& pattern);

// Writes `value` as the pattern's kind reads it (i32:0x2a, f64:0x..., v128 lanes, ref).
void write_value(FormatSink&, runtime::VMVal const& value, text::ResultPattern const& pattern);

} // namespace wk::engine::spec
