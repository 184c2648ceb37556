#include "engine/x64/assembler.h"

#include "base/checked.h"

namespace wk::engine::x64 {

namespace {

constexpr bool fits_i8(i64 value) { return value >= -128 && value <= 127; }

constexpr u8 modrm(u8 mod, u8 reg, u8 rm) { return static_cast<u8>(mod << 6 | (reg & 7) << 3 | (rm & 7)); }

// VEX.pp: the mandatory prefix folded into the VEX prefix.
constexpr u8 vex_pp(u8 prefix)
{
    switch (prefix) {
    case 0x66:
        return 1;
    case 0xF3:
        return 2;
    case 0xF2:
        return 3;
    default:
        return 0;
    }
}

} // namespace

Assembler::Assembler(Allocator* allocator)
    : m_code(allocator)
    , m_fixups(allocator)
    , m_relocations(allocator)
{
}

Result<void> Assembler::status() const
{
    if (m_error)
        return *m_error;
    return {};
}

Result<Vector<u8>> Assembler::finish()
{
    TRY(check_finished());
    TRY(m_code.try_resize(m_length));
    m_length = 0;
    return std::move(m_code);
}

Result<void> Assembler::check_finished() const
{
    TRY(status());
    if (m_unresolved_fixups != 0)
        return Error::from("x64 assembler: a label with uses was never bound", ErrorKind::Invalid);
    return {};
}

void Assembler::reset()
{
    m_length = 0;
    m_fixups.clear();
    m_unresolved_fixups = 0;
    m_relocations.clear();
    m_error.reset();
    m_lock_pending = false;
    m_flags_end = ~0u;
}

void Assembler::fail(Error error)
{
    if (!m_error)
        m_error = error;
}

bool Assembler::grow()
{
    if (m_error)
        return false;
    usize capacity = m_code.size() < 256 ? 256 : m_code.size() * 2;
    if (capacity > 0xFFFF'FFFFu) {
        fail(Error::from("x64 assembler: code exceeds 4 GiB", ErrorKind::OutOfRange));
        return false;
    }
    if (m_code.try_resize(capacity).is_error()) {
        fail(Error::out_of_memory());
        return false;
    }
    return true;
}

void Assembler::patch_u8(u32 offset, u8 value)
{
    if (m_error)
        return;
    WK_ASSERT(offset < m_length);
    m_code[offset] = value;
}

void Assembler::patch_u32(u32 offset, u32 value)
{
    if (m_error)
        return;
    WK_ASSERT(offset <= m_length && m_length - offset >= 4);
    for (u32 i = 0; i < 4; ++i)
        m_code[offset + i] = static_cast<u8>(value >> (8 * i));
}

void Assembler::patch_u64(u32 offset, u64 value)
{
    if (m_error)
        return;
    WK_ASSERT(offset <= m_length && m_length - offset >= 8);
    for (u32 i = 0; i < 8; ++i)
        m_code[offset + i] = static_cast<u8>(value >> (8 * i));
}

void Assembler::emit_u8(u8 value) { put(value); }
void Assembler::emit_u32(u32 value) { put32(value); }
void Assembler::emit_u64(u64 value) { put64(value); }

void Assembler::emit_label_delta(Label& label, u32 base)
{
    u32 field = m_length;
    put32(0);
    use_label(label, FixupKind::Delta32, field, base);
}

void Assembler::align(u32 alignment)
{
    WK_ASSERT(is_power_of_two(alignment) && alignment <= 4096);
    u32 padding = (alignment - (m_length & (alignment - 1))) & (alignment - 1);
    nop(padding);
}

u8 Assembler::size_flags(Size size)
{
    switch (size) {
    case Size::Byte:
        return kByteReg | kByteRm;
    case Size::Word:
        return kOperandSize;
    case Size::Dword:
        return 0;
    case Size::Qword:
        return kRexW;
    }
    WK_UNREACHABLE();
}

u8 Assembler::imm_flags(u8 flags, u8 imm)
{
    // NOTE: a compare with a symmetric predicate (eq, unord, neq, ord) may swap its
    // sources like a commutative operation; llvm-mc does so to reach the 2-byte VEX.
    if (flags & kSymmetricPredicate) {
        u8 predicate = imm & 7;
        if (predicate == 0 || predicate == 3 || predicate == 4 || predicate == 7)
            return flags | kCommutative;
    }
    return flags;
}

void Assembler::legacy_prefix(Op op, u8 flags, u8 reg, u8 index, u8 base)
{
    note_instruction_start();
    if (flags & kOperandSize)
        put(0x66);
    if (m_lock_pending) {
        put(0xF0);
        m_lock_pending = false;
    }
    if (op.prefix)
        put(op.prefix);
    u8 rex = static_cast<u8>((flags & kRexW ? 8 : 0) | (reg & 8) >> 1 | (index & 8) >> 2 | (base & 8) >> 3);
    // spl, bpl, sil and dil exist only with a REX prefix (without one, 4..7 are ah..bh).
    bool byte_needs_rex = ((flags & kByteReg) && (reg & 0xC) == 4) || ((flags & kByteRm) && (base & 0xC) == 4);
    if (rex || byte_needs_rex)
        put(0x40 | rex);
    switch (op.map) {
    case 1:
        put(0x0F);
        break;
    case 2:
        put(0x0F);
        put(0x38);
        break;
    case 3:
        put(0x0F);
        put(0x3A);
        break;
    default:
        break;
    }
    put(op.code);
}

void Assembler::legacy_rr(Op op, u8 flags, u8 reg, u8 rm)
{
    legacy_prefix(op, flags, reg, 0, rm);
    put(modrm(3, reg, rm));
}

void Assembler::legacy_rm(Op op, u8 flags, u8 reg, Mem const& mem, u8 trailing)
{
    u8 index = mem.has_index() ? number(mem.index()) : 0;
    u8 base = mem.kind() == Mem::Kind::Base ? number(mem.base()) : 0;
    legacy_prefix(op, flags & ~kByteRm, reg, index, base);
    modrm_mem(reg, mem, trailing);
}

// The opcode+register forms (push, pop, bswap, mov imm, xchg rax): the register
// is in the low opcode bits, extended by REX.B.
void Assembler::legacy_opreg(Op op, u8 flags, u8 reg)
{
    op.code = static_cast<u8>(op.code + (reg & 7));
    legacy_prefix(op, flags & ~kByteReg, 0, 0, reg);
}

void Assembler::modrm_mem(u8 reg, Mem const& mem, u8 trailing)
{
    switch (mem.kind()) {
    case Mem::Kind::Rip:
    case Mem::Kind::RipLabel:
    case Mem::Kind::RipRelocation: {
        put(modrm(0, reg, 5));
        u32 field = m_length;
        // A relocated field starts at zero; its displacement goes into the addend.
        put32(mem.kind() == Mem::Kind::RipRelocation ? 0 : static_cast<u32>(mem.disp()));
        if (mem.kind() == Mem::Kind::RipLabel)
            use_label(*mem.label(), FixupKind::Rel32, field, field + 4 + trailing);
        else if (mem.kind() == Mem::Kind::RipRelocation)
            record_relocation(field, RelocationKind::PcRel32, mem.target(), i64 { mem.disp() } - 4 - trailing);
        return;
    }
    case Mem::Kind::NoBase:
        // SIB with base 101 and mod 00: [index * scale + disp32] (index 100: none).
        put(modrm(0, reg, 4));
        put(static_cast<u8>(static_cast<u8>(mem.scale()) << 6 | (mem.has_index() ? number(mem.index()) & 7 : 4) << 3 | 5));
        put32(static_cast<u32>(mem.disp()));
        return;
    case Mem::Kind::Base:
        break;
    }
    u8 base = number(mem.base()) & 7;
    i32 disp = mem.disp();
    // rbp/r13 as base with mod 00 would mean rip/disp32: they take a zero disp8.
    u8 mod = (disp == 0 && base != 5) ? 0 : fits_i8(disp) ? 1 : 2;
    // rsp/r12 as ModRM.rm means "SIB follows".
    if (mem.has_index() || base == 4) {
        put(modrm(mod, reg, 4));
        put(static_cast<u8>(static_cast<u8>(mem.scale()) << 6 | (mem.has_index() ? number(mem.index()) & 7 : 4) << 3 | base));
    } else {
        put(modrm(mod, reg, base));
    }
    if (mod == 1)
        put(static_cast<u8>(disp));
    else if (mod == 2)
        put32(static_cast<u32>(disp));
}

void Assembler::vex_prefix(Op op, bool w, bool l, u8 reg, u8 vvvv, u8 index, u8 base)
{
    note_instruction_start();
    u8 tail = static_cast<u8>((~vvvv & 15) << 3 | (l ? 4 : 0) | vex_pp(op.prefix));
    u8 r = (reg & 8) ? 0 : 0x80;
    if (op.map == 1 && !w && !(index & 8) && !(base & 8)) {
        put(0xC5);
        put(r | tail);
    } else {
        put(0xC4);
        put(static_cast<u8>(r | ((index & 8) ? 0 : 0x40) | ((base & 8) ? 0 : 0x20) | op.map));
        put(static_cast<u8>((w ? 0x80 : 0) | tail));
    }
    put(op.code);
}

void Assembler::vex_rr(Op op, bool w, bool l, u8 reg, u8 vvvv, u8 rm)
{
    vex_prefix(op, w, l, reg, vvvv, 0, rm);
    put(modrm(3, reg, rm));
}

void Assembler::vex_rm(Op op, bool w, bool l, u8 reg, u8 vvvv, Mem const& mem, u8 trailing)
{
    u8 index = mem.has_index() ? number(mem.index()) : 0;
    u8 base = mem.kind() == Mem::Kind::Base ? number(mem.base()) : 0;
    vex_prefix(op, w, l, reg, vvvv, index, base);
    modrm_mem(reg, mem, trailing);
}

void Assembler::vex_rrr(Op op, u8 flags, bool l, u8 dst, u8 a, u8 b)
{
    // NOTE: the 2-byte VEX prefix cannot extend ModRM.rm; a commutative operation whose
    // second source needs the extension swaps its sources instead.
    if ((flags & kCommutative) && op.map == 1 && a < 8 && b >= 8) {
        u8 t = a;
        a = b;
        b = t;
    }
    vex_rr(op, false, l, dst, a, b);
}

void Assembler::vex_move(Op load, u8 store_opcode, bool l, u8 dst, u8 src)
{
    // As in vex_rrr: the store form puts the source in ModRM.reg, which the 2-byte VEX
    // prefix can extend.
    if (src >= 8 && dst < 8)
        vex_rr({ load.prefix, load.map, store_opcode }, false, l, src, 0, dst);
    else
        vex_rr(load, false, l, dst, 0, src);
}

void Assembler::sse_gpr_rr(Op op, u8 reg, u8 rm, Size size)
{
    legacy_rr(op, size == Size::Qword ? kRexW : 0, reg, rm);
}

void Assembler::sse_gpr_rm(Op op, u8 reg, Mem const& mem, Size size)
{
    legacy_rm(op, size == Size::Qword ? kRexW : 0, reg, mem, 0);
}

void Assembler::record_relocation(u32 field, RelocationKind kind, u32 target, i64 addend)
{
    if (m_error)
        return;
    if (m_relocations.try_append({ field, kind, target, addend }).is_error())
        fail(Error::out_of_memory());
}

void Assembler::use_label(Label& label, FixupKind kind, u32 field, u32 base)
{
    if (m_error)
        return;
    Fixup fixup { field, label.m_last_use, base, kind };
    if (label.is_bound()) {
        resolve(fixup, label.m_position);
        return;
    }
    auto index = checked_cast<u32>(m_fixups.size());
    if (!index || *index == Label::kNone || m_fixups.try_append(fixup).is_error()) {
        fail(Error::out_of_memory());
        return;
    }
    label.m_last_use = *index;
    ++m_unresolved_fixups;
}

void Assembler::resolve(Fixup const& fixup, u32 position)
{
    i64 value = i64 { position } - i64 { fixup.base };
    switch (fixup.kind) {
    case FixupKind::Rel8:
        if (!fits_i8(value)) {
            fail(Error::from("x64 assembler: short jump target out of range", ErrorKind::OutOfRange, fixup.field));
            return;
        }
        patch_u8(fixup.field, static_cast<u8>(value));
        return;
    case FixupKind::Rel32: {
        // The field holds an addend (Mem::rip(label, addend)); jumps leave it zero.
        u32 addend = 0;
        for (u32 i = 0; i < 4; ++i)
            addend |= u32 { m_code[fixup.field + i] } << (8 * i);
        patch_u32(fixup.field, static_cast<u32>(value) + addend);
        return;
    }
    case FixupKind::Delta32:
        patch_u32(fixup.field, static_cast<u32>(value));
        return;
    }
}

void Assembler::bind(Label& label)
{
    WK_ASSERT(!label.is_bound());
    label.m_position = m_length;
    m_flags_end = ~0u;
    if (m_error)
        return;
    for (u32 use = label.m_last_use; use != Label::kNone;) {
        Fixup fixup = m_fixups[use];
        resolve(fixup, m_length);
        --m_unresolved_fixups;
        use = fixup.next;
    }
    label.m_last_use = Label::kNone;
    // Every recorded fixup is resolved: reuse the storage.
    if (m_unresolved_fixups == 0)
        m_fixups.clear();
}

void Assembler::jump_to(Label& label, u8 short_opcode, Op near_op, bool allow_short, bool allow_near)
{
    if (label.is_bound() && allow_short && fits_i8(i64 { label.m_position } - (i64 { m_length } + 2)))
        allow_near = false;
    if (!allow_near) {
        note_instruction_start();
        put(short_opcode);
        u32 field = m_length;
        put(0);
        use_label(label, FixupKind::Rel8, field, field + 1);
        return;
    }
    legacy_prefix(near_op, 0, 0, 0, 0);
    u32 field = m_length;
    put32(0);
    use_label(label, FixupKind::Rel32, field, field + 4);
}

void Assembler::jmp(Label& label) { jump_to(label, 0xEB, { 0, 0, 0xE9 }, true, true); }
void Assembler::jmp_short(Label& label) { jump_to(label, 0xEB, { 0, 0, 0xE9 }, true, false); }
void Assembler::jmp_near(Label& label) { jump_to(label, 0xEB, { 0, 0, 0xE9 }, false, true); }

void Assembler::jcc(Condition condition, Label& label)
{
    u8 cc = static_cast<u8>(condition);
    jump_to(label, static_cast<u8>(0x70 | cc), { 0, 1, static_cast<u8>(0x80 | cc) }, true, true);
}

void Assembler::jcc_short(Condition condition, Label& label)
{
    u8 cc = static_cast<u8>(condition);
    jump_to(label, static_cast<u8>(0x70 | cc), { 0, 1, static_cast<u8>(0x80 | cc) }, true, false);
}

void Assembler::jcc_near(Condition condition, Label& label)
{
    u8 cc = static_cast<u8>(condition);
    jump_to(label, static_cast<u8>(0x70 | cc), { 0, 1, static_cast<u8>(0x80 | cc) }, false, true);
}

void Assembler::call(Label& label) { jump_to(label, 0, { 0, 0, 0xE8 }, false, true); }

void Assembler::call_relocated(u32 target, i64 addend)
{
    note_instruction_start();
    put(0xE8);
    record_relocation(m_length, RelocationKind::PcRel32, target, addend - 4);
    put32(0);
}

void Assembler::jmp_relocated(u32 target, i64 addend)
{
    note_instruction_start();
    put(0xE9);
    record_relocation(m_length, RelocationKind::PcRel32, target, addend - 4);
    put32(0);
}

void Assembler::movabs_relocated(Gpr dst, u32 target, i64 addend)
{
    legacy_opreg({ 0, 0, 0xB8 }, kRexW, number(dst));
    record_relocation(m_length, RelocationKind::Abs64, target, addend);
    put64(0);
}

} // namespace wk::engine::x64
