#pragma once

#include <optional>
#include <string_view>

#include "base/result.h"
#include "base/vector.h"

namespace wk::engine::text {

// Maps (scope, name) to an index: one table serves an index space, or the field
// names of every struct type (scope = type index). Names are views the caller
// keeps alive. Open addressing; O(1) expected.
class NameTable {
public:
    // Fails with `duplicate` (at `offset`) if the name is already bound in the scope.
    Result<void> insert(u32 scope, std::string_view name, u32 index, char const* duplicate, u32 offset);
    // Binds or rebinds the name.
    Result<void> set(u32 scope, std::string_view name, u32 index);
    std::optional<u32> find(u32 scope, std::string_view name) const;
    void clear();
    usize size() const { return m_count; }
    // Calls f(scope, name, index) for every binding, in no particular order.
    template<typename F>
    void for_each(F f) const
    {
        for (Slot const& slot : m_slots) {
            if (slot.used)
                f(slot.scope, slot.name, slot.index);
        }
    }

private:
    struct Slot {
        std::string_view name;
        u32 scope { 0 };
        u32 index { 0 };
        bool used { false };
    };

    static u64 hash(u32 scope, std::string_view name);
    Result<void> grow();

    Vector<Slot> m_slots;
    usize m_count { 0 };
};

} // namespace wk::engine::text
