#include "engine/compile/value_stack.h"

namespace wk::engine::compile {

void ValueStack::reset(RegSet gprs, RegSet fprs)
{
    m_height = 0;
    m_max_height = 0;
    m_spilled_below = 0;
    m_allocatable[0] = gprs;
    m_allocatable[1] = fprs;
    m_free[0] = gprs;
    m_free[1] = fprs;
    for (auto& holders : m_holder) {
        for (u32& holder : holders)
            holder = kNone;
    }
}

Result<void> ValueStack::append(StackEntry entry)
{
    if (m_height == m_entries.size())
        TRY(m_entries.try_resize(m_height < 16 ? 32 : m_height * 2));
    m_entries.data()[m_height++] = entry;
    return {};
}

Result<void> ValueStack::push_register(ValKind kind, u8 reg)
{
    RegClass cls = reg_class(kind);
    TRY(append(StackEntry { kind, Location::Register, reg, 0 }));
    m_free[index(cls)].remove(reg);
    m_holder[index(cls)][reg] = height() - 1;
    if (height() > m_max_height)
        m_max_height = height();
    return {};
}

Result<void> ValueStack::push_constant(ValKind kind, u64 bits)
{
    TRY(append(StackEntry { kind, Location::Constant, 0, bits }));
    if (height() > m_max_height)
        m_max_height = height();
    return {};
}

Result<void> ValueStack::push_local(ValKind kind, u32 local_index)
{
    TRY(append(StackEntry { kind, Location::Local, 0, local_index }));
    if (height() > m_max_height)
        m_max_height = height();
    return {};
}

Result<void> ValueStack::push_stack(ValKind kind)
{
    TRY(append(StackEntry { kind, Location::Stack, 0, 0 }));
    if (height() > m_max_height)
        m_max_height = height();
    return {};
}

StackEntry ValueStack::pop()
{
    StackEntry entry = m_entries.data()[--m_height];
    if (m_spilled_below > m_height)
        m_spilled_below = m_height;
    if (entry.location == Location::Register)
        m_holder[index(reg_class(entry.kind))][entry.reg] = kNone;
    return entry;
}

void ValueStack::truncate(u32 new_height)
{
    while (height() > new_height) {
        StackEntry entry = pop();
        if (entry.location == Location::Register)
            release(reg_class(entry.kind), entry.reg);
    }
}

u32 ValueStack::spill_victim(RegClass cls) const
{
    u32 best = kNone;
    for (u32 holder : m_holder[index(cls)]) {
        if (holder < best)
            best = holder;
    }
    return best;
}

void ValueStack::mark_spilled(u32 i)
{
    StackEntry& entry = m_entries.data()[i];
    if (entry.location == Location::Register) {
        RegClass cls = reg_class(entry.kind);
        m_holder[index(cls)][entry.reg] = kNone;
        release(cls, entry.reg);
    }
    entry.location = Location::Stack;
}

void ValueStack::move_entry(u32 i, u8 reg)
{
    StackEntry& entry = m_entries.data()[i];
    RegClass cls = reg_class(entry.kind);
    m_holder[index(cls)][entry.reg] = kNone;
    release(cls, entry.reg);
    entry.reg = reg;
    m_free[index(cls)].remove(reg);
    m_holder[index(cls)][reg] = i;
}

void ValueStack::mark_in_register(u32 i, u8 reg)
{
    StackEntry& entry = m_entries.data()[i];
    RegClass cls = reg_class(entry.kind);
    entry.location = Location::Register;
    entry.reg = reg;
    m_free[index(cls)].remove(reg);
    m_holder[index(cls)][reg] = i;
}

} // namespace wk::engine::compile
