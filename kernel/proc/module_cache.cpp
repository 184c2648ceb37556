#include "kernel/proc/module_cache.h"

#include "kernel/arch/x86_64/cpu.h"

namespace wk::kernel::proc {

using x86_64::InterruptDisabler;
using engine::compile::CompiledModule;

u64 cost_of(const CompiledModule& module)
{
    u64 cost = 0;
    if (module.module)
        cost += module.module->byte_size();
    // NOTE: a tiered module's tier space counts whole from the start (it fills as functions
    // tier up, after the entry's cost was taken): what the entry may come to hold.
    if (module.code)
        cost += module.code->size() + module.code->tier_space_bytes();
    return cost;
}

std::optional<CompiledModule> ModuleCache::find(StringView path, const ModuleIdentity& identity)
{
    collect();
    InterruptDisabler guard;
    for (auto& entry : m_entries) {
        if (entry.used && !entry.stale && entry.identity == identity && entry.path.view() == path) {
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
    collect();
    u64 cost = cost_of(module);
    if (cost > kMaxEntryBytes)
        return; // not cached: each spawn compiles it again
    auto copied = String::try_create(path);
    if (!copied)
        return; // not cached: only the next spawn gets slower
    // What leaves the table is freed after it, with interrupts on.
    Entry evicted[kCapacity];
    usize evicted_count = 0;
    {
        InterruptDisabler guard;
        auto evict = [&](Entry& entry) {
            m_bytes -= entry.cost;
            evicted[evicted_count++] = std::move(entry);
            entry.used = false;
            entry.stale = false;
        };
        for (auto& entry : m_entries) {
            if (entry.used && entry.path.view() == path)
                evict(entry); // an older version of the same file
        }
        for (;;) {
            Entry* free_slot = nullptr;
            Entry* oldest = nullptr;
            for (auto& entry : m_entries) {
                if (!entry.used)
                    free_slot = free_slot ? free_slot : &entry;
                else if (!oldest || entry.last_use < oldest->last_use)
                    oldest = &entry;
            }
            if (free_slot && m_bytes + cost <= kMaxBytes) {
                free_slot->path = std::move(*copied);
                free_slot->identity = identity;
                free_slot->module = module;
                free_slot->cost = cost;
                free_slot->last_use = ++m_clock;
                free_slot->used = true;
                free_slot->stale = false;
                m_bytes += cost;
                break;
            }
            // NOTE: cost <= kMaxEntryBytes <= kMaxBytes, so evicting ends with room.
            evict(*oldest);
        }
    }
    for (usize i = 0; i < evicted_count; ++i)
        evicted[i] = {};
}

void ModuleCache::forget_inode(u64 inode)
{
    InterruptDisabler guard;
    for (auto& entry : m_entries) {
        if (entry.used && entry.identity.inode == inode)
            entry.stale = true;
    }
}

void ModuleCache::collect()
{
    for (auto& slot : m_entries) {
        Entry evicted;
        {
            InterruptDisabler guard;
            if (!slot.used || !slot.stale)
                continue;
            m_bytes -= slot.cost;
            evicted = std::move(slot);
            slot.used = false;
            slot.stale = false;
        }
    }
}

void ModuleCache::clear()
{
    for (auto& slot : m_entries) {
        Entry evicted;
        {
            InterruptDisabler guard;
            if (!slot.used)
                continue;
            m_bytes -= slot.cost;
            evicted = std::move(slot);
            slot.used = false;
            slot.stale = false;
        }
    }
}

usize ModuleCache::entries() const
{
    usize count = 0;
    for (auto& entry : m_entries)
        count += entry.used && !entry.stale ? 1 : 0;
    return count;
}

namespace {
ModuleCache g_module_cache;
}

ModuleCache& module_cache() { return g_module_cache; }

} // namespace wk::kernel::proc
