#include "kernel/proc/module_cache.h"

#include "kernel/arch/x86_64/cpu.h"

namespace wk::kernel::proc {

using x86_64::InterruptDisabler;
using engine::compile::CompiledModule;

std::optional<CompiledModule> ModuleCache::find(StringView path, const ModuleIdentity& identity)
{
    InterruptDisabler guard;
    for (auto& entry : m_entries) {
        if (entry.used && entry.identity == identity && entry.path.view() == path) {
            entry.last_use = ++m_clock;
            ++m_hits;
            return entry.module;
        }
    }
    ++m_misses;
    return std::nullopt;
}

void ModuleCache::insert(StringView path, const ModuleIdentity& identity, const CompiledModule& module)
{
    auto copied = String::try_create(path);
    if (!copied)
        return; // not cached: only the next spawn gets slower
    Entry evicted;
    {
        InterruptDisabler guard;
        Entry* victim = &m_entries[0];
        for (auto& entry : m_entries) {
            if (entry.used && entry.path.view() == path) {
                victim = &entry; // an older version of the same file
                break;
            }
            if (!entry.used) {
                victim = &entry;
                break;
            }
            if (entry.last_use < victim->last_use)
                victim = &entry;
        }
        evicted = std::move(*victim);
        victim->path = std::move(*copied);
        victim->identity = identity;
        victim->module = module;
        victim->last_use = ++m_clock;
        victim->used = true;
    }
    // `evicted` (and the code it may hold last) goes here, with interrupts on.
}

void ModuleCache::clear()
{
    for (auto& slot : m_entries) {
        Entry evicted;
        {
            InterruptDisabler guard;
            evicted = std::move(slot);
            slot.used = false;
        }
    }
}

usize ModuleCache::entries() const
{
    usize count = 0;
    for (auto& entry : m_entries)
        count += entry.used ? 1 : 0;
    return count;
}

namespace {
ModuleCache g_module_cache;
}

ModuleCache& module_cache() { return g_module_cache; }

} // namespace wk::kernel::proc
