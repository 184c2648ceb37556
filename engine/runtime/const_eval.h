#pragma once

#include "base/result.h"
#include "base/span.h"
#include "base/vector.h"
#include "engine/module.h"
#include "engine/runtime/vm.h"

namespace wk::engine::runtime {

// What a constant expression may read: the globals defined so far (imports first) and
// the function entries (ref.func yields the entry's address).
struct ConstEvalEnvironment {
    Span<VMGlobal* const> globals;
    VMFuncRef* functions { nullptr };
    u32 function_count { 0 };
};

// Evaluates a validated constant expression: numeric and v128 constants, global.get,
// ref.null, ref.func, extended-const i32/i64 add/sub/mul, ref.i31 and the
// extern/any conversions. Allocating GC instructions fail with Unsupported
// "GC not implemented". `stack` is scratch space, reused across calls.
Result<VMVal> evaluate_const_expr(const Module& module, ConstExpr expr, const ConstEvalEnvironment& environment,
                                  Vector<VMVal>& stack);

} // namespace wk::engine::runtime
