#include "engine/valid/rec_group.h"

namespace wk::engine {

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

struct GroupEncoder {
    const Module& module;
    Span<const u32> outer_ids;
    u32 first;
    u32 size;

    u64 reference(u32 index) const
    {
        if (index == kNoIndex)
            return kNoReference;
        if (index >= first && index - first < size)
            return kInternalBit | (index - first);
        return outer_ids[index];
    }

    Result<void> value(ValType type, u64 extra, Vector<u64>& tokens) const
    {
        TRY(tokens.try_append(type_head(type) | extra));
        TRY(tokens.try_append(type.has_index() ? reference(type.index) : 0));
        return {};
    }
};

} // namespace

Result<void> encode_rec_group(const Module& module, u32 first, u32 size, Span<const u32> outer_ids,
                              Vector<u64>& tokens)
{
    GroupEncoder encoder { module, outer_ids, first, size };
    tokens.clear();
    TRY(tokens.try_append(size));
    for (u32 i = 0; i < size; ++i) {
        const SubType& type = module.types[first + i];
        TRY(tokens.try_append(static_cast<u64>(type.kind) | (static_cast<u64>(type.is_final) << 8)));
        TRY(tokens.try_append(encoder.reference(type.supertype_count ? type.supertype : kNoIndex)));
        TRY(tokens.try_append(encoder.reference(type.describes)));
        TRY(tokens.try_append(encoder.reference(type.descriptor)));
        if (type.kind == CompositeKind::Func) {
            TRY(tokens.try_append(type.param_count | (static_cast<u64>(type.result_count) << 32)));
            for (u32 k = 0; k < type.param_count + type.result_count; ++k)
                TRY(encoder.value(module.value_types[type.first + k], 0, tokens));
        } else {
            TRY(tokens.try_append(type.field_count));
            for (u32 k = 0; k < type.field_count; ++k) {
                const FieldType& field = module.fields[type.first + k];
                TRY(encoder.value(field.type, static_cast<u64>(field.is_mutable) << 32, tokens));
            }
        }
    }
    return {};
}

Result<void> encode_function_group(Span<const ValType> params, Span<const ValType> results, Vector<u64>& tokens)
{
    tokens.clear();
    TRY(tokens.try_append(1));
    TRY(tokens.try_append(static_cast<u64>(CompositeKind::Func) | (u64 { 1 } << 8)));
    TRY(tokens.try_append(kNoReference));
    TRY(tokens.try_append(kNoReference));
    TRY(tokens.try_append(kNoReference));
    TRY(tokens.try_append(params.size() | (static_cast<u64>(results.size()) << 32)));
    for (Span<const ValType> list : { params, results }) {
        for (ValType value : list) {
            TRY(tokens.try_append(type_head(value)));
            TRY(tokens.try_append(value.has_index() ? value.index : 0));
        }
    }
    return {};
}

u64 RecGroupTable::hash(Span<const u64> tokens)
{
    u64 hash = tokens.size();
    for (u64 token : tokens)
        hash = mix(hash, token);
    return hash;
}

std::optional<u32> RecGroupTable::find(Span<const u64> tokens) const
{
    const u32* head = m_group_by_hash.get(hash(tokens));
    for (u32 index = head ? *head : kNoIndex; index != kNoIndex; index = m_groups[index].next_with_hash) {
        const Group& group = m_groups[index];
        if (group.token_count != tokens.size())
            continue;
        if (__builtin_memcmp(m_tokens.data() + group.first_token, tokens.data(), tokens.size() * sizeof(u64)) == 0)
            return group.first_id;
    }
    return std::nullopt;
}

Result<void> RecGroupTable::remember(u32 first_id, Span<const u64> tokens)
{
    u64 key = hash(tokens);
    Group group;
    group.first_id = first_id;
    group.first_token = static_cast<u32>(m_tokens.size());
    group.token_count = static_cast<u32>(tokens.size());
    const u32* head = m_group_by_hash.get(key);
    group.next_with_hash = head ? *head : kNoIndex;
    TRY(m_tokens.try_extend(tokens));
    TRY(m_groups.try_append(group));
    TRY(m_group_by_hash.try_set(key, static_cast<u32>(m_groups.size() - 1)));
    return {};
}

} // namespace wk::engine
