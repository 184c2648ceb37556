#pragma once

#include "base/hash_map.h"
#include "base/string.h"
#include "engine/runtime/store.h"

namespace wk::engine::runtime {

class Instance;

// Resolves imports from definitions by (module, name): host objects defined one by one
// and instances registered under a module name (the spec's `register`). A later
// definition of the same pair replaces the earlier one.
class Linker final : public ImportResolver {
public:
    Result<void> define(StringView module, StringView name, Extern value);
    // Makes `module` name exactly `instance`'s exports (the spec's `register`): earlier
    // definitions under that module name are dropped first.
    Result<void> define_instance(StringView module, const Instance& instance);
    // Drops every definition under `module`.
    void remove_module(StringView module);

    std::optional<Extern> resolve(StringView module, StringView name) override;

    usize size() const { return m_definitions.size(); }

private:
    HashMap<String, Extern> m_definitions; // key: 4-byte module length, module, name
};

} // namespace wk::engine::runtime
