#include "engine/runtime/type_registry.h"

namespace wk::engine::runtime {

namespace {

constexpr u64 kInternalBit = u64 { 1 } << 32;
constexpr u64 kNoReference = ~u64 { 0 };

u64 type_head(ValType type)
{
    return static_cast<u64>(type.kind) | (static_cast<u64>(type.nullable) << 8) | (static_cast<u64>(type.exact) << 9)
        | (static_cast<u64>(type.heap) << 10);
}

u64 mix(u64 hash, u64 value)
{
    hash ^= value + 0x9E3779B97F4A7C15ull + (hash << 6) + (hash >> 2);
    return hash * 0xBF58476D1CE4E5B9ull;
}

u64 hash_tokens(Span<const u64> tokens)
{
    u64 hash = tokens.size();
    for (u64 token : tokens)
        hash = mix(hash, token);
    return hash;
}

// Encodes a module's rec group: references inside it relative, outside by store id.
struct ModuleGroupEncoder {
    const Module& module;
    const Vector<u32>& type_ids;
    u32 first;
    u32 size;

    u64 reference(u32 index) const
    {
        if (index == kNoIndex)
            return kNoReference;
        if (index >= first && index - first < size)
            return kInternalBit | (index - first);
        return type_ids[index];
    }

    Result<void> encode(Vector<u64>& tokens) const
    {
        TRY(tokens.try_append(size));
        for (u32 i = 0; i < size; ++i) {
            const SubType& type = module.types[first + i];
            TRY(tokens.try_append(static_cast<u64>(type.kind) | (static_cast<u64>(type.is_final) << 8)));
            TRY(tokens.try_append(reference(type.supertype_count ? type.supertype : kNoIndex)));
            TRY(tokens.try_append(reference(type.describes)));
            TRY(tokens.try_append(reference(type.descriptor)));
            if (type.kind == CompositeKind::Func) {
                TRY(tokens.try_append(type.param_count | (static_cast<u64>(type.result_count) << 32)));
                for (u32 k = 0; k < type.param_count + type.result_count; ++k) {
                    ValType value = module.value_types[type.first + k];
                    TRY(tokens.try_append(type_head(value)));
                    TRY(tokens.try_append(value.has_index() ? reference(value.index) : 0));
                }
            } else {
                TRY(tokens.try_append(type.field_count));
                for (u32 k = 0; k < type.field_count; ++k) {
                    const FieldType& field = module.fields[type.first + k];
                    TRY(tokens.try_append(type_head(field.type) | (static_cast<u64>(field.is_mutable) << 32)));
                    TRY(tokens.try_append(field.type.has_index() ? reference(field.type.index) : 0));
                }
            }
        }
        return {};
    }
};

} // namespace

Span<const ValType> TypeRegistry::params(u32 id) const
{
    const StoreType& type = m_types[id];
    return Span<const ValType>(m_value_types.data() + type.first, type.param_count);
}

Span<const ValType> TypeRegistry::results(u32 id) const
{
    const StoreType& type = m_types[id];
    return Span<const ValType>(m_value_types.data() + type.first + type.param_count, type.result_count);
}

Span<const FieldType> TypeRegistry::fields(u32 id) const
{
    const StoreType& type = m_types[id];
    return Span<const FieldType>(m_fields.data() + type.first, type.field_count);
}

std::optional<u32> TypeRegistry::find_group(Span<const u64> tokens, u64 hash) const
{
    const u32* head = m_group_by_hash.get(hash);
    for (u32 index = head ? *head : kNoIndex; index != kNoIndex; index = m_groups[index].next_with_hash) {
        const Group& group = m_groups[index];
        if (group.token_count != tokens.size())
            continue;
        if (__builtin_memcmp(m_tokens.data() + group.first_token, tokens.data(), tokens.size() * sizeof(u64)) == 0)
            return group.first_type;
    }
    return std::nullopt;
}

Result<void> TypeRegistry::remember_group(u32 first_type, u32 size, Span<const u64> tokens, u64 hash)
{
    Group group;
    group.first_type = first_type;
    group.size = size;
    group.first_token = static_cast<u32>(m_tokens.size());
    group.token_count = static_cast<u32>(tokens.size());
    const u32* head = m_group_by_hash.get(hash);
    group.next_with_hash = head ? *head : kNoIndex;
    TRY(m_tokens.try_extend(tokens));
    TRY(m_groups.try_append(group));
    TRY(m_group_by_hash.try_set(hash, static_cast<u32>(m_groups.size() - 1)));
    return {};
}

Result<void> TypeRegistry::register_module(const Module& module, Vector<u32>& type_ids)
{
    TRY(type_ids.try_resize(module.types.size(), kNoIndex));
    Vector<u64> tokens;
    for (const RecGroup& group : module.rec_groups) {
        ModuleGroupEncoder encoder { module, type_ids, group.first_type, group.size };
        tokens.clear();
        TRY(encoder.encode(tokens));
        u64 hash = hash_tokens(tokens);
        if (auto existing = find_group(tokens, hash)) {
            for (u32 i = 0; i < group.size; ++i)
                type_ids[group.first_type + i] = *existing + i;
            continue;
        }
        if (m_types.size() + group.size >= kNoIndex)
            return Error::from("too many types in the store", ErrorKind::OutOfMemory);
        u32 first_id = static_cast<u32>(m_types.size());
        for (u32 i = 0; i < group.size; ++i)
            type_ids[group.first_type + i] = first_id + i;
        auto to_id = [&](u32 index) -> u32 { return index == kNoIndex ? kNoIndex : type_ids[index]; };
        for (u32 i = 0; i < group.size; ++i) {
            const SubType& source = module.types[group.first_type + i];
            StoreType type;
            type.kind = source.kind;
            type.is_final = source.is_final;
            type.supertype = source.supertype_count ? to_id(source.supertype) : kNoIndex;
            type.describes = to_id(source.describes);
            type.descriptor = to_id(source.descriptor);
            type.param_count = source.param_count;
            type.result_count = source.result_count;
            type.field_count = source.field_count;
            if (source.kind == CompositeKind::Func) {
                type.first = static_cast<u32>(m_value_types.size());
                for (u32 k = 0; k < source.param_count + source.result_count; ++k)
                    TRY(m_value_types.try_append(to_store(module.value_types[source.first + k], type_ids)));
            } else {
                type.first = static_cast<u32>(m_fields.size());
                for (u32 k = 0; k < source.field_count; ++k) {
                    FieldType field = module.fields[source.first + k];
                    field.type = to_store(field.type, type_ids);
                    TRY(m_fields.try_append(field));
                }
            }
            TRY(add_ancestors(type, first_id + i));
            TRY(m_types.try_append(type));
        }
        TRY(remember_group(first_id, group.size, tokens, hash));
    }
    return {};
}

Result<u32> TypeRegistry::intern_function(Span<const ValType> params, Span<const ValType> results)
{
    Vector<u64> tokens;
    TRY(tokens.try_append(1));
    TRY(tokens.try_append(static_cast<u64>(CompositeKind::Func) | (u64 { 1 } << 8)));
    TRY(tokens.try_append(kNoReference));
    TRY(tokens.try_append(kNoReference));
    TRY(tokens.try_append(kNoReference));
    TRY(tokens.try_append(params.size() | (static_cast<u64>(results.size()) << 32)));
    for (Span<const ValType> list : { params, results }) {
        for (ValType value : list) {
            if (value.has_index() && value.index >= m_types.size())
                return Error::from("unknown type id in a host function type", ErrorKind::OutOfRange);
            TRY(tokens.try_append(type_head(value)));
            TRY(tokens.try_append(value.has_index() ? value.index : 0));
        }
    }
    u64 hash = hash_tokens(tokens);
    if (auto existing = find_group(tokens, hash))
        return *existing;
    StoreType type;
    type.kind = CompositeKind::Func;
    type.first = static_cast<u32>(m_value_types.size());
    type.param_count = static_cast<u32>(params.size());
    type.result_count = static_cast<u32>(results.size());
    for (Span<const ValType> list : { params, results }) {
        for (ValType value : list)
            TRY(m_value_types.try_append(value));
    }
    u32 id = static_cast<u32>(m_types.size());
    TRY(add_ancestors(type, id));
    TRY(m_types.try_append(type));
    TRY(remember_group(id, 1, tokens, hash));
    return id;
}

Result<void> TypeRegistry::add_ancestors(StoreType& type, u32 id)
{
    type.first_ancestor = static_cast<u32>(m_ancestors.size());
    if (type.supertype != kNoIndex) {
        if (type.supertype >= id)
            return Error::from("a supertype must precede its subtype", ErrorKind::Invalid);
        // Supertypes are registered before their subtypes (validation orders them).
        const StoreType& super = m_types[type.supertype];
        type.depth = super.depth + 1;
        for (u32 i = 0; i <= super.depth; ++i)
            TRY(m_ancestors.try_append(m_ancestors[super.first_ancestor + i]));
    }
    TRY(m_ancestors.try_append(id));
    return {};
}

HeapKind TypeRegistry::top_heap(ValType type) const
{
    switch (type.heap) {
    case HeapKind::Func:
    case HeapKind::NoFunc: return HeapKind::Func;
    case HeapKind::Extern:
    case HeapKind::NoExtern: return HeapKind::Extern;
    case HeapKind::Exn:
    case HeapKind::NoExn: return HeapKind::Exn;
    case HeapKind::Index: return m_types[type.index].kind == CompositeKind::Func ? HeapKind::Func : HeapKind::Any;
    case HeapKind::Bottom: return HeapKind::Bottom;
    default: return HeapKind::Any;
    }
}

HeapKind TypeRegistry::bottom_heap(ValType type) const
{
    switch (top_heap(type)) {
    case HeapKind::Func: return HeapKind::NoFunc;
    case HeapKind::Extern: return HeapKind::NoExtern;
    case HeapKind::Exn: return HeapKind::NoExn;
    case HeapKind::Bottom: return HeapKind::Bottom;
    default: return HeapKind::None;
    }
}

bool TypeRegistry::heap_is_subtype(ValType sub, ValType super) const
{
    if (sub.heap == HeapKind::Bottom)
        return true;
    if (sub.heap == HeapKind::Index && super.heap == HeapKind::Index)
        return is_type_subtype(sub.index, super.index);
    if (sub.heap == super.heap)
        return true;
    if (super.heap == HeapKind::Index)
        return sub.heap == bottom_heap(super);
    if (sub.heap == HeapKind::Index) {
        CompositeKind kind = m_types[sub.index].kind;
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

bool TypeRegistry::is_subtype(ValType sub, ValType super) const
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
        if (sub.heap == HeapKind::Index)
            return sub.exact && sub.index == super.index;
        return sub.heap == HeapKind::Bottom || sub.heap == bottom_heap(super);
    }
    return heap_is_subtype(sub, super);
}

} // namespace wk::engine::runtime
