#include "engine/valid/type_context.h"

namespace wk::engine {

HeapKind TypeContext::top_heap(ValType type) const
{
    switch (type.heap) {
    case HeapKind::Func:
    case HeapKind::NoFunc: return HeapKind::Func;
    case HeapKind::Extern:
    case HeapKind::NoExtern: return HeapKind::Extern;
    case HeapKind::Exn:
    case HeapKind::NoExn: return HeapKind::Exn;
    case HeapKind::Index: return m_module.types[type.index].kind == CompositeKind::Func ? HeapKind::Func : HeapKind::Any;
    case HeapKind::Bottom: return HeapKind::Bottom;
    default: return HeapKind::Any;
    }
}

HeapKind TypeContext::bottom_heap(ValType type) const
{
    switch (top_heap(type)) {
    case HeapKind::Func: return HeapKind::NoFunc;
    case HeapKind::Extern: return HeapKind::NoExtern;
    case HeapKind::Exn: return HeapKind::NoExn;
    case HeapKind::Bottom: return HeapKind::Bottom;
    default: return HeapKind::None;
    }
}

bool TypeContext::is_type_subtype(u32 sub, u32 super) const
{
    // Declared supertypes have smaller indices and canonical ids never exceed
    // the index, so this walk strictly descends.
    u32 current = sub;
    for (;;) {
        if (current == super)
            return true;
        u32 parent = m_module.types[current].supertype;
        if (parent == kNoIndex)
            return false;
        current = m_module.canonical[parent];
    }
}

bool TypeContext::heap_is_subtype(ValType sub, ValType super) const
{
    if (sub.heap == HeapKind::Bottom)
        return true;
    if (sub.heap == HeapKind::Index && super.heap == HeapKind::Index)
        return is_type_subtype(sub.index, super.index);
    if (sub.heap == super.heap && sub.heap != HeapKind::Index)
        return true;
    if (super.heap == HeapKind::Index)
        return sub.heap == bottom_heap(super);
    if (sub.heap == HeapKind::Index) {
        CompositeKind kind = m_module.types[sub.index].kind;
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

bool TypeContext::is_subtype(ValType sub, ValType super) const
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
        return sub.heap == HeapKind::Bottom || sub.heap == bottom_heap(super);
    }
    return heap_is_subtype(sub, super);
}

namespace {

bool field_matches(const TypeContext& context, FieldType sub, FieldType super)
{
    if (sub.is_mutable != super.is_mutable)
        return false;
    ValType a = context.canon(sub.type);
    ValType b = context.canon(super.type);
    if (sub.is_mutable)
        return a == b;
    return context.is_subtype(a, b);
}

} // namespace

bool TypeContext::composite_matches(u32 sub, u32 super) const
{
    const SubType& a = m_module.types[sub];
    const SubType& b = m_module.types[super];
    if (a.kind != b.kind)
        return false;
    switch (a.kind) {
    case CompositeKind::Func: {
        auto a_params = m_module.func_params(sub);
        auto b_params = m_module.func_params(super);
        auto a_results = m_module.func_results(sub);
        auto b_results = m_module.func_results(super);
        if (a_params.size() != b_params.size() || a_results.size() != b_results.size())
            return false;
        for (usize i = 0; i < a_params.size(); ++i) {
            if (!is_subtype(canon(b_params[i]), canon(a_params[i])))
                return false;
        }
        for (usize i = 0; i < a_results.size(); ++i) {
            if (!is_subtype(canon(a_results[i]), canon(b_results[i])))
                return false;
        }
        return true;
    }
    case CompositeKind::Struct:
    case CompositeKind::Array: {
        auto a_fields = m_module.struct_fields(sub);
        auto b_fields = m_module.struct_fields(super);
        if (a_fields.size() < b_fields.size())
            return false;
        for (usize i = 0; i < b_fields.size(); ++i) {
            if (!field_matches(*this, a_fields[i], b_fields[i]))
                return false;
        }
        return true;
    }
    }
    return false;
}

// ---- canonicalisation ----

Result<void> canonicalize_rec_group(Module& module, u32 group_index, RecGroupTable& table, Vector<u64>& tokens)
{
    const RecGroup& group = module.rec_groups[group_index];
    TRY(encode_rec_group(module, group.first_type, group.size, module.canonical.span(), tokens));
    u32 first = group.first_type;
    if (auto existing = table.find(tokens))
        first = *existing;
    else
        TRY(table.remember(first, tokens));
    for (u32 i = 0; i < group.size; ++i)
        module.canonical[group.first_type + i] = first + i;
    return {};
}

} // namespace wk::engine
