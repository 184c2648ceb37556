#pragma once

// Rec-group canonicalisation (iso-recursive type equivalence), the one implementation the
// validator (type indices within a module, Module::canonical) and the runtime's
// TypeRegistry (store-level type ids across modules) share.

#include <optional>

#include "base/hash_map.h"
#include "base/result.h"
#include "base/span.h"
#include "base/vector.h"
#include "engine/module.h"

namespace wk::engine {

// The structural key of a rec group: one token string in which a reference to a type of
// the group is its position in the group and a reference outside it is the id that type
// already has (`outer_ids[index]`), so two groups are equivalent exactly when their keys
// are equal. Type indices must be in range (validated).
Result<void> encode_rec_group(const Module& module, u32 first, u32 size, Span<const u32> outer_ids,
                              Vector<u64>& tokens);
// The key of a group of one final function type without supertype whose value types
// already refer to ids (a host function's type).
Result<void> encode_function_group(Span<const ValType> params, Span<const ValType> results, Vector<u64>& tokens);

// Groups seen so far by their keys: find() gives the id of the first type of an equal
// group, remember() records a new group under the id of its first type.
class RecGroupTable {
public:
    std::optional<u32> find(Span<const u64> tokens) const;
    Result<void> remember(u32 first_id, Span<const u64> tokens);

private:
    struct Group {
        u32 first_id { 0 };
        u32 first_token { 0 };
        u32 token_count { 0 };
        u32 next_with_hash { kNoIndex };
    };
    static u64 hash(Span<const u64> tokens);

    Vector<Group> m_groups;
    Vector<u64> m_tokens;
    HashMap<u64, u32> m_group_by_hash; // hash → most recent group with it
};

} // namespace wk::engine
