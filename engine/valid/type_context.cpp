#include "engine/valid/type_context.h"

namespace wk::engine {

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
