#pragma once

#include <optional>

#include "base/string.h"
#include "base/string_view.h"
#include "engine/compile/invoke.h"

namespace wk::kernel::proc {

// What identifies the contents of a file without reading it: the inode and its size and
// times. A write changes the modify time, a new file at the same path has another inode
// (or, if the number is reused, another change time: times are nanoseconds since boot).
struct ModuleIdentity {
    u64 inode { 0 };
    u64 size { 0 };
    u64 modify_time { 0 };
    u64 change_time { 0 };
    bool operator==(const ModuleIdentity&) const = default;
};

// Compiled modules by path and identity, so that spawning a program again skips decoding,
// validation and compilation. A compiled module is immutable and instantiable any number of
// times in any store; an entry only keeps a reference (processes keep their own).
// Least recently used entries leave first. Table operations run with interrupts off; a
// module is dropped (which frees its code) with them on.
class ModuleCache {
public:
    static constexpr usize kCapacity = 16;

    std::optional<engine::compile::CompiledModule> find(StringView path, const ModuleIdentity&);
    void insert(StringView path, const ModuleIdentity&, const engine::compile::CompiledModule&);
    void clear();

    usize entries() const;
    u64 hits() const { return m_hits; }
    u64 misses() const { return m_misses; }

private:
    struct Entry {
        String path;
        ModuleIdentity identity;
        engine::compile::CompiledModule module;
        u64 last_use { 0 };
        bool used { false };
    };

    Entry m_entries[kCapacity];
    u64 m_clock { 0 };
    u64 m_hits { 0 };
    u64 m_misses { 0 };
};

ModuleCache& module_cache();

} // namespace wk::kernel::proc
