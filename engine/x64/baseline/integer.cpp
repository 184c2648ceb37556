// i32/i64 constants, comparisons and arithmetic with the spec's trap semantics.
// i32 values in registers are always zero-extended to 64 bits (every Dword operation
// does that), which memory addressing and the ABI rely on.

#include <type_traits>

#include "engine/x64/baseline/baseline_compiler.h"
#include "engine/x64/integer_lowering.h"

namespace wk::engine::x64::baseline {

namespace {

bool fits_i32(ValKind kind, u64 bits)
{
    if (kind == ValKind::I32)
        return true;
    return static_cast<i64>(bits) == static_cast<i32>(bits);
}

Condition compare_condition(Opcode op)
{
    switch (op) {
    case Opcode::I32Eq: case Opcode::I64Eq: return Condition::Equal;
    case Opcode::I32Ne: case Opcode::I64Ne: return Condition::NotEqual;
    case Opcode::I32LtS: case Opcode::I64LtS: return Condition::Less;
    case Opcode::I32LtU: case Opcode::I64LtU: return Condition::Below;
    case Opcode::I32GtS: case Opcode::I64GtS: return Condition::Greater;
    case Opcode::I32GtU: case Opcode::I64GtU: return Condition::Above;
    case Opcode::I32LeS: case Opcode::I64LeS: return Condition::LessOrEqual;
    case Opcode::I32LeU: case Opcode::I64LeU: return Condition::BelowOrEqual;
    case Opcode::I32GeS: case Opcode::I64GeS: return Condition::GreaterOrEqual;
    default: return Condition::AboveOrEqual;
    }
}

// The two-operand instruction of an add, sub, and, or, xor or mul opcode: `source` is a register,
// a memory operand or an immediate.
template<typename Source>
void emit_alu(Assembler& masm, Opcode op, Gpr dst, Source source, Size size)
{
    switch (op) {
    case Opcode::I32Add: case Opcode::I64Add: masm.add(dst, source, size); break;
    case Opcode::I32Sub: case Opcode::I64Sub: masm.sub(dst, source, size); break;
    case Opcode::I32And: case Opcode::I64And: masm.and_(dst, source, size); break;
    case Opcode::I32Or: case Opcode::I64Or: masm.or_(dst, source, size); break;
    case Opcode::I32Xor: case Opcode::I64Xor: masm.xor_(dst, source, size); break;
    default:
        if constexpr (std::is_same_v<Source, i32>)
            masm.imul(dst, dst, source, size);
        else
            masm.imul(dst, source, size);
        break;
    }
}

} // namespace

Result<void> BaselineCompiler::emit_integer(const Instruction& instruction)
{
    Opcode op = instruction.opcode;
    switch (op) {
    case Opcode::I32Const:
        return m_stack.push_constant(ValKind::I32, static_cast<u32>(instruction.bits));
    case Opcode::I64Const:
        return m_stack.push_constant(ValKind::I64, instruction.bits);
    case Opcode::I32Eqz:
    case Opcode::I64Eqz: {
        u8 reg = TRY(pop_reg(RegClass::Gpr));
        m_asm.test(gpr(reg), gpr(reg), op == Opcode::I64Eqz ? Size::Qword : Size::Dword);
        u32 setcc_offset = m_asm.offset();
        m_asm.setcc(Condition::Equal, gpr(reg));
        m_asm.movzx8(gpr(reg), gpr(reg), Size::Dword);
        TRY(push_reg(ValKind::I32, reg));
        note_condition(Condition::Equal, setcc_offset, reg);
        return {};
    }
    default:
        break;
    }

    ValKind kind = m_stack.peek().kind;
    if ((op >= Opcode::I32Eq && op <= Opcode::I32GeU) || (op >= Opcode::I64Eq && op <= Opcode::I64GeU))
        return emit_integer_compare(op, kind);

    switch (op) {
    case Opcode::I32Clz: case Opcode::I64Clz:
    case Opcode::I32Ctz: case Opcode::I64Ctz:
    case Opcode::I32Popcnt: case Opcode::I64Popcnt:
        return emit_bit_count(op, kind);
    case Opcode::I32Add: case Opcode::I64Add:
    case Opcode::I32Sub: case Opcode::I64Sub:
    case Opcode::I32And: case Opcode::I64And:
    case Opcode::I32Or: case Opcode::I64Or:
    case Opcode::I32Xor: case Opcode::I64Xor:
    case Opcode::I32Mul: case Opcode::I64Mul:
        return emit_integer_alu(op, kind);
    case Opcode::I32Shl: case Opcode::I64Shl:
    case Opcode::I32ShrS: case Opcode::I64ShrS:
    case Opcode::I32ShrU: case Opcode::I64ShrU:
    case Opcode::I32Rotl: case Opcode::I64Rotl:
    case Opcode::I32Rotr: case Opcode::I64Rotr:
        return emit_shift(op, kind);
    case Opcode::I32DivS: case Opcode::I64DivS:
    case Opcode::I32DivU: case Opcode::I64DivU:
    case Opcode::I32RemS: case Opcode::I64RemS:
    case Opcode::I32RemU: case Opcode::I64RemU:
        return emit_division(op, kind);
    case Opcode::I64Add128:
    case Opcode::I64Sub128:
    case Opcode::I64MulWideS:
    case Opcode::I64MulWideU:
        return emit_wide_arithmetic(op);
    default:
        return unsupported("integer instruction not implemented");
    }
}

Result<void> BaselineCompiler::emit_integer_compare(Opcode op, ValKind kind)
{
    Size size = kind == ValKind::I64 ? Size::Qword : Size::Dword;
    Condition condition = compare_condition(op);
    StackEntry rhs = m_stack.peek();
    StackEntry left = m_stack.peek(1);
    bool rhs_immediate = rhs.location == Location::Constant && fits_i32(kind, rhs.bits);
    u8 left_cached = left.location == Location::Local ? cached_register(static_cast<u32>(left.bits)) : kNotCached;
    if (left_cached != kNotCached && (rhs_immediate || rhs.location == Location::Local)) {
        // A cached local on the left is compared in place. The registers are read
        // before the result's allocation, which may evict them (no code) but not
        // change them before the compare.
        u8 right_cached = rhs.location == Location::Local ? cached_register(static_cast<u32>(rhs.bits)) : kNotCached;
        m_stack.pop();
        m_stack.pop();
        u8 result = TRY(allocate(RegClass::Gpr));
        if (rhs_immediate)
            m_asm.cmp(gpr(left_cached), static_cast<i32>(rhs.bits), size);
        else if (right_cached != kNotCached)
            m_asm.cmp(gpr(left_cached), gpr(right_cached), size);
        else
            m_asm.cmp(gpr(left_cached), local_slot(static_cast<u32>(rhs.bits)), size);
        u32 setcc_offset = m_asm.offset();
        m_asm.setcc(condition, gpr(result));
        m_asm.movzx8(gpr(result), gpr(result), Size::Dword);
        TRY(push_reg(ValKind::I32, result));
        note_condition(condition, setcc_offset, result);
        return {};
    }
    u8 lhs;
    if (rhs_immediate) {
        m_stack.pop();
        lhs = TRY(pop_reg(RegClass::Gpr));
        m_asm.cmp(gpr(lhs), static_cast<i32>(rhs.bits), size);
    } else if (rhs.location == Location::Local) {
        m_stack.pop();
        lhs = TRY(pop_reg(RegClass::Gpr));
        // Looked up after pop_reg, whose allocation may have evicted it.
        u8 cached = cached_register(static_cast<u32>(rhs.bits));
        if (cached != kNotCached)
            m_asm.cmp(gpr(lhs), gpr(cached), size);
        else
            m_asm.cmp(gpr(lhs), local_slot(static_cast<u32>(rhs.bits)), size);
    } else {
        u8 right = TRY(pop_reg(RegClass::Gpr));
        lhs = TRY(pop_reg(RegClass::Gpr));
        m_asm.cmp(gpr(lhs), gpr(right), size);
        release(RegClass::Gpr, right);
    }
    u32 setcc_offset = m_asm.offset();
    m_asm.setcc(condition, gpr(lhs));
    m_asm.movzx8(gpr(lhs), gpr(lhs), Size::Dword);
    TRY(push_reg(ValKind::I32, lhs));
    note_condition(condition, setcc_offset, lhs);
    return {};
}

Result<void> BaselineCompiler::emit_bit_count(Opcode op, ValKind kind)
{
    bool is64 = kind == ValKind::I64;
    Size size = is64 ? Size::Qword : Size::Dword;
    u8 reg = TRY(pop_reg(RegClass::Gpr));
    if (op == Opcode::I32Popcnt || op == Opcode::I64Popcnt) {
        m_asm.popcnt(gpr(reg), gpr(reg), size);
        return push_reg(kind, reg);
    }
    u8 result = TRY(allocate(RegClass::Gpr));
    u32 bits = is64 ? 64 : 32;
    bool clz = op == Opcode::I32Clz || op == Opcode::I64Clz;
    // bsr/bsf leave the destination undefined for zero: select the answer for zero
    // (clz: 2*bits-1 so that the xor below yields bits; ctz: bits).
    m_asm.mov(kScratch, static_cast<i64>(clz ? 2 * bits - 1 : bits), Size::Dword);
    if (clz)
        m_asm.bsr(gpr(result), gpr(reg), size);
    else
        m_asm.bsf(gpr(result), gpr(reg), size);
    m_asm.cmov(Condition::Equal, gpr(result), kScratch, size);
    if (clz)
        m_asm.xor_(gpr(result), static_cast<i32>(bits - 1), size);
    release(RegClass::Gpr, reg);
    return push_reg(kind, result);
}

Result<void> BaselineCompiler::emit_integer_alu(Opcode op, ValKind kind)
{
    Size size = kind == ValKind::I64 ? Size::Qword : Size::Dword;
    StackEntry rhs = m_stack.peek();
    if (rhs.location == Location::Local) {
        // The local's register (looked up after pop_reg, whose allocation may have
        // evicted it), else its slot as a memory operand.
        m_stack.pop();
        u8 lhs = TRY(pop_reg(RegClass::Gpr));
        u8 cached = cached_register(static_cast<u32>(rhs.bits));
        if (cached != kNotCached)
            emit_alu(m_asm, op, gpr(lhs), gpr(cached), size);
        else
            emit_alu(m_asm, op, gpr(lhs), local_slot(static_cast<u32>(rhs.bits)), size);
        return push_reg(kind, lhs);
    }
    if (rhs.location == Location::Constant && fits_i32(kind, rhs.bits)) {
        m_stack.pop();
        u8 lhs = TRY(pop_reg(RegClass::Gpr));
        emit_alu(m_asm, op, gpr(lhs), static_cast<i32>(rhs.bits), size);
        return push_reg(kind, lhs);
    }
    u8 right = TRY(pop_reg(RegClass::Gpr));
    u8 lhs = TRY(pop_reg(RegClass::Gpr));
    emit_alu(m_asm, op, gpr(lhs), gpr(right), size);
    release(RegClass::Gpr, right);
    return push_reg(kind, lhs);
}

Result<void> BaselineCompiler::emit_shift(Opcode op, ValKind kind)
{
    bool is64 = kind == ValKind::I64;
    Size size = is64 ? Size::Qword : Size::Dword;
    StackEntry rhs = m_stack.peek();
    bool immediate = rhs.location == Location::Constant;
    u8 count = 0;
    if (immediate)
        m_stack.pop();
    else
        count = TRY(pop_into(RegClass::Gpr, number(Gpr::rcx)));
    u8 lhs = TRY(pop_reg(RegClass::Gpr));
    Gpr dst = gpr(lhs);
    u8 amount = static_cast<u8>(rhs.bits & (is64 ? 63 : 31));
    switch (op) {
    case Opcode::I32Shl: case Opcode::I64Shl:
        immediate ? m_asm.shl(dst, amount, size) : m_asm.shl_cl(dst, size);
        break;
    case Opcode::I32ShrS: case Opcode::I64ShrS:
        immediate ? m_asm.sar(dst, amount, size) : m_asm.sar_cl(dst, size);
        break;
    case Opcode::I32ShrU: case Opcode::I64ShrU:
        immediate ? m_asm.shr(dst, amount, size) : m_asm.shr_cl(dst, size);
        break;
    case Opcode::I32Rotl: case Opcode::I64Rotl:
        immediate ? m_asm.rol(dst, amount, size) : m_asm.rol_cl(dst, size);
        break;
    default:
        immediate ? m_asm.ror(dst, amount, size) : m_asm.ror_cl(dst, size);
        break;
    }
    if (!immediate)
        release(RegClass::Gpr, count);
    return push_reg(kind, lhs);
}

Result<void> BaselineCompiler::emit_division(Opcode op, ValKind kind)
{
    bool is64 = kind == ValKind::I64;
    Size size = is64 ? Size::Qword : Size::Dword;
    bool is_signed = op == Opcode::I32DivS || op == Opcode::I64DivS || op == Opcode::I32RemS || op == Opcode::I64RemS;
    bool is_rem = op == Opcode::I32RemS || op == Opcode::I64RemS || op == Opcode::I32RemU || op == Opcode::I64RemU;
    // The divisor must not sit in rax or rdx: take both first.
    TRY(take_fixed(RegClass::Gpr, number(Gpr::rax)));
    TRY(take_fixed(RegClass::Gpr, number(Gpr::rdx)));
    u8 divisor = TRY(pop_reg(RegClass::Gpr));
    StackEntry dividend = m_stack.peek();
    load_entry(dividend, m_stack.height() - 1, number(Gpr::rax));
    m_stack.pop();
    if (dividend.location == Location::Register)
        release(RegClass::Gpr, dividend.reg);
    Label done;
    if (is_signed) {
        m_asm.cmp(gpr(divisor), -1, size);
        emit_signed_division_guard(m_asm, is64, is_rem, done, *TRY(trap_label(TrapKind::IntegerOverflow)), kScratch);
        // A zero divisor faults here (#DE): the trap table names it.
        TRY(record_trap_here(TrapKind::IntegerDivideByZero));
        m_asm.idiv(gpr(divisor), size);
    } else {
        m_asm.xor_(Gpr::rdx, Gpr::rdx, Size::Dword);
        TRY(record_trap_here(TrapKind::IntegerDivideByZero));
        m_asm.div(gpr(divisor), size);
    }
    m_asm.bind(done);
    release(RegClass::Gpr, divisor);
    if (is_rem) {
        release(RegClass::Gpr, number(Gpr::rax));
        return push_reg(kind, number(Gpr::rdx));
    }
    release(RegClass::Gpr, number(Gpr::rdx));
    return push_reg(kind, number(Gpr::rax));
}

Result<void> BaselineCompiler::emit_wide_arithmetic(Opcode op)
{
    if (op == Opcode::I64Add128 || op == Opcode::I64Sub128) {
        // (a_lo a_hi b_lo b_hi) -> (lo hi) with the carry between the halves.
        u8 b_hi = TRY(pop_reg(RegClass::Gpr));
        u8 b_lo = TRY(pop_reg(RegClass::Gpr));
        u8 a_hi = TRY(pop_reg(RegClass::Gpr));
        u8 a_lo = TRY(pop_reg(RegClass::Gpr));
        if (op == Opcode::I64Add128) {
            m_asm.add(gpr(a_lo), gpr(b_lo), Size::Qword);
            m_asm.adc(gpr(a_hi), gpr(b_hi), Size::Qword);
        } else {
            m_asm.sub(gpr(a_lo), gpr(b_lo), Size::Qword);
            m_asm.sbb(gpr(a_hi), gpr(b_hi), Size::Qword);
        }
        release(RegClass::Gpr, b_lo);
        release(RegClass::Gpr, b_hi);
        TRY(push_reg(ValKind::I64, a_lo));
        return push_reg(ValKind::I64, a_hi);
    }
    // I64MulWideS/U: rdx:rax = rax * operand.
    TRY(take_fixed(RegClass::Gpr, number(Gpr::rax)));
    TRY(take_fixed(RegClass::Gpr, number(Gpr::rdx)));
    u8 rhs = TRY(pop_reg(RegClass::Gpr));
    StackEntry lhs = m_stack.peek();
    load_entry(lhs, m_stack.height() - 1, number(Gpr::rax));
    m_stack.pop();
    if (lhs.location == Location::Register)
        release(RegClass::Gpr, lhs.reg);
    if (op == Opcode::I64MulWideS)
        m_asm.imul(gpr(rhs), Size::Qword);
    else
        m_asm.mul(gpr(rhs), Size::Qword);
    release(RegClass::Gpr, rhs);
    TRY(push_reg(ValKind::I64, number(Gpr::rax)));
    return push_reg(ValKind::I64, number(Gpr::rdx));
}

} // namespace wk::engine::x64::baseline
