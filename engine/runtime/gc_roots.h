#pragma once

// Collection at an allocation inside wasm code (docs/gc.md, "Safe points"): the roots of
// the live wasm frames come from the stack maps the compiler records at each call site
// (CodeRange::stack_maps), found by walking the frame-pointer chain from the allocating
// builtin's caller.

#include "engine/module.h"
#include "engine/runtime/gc_objects.h"

namespace wk::engine::runtime {

// The references an allocating builtin holds while it may collect (its operands, which
// the caller's stack map does not cover): `count` values at values.at(k), of the struct
// field types `fields` when not empty, else of `types` (a tag's parameters) when not
// empty, else all of type `element`; and a descriptor. Types are store-level.
struct GcHeldValues {
    GcFieldSource values;
    u64 count { 0 };
    Span<const FieldType> fields;
    ValType element { ValType::i32() };
    uptr descriptor { 0 };
    Span<const ValType> types {};
};

// Collects the heap of `vmctx`'s store before an allocation of the builtin called from the
// wasm frame whose rbp is `fp`, at return address `pc` — if the trigger says so
// (GcHeap::wants_collection, RuntimeLimits::gc_collect_at_every_allocation, or
// `out_of_memory`: the allocation failed and is tried once more after it), the store
// runs one invocation (wasm_depth() == 1: no host frame between its wasm frames hides
// references) and every wasm frame from there to the invocation's entry is the store's and
// has a stack map. Otherwise it collects nothing (never guesses) and returns false.
// NOTE: contract: called only by builtins that compiled code calls directly, with their
// caller's rbp and return address, before they read their operands' references.
bool collect_at_allocation(VMContext* vmctx, uptr fp, uptr pc, const GcHeldValues& held, bool out_of_memory);

// The builtin's caller's rbp and return address (the builtin must keep a frame pointer,
// which taking its frame address forces).
#define WK_GC_CALLER_FRAME() \
    (*static_cast<const ::wk::uptr*>(__builtin_frame_address(0))), reinterpret_cast<::wk::uptr>(__builtin_return_address(0))

} // namespace wk::engine::runtime
