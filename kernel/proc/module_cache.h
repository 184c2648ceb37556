#pragma once

#include <optional>

#include "base/string.h"
#include "base/string_view.h"
#include "engine/compile/compiled_module.h"
#include "kernel/arch/x86_64/cpu.h"

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
//
// Bounded by count and by bytes: an entry costs the module bytes it keeps plus its code
// (cost_of). A module costing more than kMaxEntryBytes is not cached; beyond kMaxBytes in
// all, least recently used entries leave first. An entry leaves as soon as its file changes
// (write, truncate, unlink, rename over it: forget_inode, called by the file system), so a
// deleted program pins nothing once its processes have exited.
//
// Table operations run with interrupts off; a module is dropped (which frees its code)
// with them on: forget_inode (called under the file-system lock) only marks the entry, and
// the next find/insert/clear/statistics call frees it.
class ModuleCache {
public:
    static constexpr usize kCapacity = 16;
    static constexpr u64 kMaxBytes = u64 { 24 } << 20;
    static constexpr u64 kMaxEntryBytes = u64 { 6 } << 20;

    std::optional<engine::compile::CompiledModule> find(StringView path, const ModuleIdentity&);
    void insert(StringView path, const ModuleIdentity&, const engine::compile::CompiledModule&);
    void forget_inode(u64 inode);
    void clear();

    // Frees the entries forget_inode marked.
    void collect();

    // Calls visit(const CompiledModule&) for each entry, with interrupts on and no lock
    // held: the modules are copied (referenced) first, so visit may take engine locks.
    template<typename Visit>
    void for_each_module(Visit visit);

    usize entries() const;
    u64 bytes() const { return m_bytes; }
    u64 hits() const { return m_hits; }
    u64 misses() const { return m_misses; }

private:
    struct Entry {
        String path;
        ModuleIdentity identity;
        engine::compile::CompiledModule module;
        u64 cost { 0 };
        u64 last_use { 0 };
        bool used { false };
        bool stale { false }; // its file changed; freed by collect()
    };

    Entry m_entries[kCapacity];
    u64 m_bytes { 0 }; // cost of the used entries, stale ones included until collected
    u64 m_clock { 0 };
    u64 m_hits { 0 };
    u64 m_misses { 0 };
};

template<typename Visit>
void ModuleCache::for_each_module(Visit visit)
{
    engine::compile::CompiledModule modules[kCapacity];
    usize count = 0;
    {
        x86_64::InterruptDisabler guard;
        for (auto& entry : m_entries) {
            if (entry.used && !entry.stale)
                modules[count++] = entry.module;
        }
    }
    for (usize i = 0; i < count; ++i)
        visit(modules[i]);
}

// What a compiled module keeps alive: its bytes (without custom sections, see spawn) and
// its code.
u64 cost_of(const engine::compile::CompiledModule&);

ModuleCache& module_cache();

} // namespace wk::kernel::proc
