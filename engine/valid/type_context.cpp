#include "engine/valid/type_context.h"

#include <bit>

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

namespace {

struct GroupView {
    const Module& module;
    u32 first;
    u32 size;

    // A reference inside the group is relative; outside it is the canonical id.
    u64 encode_index(u32 index) const
    {
        if (index == kNoIndex)
            return ~u64 { 0 };
        if (index >= first && index - first < size)
            return (u64 { 1 } << 32) | (index - first);
        return module.canonical[index];
    }

    u64 encode_type(ValType type) const
    {
        u64 head = static_cast<u64>(type.kind) | (static_cast<u64>(type.nullable) << 8)
            | (static_cast<u64>(type.exact) << 9) | (static_cast<u64>(type.heap) << 10);
        if (type.has_index())
            return head ^ (encode_index(type.index) * 0x9E3779B97F4A7C15ull) ^ (u64 { 1 } << 20);
        return head;
    }
};

u64 mix(u64 hash, u64 value)
{
    hash ^= value + 0x9E3779B97F4A7C15ull + (hash << 6) + (hash >> 2);
    return hash * 0xBF58476D1CE4E5B9ull;
}

u64 hash_group(const GroupView& view)
{
    const Module& module = view.module;
    u64 hash = view.size;
    for (u32 i = 0; i < view.size; ++i) {
        const SubType& type = module.types[view.first + i];
        hash = mix(hash, static_cast<u64>(type.kind) | (static_cast<u64>(type.is_final) << 8)
                             | (static_cast<u64>(type.supertype_count) << 16));
        hash = mix(hash, view.encode_index(type.supertype));
        hash = mix(hash, view.encode_index(type.describes));
        hash = mix(hash, view.encode_index(type.descriptor));
        hash = mix(hash, type.param_count | (static_cast<u64>(type.result_count) << 32));
        hash = mix(hash, type.field_count);
        if (type.kind == CompositeKind::Func) {
            for (u32 k = 0; k < type.param_count + type.result_count; ++k)
                hash = mix(hash, view.encode_type(module.value_types[type.first + k]));
        } else {
            for (u32 k = 0; k < type.field_count; ++k) {
                const FieldType& field = module.fields[type.first + k];
                hash = mix(hash, view.encode_type(field.type) ^ field.is_mutable);
            }
        }
    }
    return hash;
}

bool types_equal(const GroupView& a, ValType s, const GroupView& b, ValType t)
{
    if (s.kind != t.kind || s.nullable != t.nullable || s.exact != t.exact || s.heap != t.heap)
        return false;
    return !s.has_index() || a.encode_index(s.index) == b.encode_index(t.index);
}

bool groups_equal(const GroupView& a, const GroupView& b)
{
    if (a.size != b.size)
        return false;
    const Module& module = a.module;
    for (u32 i = 0; i < a.size; ++i) {
        const SubType& x = module.types[a.first + i];
        const SubType& y = module.types[b.first + i];
        if (x.kind != y.kind || x.is_final != y.is_final || x.supertype_count != y.supertype_count
            || x.param_count != y.param_count || x.result_count != y.result_count || x.field_count != y.field_count)
            return false;
        if (a.encode_index(x.supertype) != b.encode_index(y.supertype)
            || a.encode_index(x.describes) != b.encode_index(y.describes)
            || a.encode_index(x.descriptor) != b.encode_index(y.descriptor))
            return false;
        if (x.kind == CompositeKind::Func) {
            for (u32 k = 0; k < x.param_count + x.result_count; ++k) {
                ValType s = module.value_types[x.first + k];
                ValType t = module.value_types[y.first + k];
                if (!types_equal(a, s, b, t))
                    return false;
            }
        } else {
            for (u32 k = 0; k < x.field_count; ++k) {
                const FieldType& s = module.fields[x.first + k];
                const FieldType& t = module.fields[y.first + k];
                if (s.is_mutable != t.is_mutable || !types_equal(a, s.type, b, t.type))
                    return false;
            }
        }
    }
    return true;
}

} // namespace

Result<void> init_canonical_table(CanonicalTable& table, usize group_count)
{
    usize buckets = std::bit_ceil(group_count * 2 + 2);
    TRY(table.bucket_heads.try_resize(buckets, kNoIndex));
    TRY(table.next_in_bucket.try_resize(group_count, kNoIndex));
    TRY(table.group_hashes.try_resize(group_count, 0));
    return {};
}

Result<void> canonicalize_rec_group(Module& module, u32 group_index, CanonicalTable& table)
{
    const RecGroup& group = module.rec_groups[group_index];
    GroupView view { module, group.first_type, group.size };
    u64 hash = hash_group(view);
    table.group_hashes[group_index] = hash;
    usize bucket = hash & (table.bucket_heads.size() - 1);
    for (u32 candidate = table.bucket_heads[bucket]; candidate != kNoIndex; candidate = table.next_in_bucket[candidate]) {
        if (table.group_hashes[candidate] != hash)
            continue;
        const RecGroup& other = module.rec_groups[candidate];
        if (groups_equal(view, GroupView { module, other.first_type, other.size })) {
            for (u32 i = 0; i < group.size; ++i)
                module.canonical[group.first_type + i] = other.first_type + i;
            return {};
        }
    }
    for (u32 i = 0; i < group.size; ++i)
        module.canonical[group.first_type + i] = group.first_type + i;
    table.next_in_bucket[group_index] = table.bucket_heads[bucket];
    table.bucket_heads[bucket] = group_index;
    return {};
}

} // namespace wk::engine
