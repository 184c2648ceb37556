#include "engine/text/name_table.h"

namespace wk::engine::text {

u64 NameTable::hash(u32 scope, std::string_view name)
{
    u64 h = 0xcbf29ce484222325ull ^ scope;
    for (char c : name) {
        h ^= static_cast<u8>(c);
        h *= 0x100000001b3ull;
    }
    return h ^ (h >> 29);
}

Result<void> NameTable::grow()
{
    usize capacity = m_slots.size() < 16 ? 16 : m_slots.size() * 2;
    Vector<Slot> slots;
    TRY(slots.try_resize(capacity));
    for (Slot const& slot : m_slots) {
        if (!slot.used)
            continue;
        usize i = hash(slot.scope, slot.name) & (capacity - 1);
        while (slots[i].used)
            i = (i + 1) & (capacity - 1);
        slots[i] = slot;
    }
    m_slots = std::move(slots);
    return {};
}

Result<void> NameTable::insert(u32 scope, std::string_view name, u32 index, char const* duplicate, u32 offset)
{
    if ((m_count + 1) * 2 > m_slots.size())
        TRY(grow());
    usize mask = m_slots.size() - 1;
    usize i = hash(scope, name) & mask;
    while (m_slots[i].used) {
        if (m_slots[i].scope == scope && m_slots[i].name == name)
            return Error::malformed(duplicate, offset);
        i = (i + 1) & mask;
    }
    m_slots[i] = Slot { name, scope, index, true };
    ++m_count;
    return {};
}

Result<void> NameTable::set(u32 scope, std::string_view name, u32 index)
{
    if ((m_count + 1) * 2 > m_slots.size())
        TRY(grow());
    usize mask = m_slots.size() - 1;
    usize i = hash(scope, name) & mask;
    while (m_slots[i].used) {
        if (m_slots[i].scope == scope && m_slots[i].name == name) {
            m_slots[i].index = index;
            return {};
        }
        i = (i + 1) & mask;
    }
    m_slots[i] = Slot { name, scope, index, true };
    ++m_count;
    return {};
}

std::optional<u32> NameTable::find(u32 scope, std::string_view name) const
{
    if (m_count == 0)
        return std::nullopt;
    usize mask = m_slots.size() - 1;
    usize i = hash(scope, name) & mask;
    while (m_slots[i].used) {
        if (m_slots[i].scope == scope && m_slots[i].name == name)
            return m_slots[i].index;
        i = (i + 1) & mask;
    }
    return std::nullopt;
}

void NameTable::clear()
{
    if (m_count == 0)
        return;
    // Zeroing costs the capacity; release a sparse table instead, so that clearing
    // after each function stays proportional to what that function inserted.
    if (m_slots.size() > 64 && m_count * 8 < m_slots.size()) {
        m_slots.clear_and_release();
        m_count = 0;
        return;
    }
    for (Slot& slot : m_slots)
        slot = Slot {};
    m_count = 0;
}

} // namespace wk::engine::text
