#pragma once

#include <optional>

#include "base/result.h"
#include "base/span.h"
#include "engine/runtime/trap.h"
#include "engine/runtime/vm.h"

namespace wk::engine::runtime {

class Store;

struct InvokeOutcome {
    std::optional<TrapInfo> trap; // set when the call trapped; the results are then unset
};

// Calls `function` through its array-call entry inside a new activation: arguments in
// values[0..params), results come back in values[0..results). `values` must hold
// max(params, results) slots (OutOfRange otherwise). A wasm function the compiler has
// not provided code for fails with Unsupported "execution not implemented". Before the
// call, the callee instance's stack_limit is set for the calling thread. When no other
// call of the store is in progress, the store's GC heap may be collected first
// (docs/gc.md): references the host keeps across calls must be in `values` (as
// arguments), a global or a table.
Result<InvokeOutcome> invoke(Store& store, const VMFuncRef& function, Span<VMVal> values);

} // namespace wk::engine::runtime
