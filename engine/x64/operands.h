#pragma once

#include "base/assert.h"
#include "base/types.h"
#include "engine/x64/registers.h"

namespace wk::engine::x64 {

class Label;

enum class Scale : u8 {
    One = 0,
    Two = 1,
    Four = 2,
    Eight = 3,
};

// A memory operand: [base + index * scale + displacement], [index * scale + disp32],
// [disp32], or RIP-relative (a raw displacement, a Label, or a relocation target).
// rsp cannot be an index (its SIB encoding means "no index").
class Mem {
public:
    enum class Kind : u8 {
        Base,          // base (+ index * scale) + disp
        NoBase,        // (index * scale) + disp32, or an absolute disp32
        Rip,           // rip + disp, disp relative to the end of the instruction
        RipLabel,      // rip-relative to a Label, resolved when it is bound
        RipRelocation, // rip-relative to a relocation target, patched by the linker
    };

    explicit constexpr Mem(Gpr base, i32 disp = 0)
        : m_kind(Kind::Base)
        , m_base(base)
        , m_disp(disp)
    {
    }
    constexpr Mem(Gpr base, Gpr index, Scale scale, i32 disp = 0)
        : m_kind(Kind::Base)
        , m_base(base)
        , m_index(index)
        , m_has_index(true)
        , m_scale(scale)
        , m_disp(disp)
    {
        WK_ASSERT(index != Gpr::rsp);
    }

    static constexpr Mem index_only(Gpr index, Scale scale, i32 disp = 0)
    {
        WK_ASSERT(index != Gpr::rsp);
        Mem mem(Kind::NoBase, disp);
        mem.m_index = index;
        mem.m_has_index = true;
        mem.m_scale = scale;
        return mem;
    }
    static constexpr Mem absolute(i32 address) { return Mem(Kind::NoBase, address); }
    static constexpr Mem rip(i32 disp) { return Mem(Kind::Rip, disp); }
    // The label must outlive the instruction's fixup (until it is bound).
    static constexpr Mem rip(Label& label, i32 addend = 0)
    {
        Mem mem(Kind::RipLabel, addend);
        mem.m_label = &label;
        return mem;
    }
    // A Relocation with this target and kind PcRel32 is recorded at the displacement.
    static constexpr Mem rip_relocated(u32 target, i32 addend = 0)
    {
        Mem mem(Kind::RipRelocation, addend);
        mem.m_target = target;
        return mem;
    }

    constexpr Kind kind() const { return m_kind; }
    constexpr Gpr base() const { return m_base; }
    constexpr Gpr index() const { return m_index; }
    constexpr bool has_index() const { return m_has_index; }
    constexpr Scale scale() const { return m_scale; }
    constexpr i32 disp() const { return m_disp; }
    // The same operand `delta` bytes further on.
    constexpr Mem plus(i32 delta) const
    {
        Mem mem = *this;
        mem.m_disp += delta;
        return mem;
    }
    constexpr Label* label() const { return m_label; }
    constexpr u32 target() const { return m_target; }
    constexpr bool is_rip_relative() const { return m_kind >= Kind::Rip; }

private:
    constexpr Mem(Kind kind, i32 disp)
        : m_kind(kind)
        , m_disp(disp)
    {
    }

    Kind m_kind;
    Gpr m_base { Gpr::rax };
    Gpr m_index { Gpr::rax };
    bool m_has_index { false };
    Scale m_scale { Scale::One };
    i32 m_disp { 0 };
    Label* m_label { nullptr };
    u32 m_target { 0 };
};

// A position in the code. Unbound labels collect their uses (fixups kept by the
// Assembler) and patch them in bind(). A label belongs to one Assembler.
class Label {
public:
    constexpr Label() = default;
    Label(const Label&) = delete;
    Label& operator=(const Label&) = delete;

    bool is_bound() const { return m_position != kNone; }
    // Only for a bound label.
    u32 position() const
    {
        WK_ASSERT(is_bound());
        return m_position;
    }

private:
    friend class Assembler;
    static constexpr u32 kNone = ~u32 { 0 };

    u32 m_position { kNone };
    u32 m_last_use { kNone };
};

enum class RelocationKind : u8 {
    // A 32-bit field the linker sets to target + addend - (address of the field):
    // rel32 of call/jmp and RIP-relative displacements (ELF R_X86_64_PC32 semantics).
    PcRel32,
    // A 64-bit field the linker sets to target + addend (movabs of an address).
    Abs64,
};

// A field the linker patches. `target` is opaque to the assembler: the compiler
// decides what it names (a function index, a builtin, a constant).
struct Relocation {
    u32 offset;
    RelocationKind kind;
    u32 target;
    i64 addend;
};

} // namespace wk::engine::x64
