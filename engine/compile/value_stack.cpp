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
