#pragma once

#include "base/result.h"
#include "base/span.h"
#include "base/vector.h"
#include "engine/module.h"
#include "engine/runtime/vm.h"

namespace wk::engine::runtime {

// What a constant expression may read: the globals defined so far (imports first) and
// the function entries (ref.func yields the entry's address).
class Store;

struct ConstEvalEnvironment {
    Span<VMGlobal* const> globals;
    VMFuncRef* functions { nullptr };
    u32 function_count { 0 };
    // Where struct.new and array.new* allocate, and the module's canonical type ids.
    // Without a store they fail with Unsupported "GC not implemented".
    Store* store { nullptr };
    Span<const u32> type_ids;
};

// Evaluates a validated constant expression: numeric and v128 constants, global.get,
// ref.null, ref.func, extended-const i32/i64 add/sub/mul, ref.i31, the extern/any
// conversions, and struct.new(_default)(_desc) / array.new(_default, _fixed), which
// allocate in the environment's store (OutOfMemory past its GC heap limit; a null
// descriptor fails with OutOfRange "null descriptor reference", the instruction's trap).
// `stack` is scratch space, reused across calls.
Result<VMVal> evaluate_const_expr(const Module& module, ConstExpr expr, const ConstEvalEnvironment& environment,
                                  Vector<VMVal>& stack);

} // namespace wk::engine::runtime
