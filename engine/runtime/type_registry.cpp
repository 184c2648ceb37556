#include "engine/runtime/type_registry.h"

namespace wk::engine::runtime {

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

Result<void> TypeRegistry::register_module(const Module& module, Vector<u32>& type_ids)
{
    TRY(type_ids.try_resize(module.types.size(), kNoIndex));
    Vector<u64> tokens;
    for (const RecGroup& group : module.rec_groups) {
        TRY(encode_rec_group(module, group.first_type, group.size, type_ids.span(), tokens));
        if (auto existing = m_groups.find(tokens)) {
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
        TRY(m_groups.remember(first_id, tokens));
    }
    return {};
}

Result<u32> TypeRegistry::intern_function(Span<const ValType> params, Span<const ValType> results)
{
    for (Span<const ValType> list : { params, results }) {
        for (ValType value : list) {
            if (value.has_index() && value.index >= m_types.size())
                return Error::from("unknown type id in a host function type", ErrorKind::OutOfRange);
        }
    }
    Vector<u64> tokens;
    TRY(encode_function_group(params, results, tokens));
    if (auto existing = m_groups.find(tokens))
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
    TRY(m_groups.remember(id, tokens));
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

} // namespace wk::engine::runtime
