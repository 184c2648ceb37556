#pragma once

#include "engine/module.h"

// The subtype order of value types (WebAssembly 3.0, "Matching"), written once for the two
// places that name defined types differently: the validator (module-level canonical ids,
// engine/valid/type_context.h) and the store (store ids, engine/runtime/type_registry.h).
// `Types` answers two questions about defined types: `kind_of(id)` (func, struct or
// array) and `is_type_subtype(sub, super)` (declared subtyping, reflexive).
namespace wk::engine::subtyping {

// The top abstract heap type of a reference type's hierarchy.
template<typename Types>
HeapKind top_heap(const Types& types, ValType type)
{
    switch (type.heap) {
    case HeapKind::Func:
    case HeapKind::NoFunc: return HeapKind::Func;
    case HeapKind::Extern:
    case HeapKind::NoExtern: return HeapKind::Extern;
    case HeapKind::Exn:
    case HeapKind::NoExn: return HeapKind::Exn;
    case HeapKind::Index: return types.kind_of(type.index) == CompositeKind::Func ? HeapKind::Func : HeapKind::Any;
    case HeapKind::Bottom: return HeapKind::Bottom;
    default: return HeapKind::Any;
    }
}

// The bottom abstract heap type of a reference type's hierarchy.
template<typename Types>
HeapKind bottom_heap(const Types& types, ValType type)
{
    switch (top_heap(types, type)) {
    case HeapKind::Func: return HeapKind::NoFunc;
    case HeapKind::Extern: return HeapKind::NoExtern;
    case HeapKind::Exn: return HeapKind::NoExn;
    case HeapKind::Bottom: return HeapKind::Bottom;
    default: return HeapKind::None;
    }
}

template<typename Types>
bool heap_is_subtype(const Types& types, ValType sub, ValType super)
{
    if (sub.heap == HeapKind::Bottom)
        return true;
    if (sub.heap == HeapKind::Index && super.heap == HeapKind::Index)
        return types.is_type_subtype(sub.index, super.index);
    if (sub.heap == super.heap)
        return true;
    if (super.heap == HeapKind::Index)
        return sub.heap == bottom_heap(types, super);
    if (sub.heap == HeapKind::Index) {
        CompositeKind kind = types.kind_of(sub.index);
        switch (super.heap) {
        case HeapKind::Func: return kind == CompositeKind::Func;
        case HeapKind::Any:
        case HeapKind::Eq: return kind != CompositeKind::Func;
        case HeapKind::Struct: return kind == CompositeKind::Struct;
        case HeapKind::Array: return kind == CompositeKind::Array;
        default: return false;
        }
    }
    switch (super.heap) {
    case HeapKind::Any:
        return sub.heap == HeapKind::Eq || sub.heap == HeapKind::I31 || sub.heap == HeapKind::Struct
            || sub.heap == HeapKind::Array || sub.heap == HeapKind::None;
    case HeapKind::Eq:
        return sub.heap == HeapKind::I31 || sub.heap == HeapKind::Struct || sub.heap == HeapKind::Array
            || sub.heap == HeapKind::None;
    case HeapKind::I31:
    case HeapKind::Struct:
    case HeapKind::Array: return sub.heap == HeapKind::None;
    case HeapKind::Func: return sub.heap == HeapKind::NoFunc;
    case HeapKind::Extern: return sub.heap == HeapKind::NoExtern;
    case HeapKind::Exn: return sub.heap == HeapKind::NoExn;
    default: return false;
    }
}

template<typename Types>
bool is_subtype(const Types& types, ValType sub, ValType super)
{
    if (sub.kind == ValKind::Bottom)
        return true;
    if (sub.kind != super.kind)
        return false;
    if (sub.kind != ValKind::Ref)
        return true;
    if (sub.nullable && !super.nullable)
        return false;
    if (super.exact) {
        // Only the same exact type, or the bottom of its hierarchy, fits.
        if (sub.heap == HeapKind::Index)
            return sub.exact && sub.index == super.index;
        return sub.heap == HeapKind::Bottom || sub.heap == bottom_heap(types, super);
    }
    return heap_is_subtype(types, sub, super);
}

} // namespace wk::engine::subtyping
