#pragma once

#include "base/result.h"
#include "engine/module.h"
#include "engine/valid/rec_group.h"

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

    bool is_subtype(ValType sub, ValType super) const;
    bool heap_is_subtype(ValType sub, ValType super) const;
    bool is_type_subtype(u32 sub, u32 super) const; // canonical ids

    // The top and bottom abstract heap types of a reference type's hierarchy.
    HeapKind top_heap(ValType type) const;
    HeapKind bottom_heap(ValType type) const;

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
