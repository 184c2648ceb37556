#pragma once

// The baseline compiler's abstract operand stack (architecture independent).
//
// Each entry records where its value is right now: in a register, as a lazy constant
// (materialised only when an instruction needs it in a register), or in its home slot
// in the frame. Every stack position i has a fixed home slot, so spilling never has to
// search for space, and at control-flow merges every entry is in its home slot (the
// merge convention: a label is reached with the whole stack spilled).
//
// Registers are numbered 0..31 per class; the architecture decides which are
// allocatable. A register is in exactly one state: free, held by one stack entry, or
// owned by the instruction being compiled (popped into it, not yet pushed back).
// The spill victim is always the deepest entry holding a register of the wanted class,
// so the generated code depends only on the input.

#include <optional>

#include "base/result.h"
#include "base/vector.h"
#include "engine/types.h"

namespace wk::engine::compile {

enum class RegClass : u8 { Gpr, Fpr };

constexpr RegClass reg_class(ValKind kind)
{
    return (kind == ValKind::F32 || kind == ValKind::F64 || kind == ValKind::V128) ? RegClass::Fpr : RegClass::Gpr;
}

class RegSet {
public:
    constexpr RegSet() = default;
    constexpr explicit RegSet(u32 bits)
        : m_bits(bits)
    {
    }
    constexpr bool contains(u8 reg) const { return (m_bits >> reg) & 1; }
    constexpr void add(u8 reg) { m_bits |= u32 { 1 } << reg; }
    constexpr void remove(u8 reg) { m_bits &= ~(u32 { 1 } << reg); }
    constexpr bool is_empty() const { return m_bits == 0; }
    constexpr u32 bits() const { return m_bits; }
    // The lowest-numbered register, for deterministic choices.
    constexpr u8 first() const { return static_cast<u8>(__builtin_ctz(m_bits)); }
    constexpr RegSet operator&(RegSet other) const { return RegSet(m_bits & other.m_bits); }
    constexpr RegSet operator-(RegSet other) const { return RegSet(m_bits & ~other.m_bits); }

private:
    u32 m_bits { 0 };
};

// Local: the value of local `bits` as it is now (a lazy local.get); a local.set of that
// local first copies such entries to their home slots.
enum class Location : u8 { Register, Constant, Stack, Local };

struct StackEntry {
    ValKind kind { ValKind::I32 };
    Location location { Location::Stack };
    u8 reg { 0 };
    u64 bits { 0 }; // Constant: the value (i32 zero-extended, float bit patterns)
};

class ValueStack {
public:
    static constexpr u32 kNone = ~u32 { 0 };

    // Starts a function: empty stack, the given allocatable registers free.
    void reset(RegSet gprs, RegSet fprs);

    u32 height() const { return m_height; }
    u32 max_height() const { return m_max_height; }
    StackEntry& at(u32 i) { return m_entries.data()[i]; }
    const StackEntry& at(u32 i) const { return m_entries.data()[i]; }
    // depth 0 is the top.
    StackEntry& peek(u32 depth = 0) { return m_entries.data()[m_height - 1 - depth]; }

    Result<void> push_register(ValKind kind, u8 reg);
    Result<void> push_constant(ValKind kind, u64 bits);
    Result<void> push_stack(ValKind kind);
    Result<void> push_local(ValKind kind, u32 local_index);
    // Removes the top entry. A register it held becomes owned by the caller, who must
    // release() it or push it back.
    StackEntry pop();
    // Drops entries down to `height`, releasing their registers.
    void truncate(u32 height);

    // Entries below this index are known to be in their slots (spill_all starts here,
    // so that many blocks over a deep stack stay linear).
    u32 spilled_below() const { return m_spilled_below < m_height ? m_spilled_below : m_height; }
    void set_spilled_below(u32 index) { m_spilled_below = index; }

    // Register bookkeeping.
    RegSet free_set(RegClass cls) const { return m_free[index(cls)]; }
    bool is_free(RegClass cls, u8 reg) const { return m_free[index(cls)].contains(reg); }
    void take(RegClass cls, u8 reg) { m_free[index(cls)].remove(reg); }
    void release(RegClass cls, u8 reg)
    {
        if (m_allocatable[index(cls)].contains(reg))
            m_free[index(cls)].add(reg);
    }
    bool is_allocatable(RegClass cls, u8 reg) const { return m_allocatable[index(cls)].contains(reg); }
    // The stack entry holding `reg`, or kNone.
    u32 holder(RegClass cls, u8 reg) const { return m_holder[index(cls)][reg]; }
    // The deepest entry holding a register of `cls`, or kNone.
    u32 spill_victim(RegClass cls) const;
    // Marks entry `i` as living in its slot (the caller emitted the store) and frees
    // its register.
    void mark_spilled(u32 i);
    // Entry i moves from its register to `reg` (the caller emitted the move).
    void move_entry(u32 i, u8 reg);
    // Entry i now lives in `reg` (was a constant or in its slot; the caller loaded it).
    void mark_in_register(u32 i, u8 reg);

private:
    static constexpr u32 index(RegClass cls) { return cls == RegClass::Gpr ? 0 : 1; }

    Result<void> append(StackEntry entry);

    Vector<StackEntry> m_entries; // storage; m_height entries are live
    u32 m_height { 0 };
    u32 m_spilled_below { 0 };
    u32 m_max_height { 0 };
    RegSet m_allocatable[2];
    RegSet m_free[2];
    u32 m_holder[2][32];
};

// The hot path, inline.
inline Result<void> ValueStack::append(StackEntry entry)
{
    if (m_height == m_entries.size())
        TRY(m_entries.try_resize(m_height < 16 ? 32 : m_height * 2));
    m_entries.data()[m_height++] = entry;
    return {};
}

inline Result<void> ValueStack::push_register(ValKind kind, u8 reg)
{
    RegClass cls = reg_class(kind);
    TRY(append(StackEntry { kind, Location::Register, reg, 0 }));
    m_free[index(cls)].remove(reg);
    m_holder[index(cls)][reg] = height() - 1;
    if (height() > m_max_height)
        m_max_height = height();
    return {};
}

inline Result<void> ValueStack::push_constant(ValKind kind, u64 bits)
{
    TRY(append(StackEntry { kind, Location::Constant, 0, bits }));
    if (height() > m_max_height)
        m_max_height = height();
    return {};
}

inline Result<void> ValueStack::push_local(ValKind kind, u32 local_index)
{
    TRY(append(StackEntry { kind, Location::Local, 0, local_index }));
    if (height() > m_max_height)
        m_max_height = height();
    return {};
}

inline Result<void> ValueStack::push_stack(ValKind kind)
{
    TRY(append(StackEntry { kind, Location::Stack, 0, 0 }));
    if (height() > m_max_height)
        m_max_height = height();
    return {};
}

inline StackEntry ValueStack::pop()
{
    StackEntry entry = m_entries.data()[--m_height];
    if (m_spilled_below > m_height)
        m_spilled_below = m_height;
    if (entry.location == Location::Register)
        m_holder[index(reg_class(entry.kind))][entry.reg] = kNone;
    return entry;
}

} // namespace wk::engine::compile
