#include "engine/runtime/invoke.h"

#include "engine/platform.h"
#include "engine/runtime/instance.h"
#include "engine/runtime/store.h"

namespace wk::engine::runtime {

namespace {

// call_native's frame (its backtrace buffer, the Activation) and wk_enter_native's
// pushes, with room to spare.
constexpr u64 kInvokeFrameBytes = 2 * sizeof(TrapInfo) + 2048;

} // namespace

Result<InvokeOutcome> invoke(Store& store, const VMFuncRef& function, Span<VMVal> values)
{
    const TypeRegistry& types = store.types();
    if (function.type_id >= types.size() || types.type(function.type_id).kind != CompositeKind::Func)
        return Error::from("not a function reference of this store", ErrorKind::Invalid);
    usize params = types.params(function.type_id).size();
    usize results = types.results(function.type_id).size();
    if (values.size() < params || values.size() < results)
        return Error::from("argument array too small for the function's type", ErrorKind::OutOfRange);
    if (!function.array_call)
        return Error::from("execution not implemented", ErrorKind::Unsupported);
    if (!function.vmctx)
        return Error::from("function reference without context", ErrorKind::Invalid);
    // NOTE: a host function's vmctx is its HostFunction, which has no stack limit.
    if (!function.is_host()) {
        u64 limit = platform::wasm_stack_limit();
        // The array entry writes its stack arguments before the callee's prologue checks
        // the limit, and call_native's frame lies below this one: a host function that
        // calls back into wasm near the limit must not run them into the reserve (or the
        // guard page), so such a call traps here instead.
        u64 headroom = kInvokeFrameBytes + 16 * (u64 { params } + 2);
        volatile u8 marker = 0;
        uptr sp = reinterpret_cast<uptr>(&marker);
        if (sp < limit + headroom) {
            InvokeOutcome outcome;
            outcome.trap.emplace().kind = TrapKind::StackExhausted;
            return outcome;
        }
        __builtin_memcpy(reinterpret_cast<u8*>(function.vmctx) + VMOffsets::kStackLimit, &limit, sizeof(limit));
    }
    // The one safe point of the collector (docs/gc.md): no wasm frame of the store is
    // live, and the arguments are the only references the host holds for this call.
    if (store.wasm_depth() == 0 && store.gc_heap().wants_collection())
        store.collect_garbage(values.first(params), types.params(function.type_id));
    store.enter_wasm();
    auto native = call_native(reinterpret_cast<const void*>(function.array_call), reinterpret_cast<u64>(function.vmctx),
                              reinterpret_cast<u64>(values.data()));
    store.leave_wasm();
    auto result = TRY(std::move(native));
    InvokeOutcome outcome;
    outcome.trap = result.trap;
    return outcome;
}

} // namespace wk::engine::runtime
