#pragma once

#include "base/result.h"
#include "base/span.h"
#include "base/vector.h"
#include "engine/module.h"
#include "engine/valid/rec_group.h"
#include "engine/valid/subtyping.h"

namespace wk::engine::runtime {

// A defined type in the store. Type references (supertype, value types with an index)
// are store-level canonical ids.
struct StoreType {
    CompositeKind kind { CompositeKind::Func };
    bool is_final { true };
    u32 supertype { kNoIndex };
    u32 describes { kNoIndex };
    u32 descriptor { kNoIndex };
    u32 first { 0 };        // into the registry's value-type pool (Func) or field pool
    u32 param_count { 0 };
    u32 result_count { 0 };
    u32 field_count { 0 };
    // The supertype chain for O(1) subtype tests: depth = its length (0 without a
    // supertype); the registry's ancestor pool holds depth + 1 ids from first_ancestor,
    // the root first and this type last.
    u32 depth { 0 };
    u32 first_ancestor { 0 };
};

// The store's canonical types, for type ids that compare across modules: rec groups
// are interned by their iso-recursive shape (engine/valid/rec_group.h, the validator's
// canonicalisation too: references inside the group relative, references outside it by
// store id), so structurally equal groups from any two modules get the same ids. Ids are dense and never reused while the store lives.
class TypeRegistry {
public:
    TypeRegistry() = default;
    TypeRegistry(const TypeRegistry&) = delete;
    TypeRegistry& operator=(const TypeRegistry&) = delete;

    // Interns every rec group of a validated module; type_ids[i] becomes the id of type i.
    Result<void> register_module(const Module& module, Vector<u32>& type_ids);

    // A final function type without supertype in a rec group of its own. Value types
    // with an index refer to store ids.
    Result<u32> intern_function(Span<const ValType> params, Span<const ValType> results);

    usize size() const { return m_types.size(); }
    const StoreType& type(u32 id) const { return m_types[id]; }
    Span<const ValType> params(u32 id) const;
    Span<const ValType> results(u32 id) const;
    Span<const FieldType> fields(u32 id) const;

    // Declared subtyping of defined types (reflexive), O(1) through the ancestor pool.
    bool is_type_subtype(u32 sub, u32 super) const
    {
        const StoreType& a = m_types[sub];
        u32 depth = m_types[super].depth;
        return depth <= a.depth && m_ancestors[a.first_ancestor + depth] == super;
    }
    CompositeKind kind_of(u32 id) const { return m_types[id].kind; }
    // The order of engine/valid/subtyping.h over store-level value types.
    bool is_subtype(ValType sub, ValType super) const { return subtyping::is_subtype(*this, sub, super); }
    bool heap_is_subtype(ValType sub, ValType super) const { return subtyping::heap_is_subtype(*this, sub, super); }
    HeapKind top_heap(ValType type) const { return subtyping::top_heap(*this, type); }
    HeapKind bottom_heap(ValType type) const { return subtyping::bottom_heap(*this, type); }

    // Rewrites a module-level type (index = module type index) to the store level.
    static ValType to_store(ValType type, Span<const u32> type_ids)
    {
        if (type.has_index())
            type.index = type_ids[type.index];
        return type;
    }

private:
    // Fills `type`'s depth and ancestors; its supertype must be registered.
    Result<void> add_ancestors(StoreType& type, u32 id);

    Vector<StoreType> m_types;
    Vector<ValType> m_value_types;
    Vector<FieldType> m_fields;
    Vector<u32> m_ancestors;
    RecGroupTable m_groups; // the interned rec groups, keyed by store ids
};

} // namespace wk::engine::runtime
