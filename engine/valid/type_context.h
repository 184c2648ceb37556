#pragma once

#include "base/result.h"
#include "engine/module.h"
#include "engine/valid/rec_group.h"
#include "engine/valid/subtyping.h"

namespace wk::engine {

// Type equivalence and subtyping over a module whose types are canonicalised
// (Module::canonical). Types passed in must already be canonical: their type
// indices replaced by canonical ids (see canon()), so that equivalent types
// compare equal with ==.
class TypeContext {
public:
    explicit TypeContext(const Module& module)
        : m_module(module)
    {
    }

    const Module& module() const { return m_module; }

    ValType canon(ValType type) const
    {
        if (type.has_index())
            type.index = m_module.canonical[type.index];
        return type;
    }

    // The order of engine/valid/subtyping.h over canonical types.
    bool is_subtype(ValType sub, ValType super) const { return subtyping::is_subtype(*this, sub, super); }
    bool heap_is_subtype(ValType sub, ValType super) const { return subtyping::heap_is_subtype(*this, sub, super); }
    HeapKind top_heap(ValType type) const { return subtyping::top_heap(*this, type); }
    HeapKind bottom_heap(ValType type) const { return subtyping::bottom_heap(*this, type); }
    bool is_type_subtype(u32 sub, u32 super) const; // canonical ids
    CompositeKind kind_of(u32 index) const { return m_module.types[index].kind; }

    // Structural match of the definitions of canonical types sub and super
    // (ignoring finality and declared supertypes).
    bool composite_matches(u32 sub, u32 super) const;

private:
    const Module& m_module;
};

// Assigns Module::canonical for one rec group (engine/valid/rec_group.h): the types of
// an equivalent earlier group give their ids, else the group's own indices. `table`
// holds the module's earlier groups; `tokens` is scratch. Type indices in the section
// must already be checked to be in range.
Result<void> canonicalize_rec_group(Module& module, u32 group_index, RecGroupTable& table, Vector<u64>& tokens);

} // namespace wk::engine
