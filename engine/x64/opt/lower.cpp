// Per-op lowering of the optimising tier: integer, float, conversion, reference and
// select instructions (memory and bulk ones: lower_memory.cpp), in two-address form over the allocator's places. The result
// is computed in its own register when it has one that no later operand occupies,
// else in r11 or xmm15 and then stored. r10 and xmm14 are the second scratch
// registers.

#include "engine/x64/float_lowering.h"
#include "engine/x64/integer_lowering.h"
#include "engine/x64/opt/optimizing_compiler.h"
#include "engine/x64/opt/scratch.h"

namespace wk::engine::x64::opt {

using engine::opt::Op;
using engine::opt::Type;
using namespace x64::abi;
using x64::baseline::gpr;
using x64::baseline::xmm;

namespace {

Condition compare_condition(Op op)
{
    switch (op) {
    case Op::I32Eq: case Op::I64Eq: return Condition::Equal;
    case Op::I32Ne: case Op::I64Ne: return Condition::NotEqual;
    case Op::I32LtS: case Op::I64LtS: return Condition::Less;
    case Op::I32LtU: case Op::I64LtU: return Condition::Below;
    case Op::I32GtS: case Op::I64GtS: return Condition::Greater;
    case Op::I32GtU: case Op::I64GtU: return Condition::Above;
    case Op::I32LeS: case Op::I64LeS: return Condition::LessOrEqual;
    case Op::I32LeU: case Op::I64LeU: return Condition::BelowOrEqual;
    case Op::I32GeS: case Op::I64GeS: return Condition::GreaterOrEqual;
    default: return Condition::AboveOrEqual; // GeU
    }
}

// The condition that holds for (b, a) when `condition` holds for (a, b).
Condition swapped(Condition condition)
{
    switch (condition) {
    case Condition::Less: return Condition::Greater;
    case Condition::Greater: return Condition::Less;
    case Condition::LessOrEqual: return Condition::GreaterOrEqual;
    case Condition::GreaterOrEqual: return Condition::LessOrEqual;
    case Condition::Below: return Condition::Above;
    case Condition::Above: return Condition::Below;
    case Condition::BelowOrEqual: return Condition::AboveOrEqual;
    case Condition::AboveOrEqual: return Condition::BelowOrEqual;
    default: return condition;
    }
}

bool is64_int(Op op)
{
    return (op >= Op::I64Eqz && op <= Op::I64GeU) || (op >= Op::I64Clz && op <= Op::I64Rotr);
}

} // namespace

// Compares for a branch, select or setcc; returns the condition under which the
// compare is true.
Condition OptimizingCompiler::emit_condition(Inst compare)
{
    const engine::opt::InstData& data = m_function.inst(compare);
    Span<const u32> args = m_function.args(compare);
    bool wide = data.op >= Op::I64Eqz && data.op <= Op::I64GeU;
    Size size = wide ? Size::Qword : Size::Dword;
    if (data.op == Op::I32Eqz || data.op == Op::I64Eqz) {
        Loc loc = m_alloc.loc(args[0]);
        if (loc.kind == LocKind::Slot) {
            m_asm.cmp(slot_mem(loc.slot), 0, size);
        } else {
            Gpr reg = gpr_in(args[0], kScratch);
            test_unless_flags_set(reg, size);
        }
        return Condition::Equal;
    }
    Value a = args[0];
    Value b = args[1];
    Condition condition = compare_condition(data.op);
    if (is_const(a) && !is_const(b)) {
        Value t = a;
        a = b;
        b = t;
        condition = swapped(condition);
    }
    Loc la = m_alloc.loc(a);
    Gpr left = la.kind == LocKind::Reg ? gpr(la.reg) : kScratch;
    if (la.kind == LocKind::Slot && !is_const(b) && m_alloc.loc(b).kind == LocKind::Reg) {
        m_asm.cmp(slot_mem(la.slot), gpr(m_alloc.loc(b).reg), size);
        return condition;
    }
    if (la.kind != LocKind::Reg)
        load_gpr(kScratch, a);
    if (is_const(b)) {
        u64 bits = const_bits(b);
        if (!wide || static_cast<i64>(bits) == static_cast<i32>(bits)) {
            if (bits == 0 && (condition == Condition::Equal || condition == Condition::NotEqual))
                test_unless_flags_set(left, size);
            else
                m_asm.cmp(left, static_cast<i32>(bits), size);
        } else {
            m_asm.mov(kScratch2, static_cast<i64>(bits), Size::Qword);
            m_asm.cmp(left, kScratch2, size);
        }
        return condition;
    }
    Loc lb = m_alloc.loc(b);
    if (lb.kind == LocKind::Reg)
        m_asm.cmp(left, gpr(lb.reg), size);
    else
        m_asm.cmp(left, slot_mem(lb.slot), size);
    return condition;
}

Result<void> OptimizingCompiler::emit_integer(Inst inst)
{
    const engine::opt::InstData& data = m_function.inst(inst);
    Op op = data.op;
    Span<const u32> args = m_function.args(inst);
    Value result = m_function.result(inst);
    bool wide = is64_int(op);
    Size size = wide ? Size::Qword : Size::Dword;

    if ((op >= Op::I32Eqz && op <= Op::I32GeU) || (op >= Op::I64Eqz && op <= Op::I64GeU)) {
        Condition condition = emit_condition(inst);
        m_asm.setcc(condition, kScratch);
        m_asm.movzx8(result_gpr(result, kScratch), kScratch, Size::Dword);
        finish_gpr(result, result_gpr(result, kScratch));
        return {};
    }
    switch (op) {
    case Op::I32DivS: case Op::I32DivU: case Op::I32RemS: case Op::I32RemU:
    case Op::I64DivS: case Op::I64DivU: case Op::I64RemS: case Op::I64RemU:
        return emit_division(inst);
    case Op::I32Shl: case Op::I32ShrS: case Op::I32ShrU: case Op::I32Rotl: case Op::I32Rotr:
    case Op::I64Shl: case Op::I64ShrS: case Op::I64ShrU: case Op::I64Rotl: case Op::I64Rotr:
        return emit_shift(inst);
    case Op::I32Clz: case Op::I32Ctz: case Op::I32Popcnt:
    case Op::I64Clz: case Op::I64Ctz: case Op::I64Popcnt:
        return emit_bit_count(inst);
    default:
        break;
    }

    bool difference = op == Op::I32Sub || op == Op::I64Sub;
    auto summand = [&](Value v) { return m_alloc.is_folded(v) && !m_alloc.is_folded_load(m_function, v); };
    if ((op == Op::I32Add || op == Op::I64Add || difference) && (summand(args[0]) || summand(args[1]))) {
        // One lea (regalloc.h, is_folded): x + (y << k), (x + y) ± c or (x + (y << k)) ± c.
        Value x = args[0];
        Value y = args[1];
        i32 displacement = 0;
        u32 j = summand(args[0]) ? 0 : 1;
        Op sum_op = wide ? Op::I64Add : Op::I32Add;
        if (m_function.inst(m_function.value(args[j]).def).op == sum_op) {
            Span<const u32> sum = m_function.args(m_function.value(args[j]).def);
            u64 c = const_bits(args[1 - j]);
            displacement = static_cast<i32>(difference ? 0 - c : c);
            x = sum[0];
            y = sum[1];
        }
        u32 count = 0;
        if (m_alloc.is_folded(x))
            std::swap(x, y);
        if (m_alloc.is_folded(y)) {
            Inst shift = m_function.value(y).def;
            count = static_cast<u32>(const_bits(m_function.args(shift)[1]) & (wide ? 63 : 31));
            y = m_function.args(shift)[0];
        }
        Gpr w = result_gpr(result, kScratch);
        Gpr base = gpr_in(x, kScratch);
        Gpr index = gpr_in(y, kScratch2);
        m_asm.lea(w, Mem(base, index, static_cast<Scale>(count), displacement), size);
        finish_gpr(result, w);
        return {};
    }
    if (m_preserve_flags) {
        // Between a compare fused early and its branch: add or sub of a constant
        // (Allocator::preserves_flags) as a lea, which leaves the flags alone.
        u64 c = const_bits(args[1]);
        bool sub = op == Op::I32Sub || op == Op::I64Sub;
        i32 displacement = wide ? static_cast<i32>(sub ? 0 - static_cast<i64>(c) : static_cast<i64>(c))
                                : static_cast<i32>(sub ? 0u - static_cast<u32>(c) : static_cast<u32>(c));
        Gpr w = result_gpr(result, kScratch);
        Gpr base = gpr_in(args[0], w);
        m_asm.lea(w, Mem(base, displacement), size);
        finish_gpr(result, w);
        return {};
    }
    return emit_two_address(inst);
}

Result<void> OptimizingCompiler::emit_bit_count(Inst inst)
{
    Op op = m_function.inst(inst).op;
    Value result = m_function.result(inst);
    bool wide = is64_int(op);
    Size size = wide ? Size::Qword : Size::Dword;
    Gpr source = gpr_in(m_function.args(inst)[0], kScratch2);
    Gpr w = result_gpr(result, kScratch);
    u32 bits = wide ? 64 : 32;
    if (op == Op::I32Popcnt || op == Op::I64Popcnt) {
        m_asm.popcnt(w, source, size);
    } else if ((op == Op::I32Clz || op == Op::I64Clz) && m_lzcnt) {
        m_asm.lzcnt(w, source, size); // the operand size for a zero input, as wasm wants
    } else if ((op == Op::I32Ctz || op == Op::I64Ctz) && m_bmi1) {
        m_asm.tzcnt(w, source, size);
    } else if (op == Op::I32Clz || op == Op::I64Clz) {
        // bsr gives the index of the highest set bit; zero input leaves the flag ZF.
        Label nonzero, done;
        m_asm.bsr(kScratch, source, size);
        m_asm.jcc(Condition::NotEqual, nonzero);
        m_asm.mov(w, static_cast<i64>(bits), Size::Dword);
        m_asm.jmp(done);
        m_asm.bind(nonzero);
        m_asm.xor_(kScratch, static_cast<i32>(bits - 1), Size::Dword);
        m_asm.mov(w, kScratch, Size::Dword);
        m_asm.bind(done);
    } else {
        Label nonzero, done;
        m_asm.bsf(kScratch, source, size);
        m_asm.jcc(Condition::NotEqual, nonzero);
        m_asm.mov(w, static_cast<i64>(bits), Size::Dword);
        m_asm.jmp(done);
        m_asm.bind(nonzero);
        m_asm.mov(w, kScratch, Size::Dword);
        m_asm.bind(done);
    }
    finish_gpr(result, w);
    return {};
}

// Two-address ALU ops: add, sub, mul, and, or, xor (a lea where a third register or a
// constant allows it).
void OptimizingCompiler::emit_alu(Op op, Gpr w, const Mem* memory, Gpr src)
{
    Size size = is64_int(op) ? Size::Qword : Size::Dword;
    switch (op) {
    case Op::I32Add: case Op::I64Add: memory ? m_asm.add(w, *memory, size) : m_asm.add(w, src, size); break;
    case Op::I32Sub: case Op::I64Sub: memory ? m_asm.sub(w, *memory, size) : m_asm.sub(w, src, size); break;
    case Op::I32Mul: case Op::I64Mul: memory ? m_asm.imul(w, *memory, size) : m_asm.imul(w, src, size); break;
    case Op::I32And: case Op::I64And: memory ? m_asm.and_(w, *memory, size) : m_asm.and_(w, src, size); break;
    case Op::I32Or: case Op::I64Or: memory ? m_asm.or_(w, *memory, size) : m_asm.or_(w, src, size); break;
    default: memory ? m_asm.xor_(w, *memory, size) : m_asm.xor_(w, src, size); break;
    }
}

// `a op load` with the load folded into it (regalloc.h, is_folded_load): its memory
// operand. When the address uses the result's register (which a must be loaded into
// first), a commutative op loads the value there and applies a; a sub loads it into r10.
Result<void> OptimizingCompiler::emit_two_address_load(Inst inst, Value a, Value b)
{
    Op op = m_function.inst(inst).op;
    Value result = m_function.result(inst);
    Size size = is64_int(op) ? Size::Qword : Size::Dword;
    Inst load = m_function.value(b).def;
    Gpr w = result_gpr(result, kScratch);
    Mem access = access_mem(load);
    // Right before the instruction that reads memory: the trap is the load's, at its own
    // wasm offset.
    auto record_load_trap = [&]() -> Result<void> {
        u32 use_offset = m_wasm_offset;
        m_wasm_offset = m_function.inst(load).wasm_offset;
        auto recorded = record_trap_here(TrapKind::MemoryOutOfBounds);
        m_wasm_offset = use_offset;
        return recorded;
    };
    bool clash = access.has_index() && access.index() == w && !in_reg(a, number(w), RegClass::Gpr);
    if (!clash) {
        if (!in_reg(a, number(w), RegClass::Gpr))
            load_gpr(w, a);
        TRY(record_load_trap());
        emit_alu(op, w, &access, w);
    } else if (op == Op::I32Sub || op == Op::I64Sub) {
        TRY(record_load_trap());
        m_asm.mov(kScratch2, access, size);
        load_gpr(w, a);
        emit_alu(op, w, nullptr, kScratch2);
    } else {
        TRY(record_load_trap());
        m_asm.mov(w, access, size);
        emit_alu(op, w, nullptr, gpr_in(a, kScratch2));
    }
    finish_gpr(result, w);
    return {};
}

Result<void> OptimizingCompiler::emit_two_address(Inst inst)
{
    Op op = m_function.inst(inst).op;
    switch (op) {
    case Op::I32Add: case Op::I64Add: case Op::I32Sub: case Op::I64Sub:
    case Op::I32Mul: case Op::I64Mul: case Op::I32And: case Op::I64And:
    case Op::I32Or: case Op::I64Or: case Op::I32Xor: case Op::I64Xor:
        break;
    default:
        return unsupported("optimising tier: integer instruction not supported by the x86-64 back end yet");
    }
    Span<const u32> args = m_function.args(inst);
    Value result = m_function.result(inst);
    bool wide = is64_int(op);
    Size size = wide ? Size::Qword : Size::Dword;
    bool commutative = engine::opt::has_effect(op, engine::opt::fx::kCommutative);
    Value a = args[0];
    Value b = args[1];
    // A folded load second (it is the memory operand), else a constant second.
    bool load_first = m_alloc.is_folded_load(m_function, a);
    if (commutative && (load_first || (is_const(a) && !is_const(b) && !m_alloc.is_folded_load(m_function, b)))) {
        Value t = a;
        a = b;
        b = t;
    }
    if (m_alloc.is_folded_load(m_function, b))
        return emit_two_address_load(inst, a, b);
    Gpr w = result_gpr(result, kScratch);
    Loc lb = m_alloc.loc(b);
    Loc la = m_alloc.loc(a);
    if ((op == Op::I32Add || op == Op::I64Add) && la.kind == LocKind::Reg && gpr(la.reg) != w) {
        // lea: a sum into a third register (a 32-bit lea zero-extends, as i32 values are
        // kept, and wraps, so any i32 constant is a displacement).
        if (is_const(b) && (!wide || static_cast<i64>(const_bits(b)) == static_cast<i32>(const_bits(b)))) {
            m_asm.lea(w, Mem(gpr(la.reg), static_cast<i32>(const_bits(b))), size);
            finish_gpr(result, w);
            return {};
        }
        if (lb.kind == LocKind::Reg) {
            m_asm.lea(w, Mem(gpr(la.reg), gpr(lb.reg), Scale::One, 0), size);
            finish_gpr(result, w);
            return {};
        }
    }
    if ((op == Op::I32Sub || op == Op::I64Sub) && la.kind == LocKind::Reg && gpr(la.reg) != w && is_const(b)) {
        // A difference with a constant into a third register: lea by the negated constant
        // (i32: any constant, the 32-bit lea wraps; i64: when it fits a displacement).
        u64 c = const_bits(b);
        if (!wide || (static_cast<i64>(c) > -0x8000'0000ll && static_cast<i64>(c) <= 0x7FFF'FFFFll)) {
            i32 negated = wide ? static_cast<i32>(-static_cast<i64>(c)) : static_cast<i32>(0u - static_cast<u32>(c));
            m_asm.lea(w, Mem(gpr(la.reg), negated), size);
            finish_gpr(result, w);
            return {};
        }
    }
    if (lb.kind == LocKind::Reg && gpr(lb.reg) == w && !in_reg(a, lb.reg, RegClass::Gpr)) {
        if (commutative) {
            Value t = a;
            a = b;
            b = t;
            lb = m_alloc.loc(b);
        } else {
            w = kScratch;
        }
    }
    if (!in_reg(a, number(w), RegClass::Gpr))
        load_gpr(w, a);
    if (is_const(b)) {
        u64 bits = const_bits(b);
        if (!wide || static_cast<i64>(bits) == static_cast<i32>(bits)) {
            i32 imm = static_cast<i32>(bits);
            switch (op) {
            case Op::I32Add: case Op::I64Add: m_asm.add(w, imm, size); break;
            case Op::I32Sub: case Op::I64Sub: m_asm.sub(w, imm, size); break;
            case Op::I32Mul: case Op::I64Mul: m_asm.imul(w, w, imm, size); break;
            case Op::I32And: case Op::I64And: m_asm.and_(w, imm, size); break;
            case Op::I32Or: case Op::I64Or: m_asm.or_(w, imm, size); break;
            default: m_asm.xor_(w, imm, size); break;
            }
        } else {
            m_asm.mov(kScratch2, static_cast<i64>(bits), Size::Qword);
            emit_alu(op, w, nullptr, kScratch2);
        }
    } else if (lb.kind == LocKind::Reg) {
        emit_alu(op, w, nullptr, gpr(lb.reg));
    } else {
        Mem slot = slot_mem(lb.slot);
        emit_alu(op, w, &slot, w);
    }
    finish_gpr(result, w);
    return {};
}

Result<void> OptimizingCompiler::emit_division(Inst inst)
{
    Op op = m_function.inst(inst).op;
    Span<const u32> args = m_function.args(inst);
    Value result = m_function.result(inst);
    bool wide = op >= Op::I64DivS;
    Size size = wide ? Size::Qword : Size::Dword;
    bool is_signed = op == Op::I32DivS || op == Op::I64DivS || op == Op::I32RemS || op == Op::I64RemS;
    bool is_rem = op == Op::I32RemS || op == Op::I64RemS || op == Op::I32RemU || op == Op::I64RemU;
    Value divisor = args[1];
    // Operands are never in rax or rdx (the allocator blocks both here).
    load_gpr(Gpr::rax, args[0]);
    Label done;
    if (is_const(divisor)) {
        u64 bits = const_bits(divisor);
        if (!wide)
            bits &= 0xFFFF'FFFFu;
        if (bits == 0) {
            m_asm.jmp(*TRY(trap_label(TrapKind::IntegerDivideByZero)));
            return {};
        }
        bool minus_one = wide ? bits == ~u64 { 0 } : bits == 0xFFFF'FFFFu;
        if (is_signed && minus_one) {
            if (is_rem) {
                m_asm.xor_(Gpr::rdx, Gpr::rdx, Size::Dword);
            } else {
                // -x, which overflows only for INT_MIN.
                m_asm.neg(Gpr::rax, size);
                m_asm.jcc(Condition::Overflow, *TRY(trap_label(TrapKind::IntegerOverflow)));
            }
        } else {
            load_gpr(kScratch, divisor);
            if (is_signed) {
                wide ? m_asm.cqo() : m_asm.cdq();
                m_asm.idiv(kScratch, size);
            } else {
                m_asm.xor_(Gpr::rdx, Gpr::rdx, Size::Dword);
                m_asm.div(kScratch, size);
            }
        }
    } else {
        Loc loc = m_alloc.loc(divisor);
        auto divide = [&](bool sign) {
            if (loc.kind == LocKind::Reg)
                sign ? m_asm.idiv(gpr(loc.reg), size) : m_asm.div(gpr(loc.reg), size);
            else
                sign ? m_asm.idiv(slot_mem(loc.slot), size) : m_asm.div(slot_mem(loc.slot), size);
        };
        if (is_signed) {
            if (loc.kind == LocKind::Reg)
                m_asm.cmp(gpr(loc.reg), -1, size);
            else
                m_asm.cmp(slot_mem(loc.slot), -1, size);
            emit_signed_division_guard(m_asm, wide, is_rem, done, *TRY(trap_label(TrapKind::IntegerOverflow)), kScratch);
            // A zero divisor faults here (#DE): the trap table names it.
            TRY(record_trap_here(TrapKind::IntegerDivideByZero));
            divide(true);
        } else {
            m_asm.xor_(Gpr::rdx, Gpr::rdx, Size::Dword);
            TRY(record_trap_here(TrapKind::IntegerDivideByZero));
            divide(false);
        }
    }
    m_asm.bind(done);
    finish_gpr(result, is_rem ? Gpr::rdx : Gpr::rax);
    return {};
}

Result<void> OptimizingCompiler::emit_shift(Inst inst)
{
    Op op = m_function.inst(inst).op;
    Span<const u32> args = m_function.args(inst);
    Value result = m_function.result(inst);
    bool wide = op >= Op::I64Shl;
    Size size = wide ? Size::Qword : Size::Dword;
    Op base = wide ? static_cast<Op>(static_cast<u16>(op) - static_cast<u16>(Op::I64Shl) + static_cast<u16>(Op::I32Shl)) : op;
    Value count = args[1];
    Gpr w = result_gpr(result, kScratch);
    if (is_const(count)) {
        if (!in_reg(args[0], number(w), RegClass::Gpr))
            load_gpr(w, args[0]);
        u8 amount = static_cast<u8>(const_bits(count) & (wide ? 63 : 31));
        switch (base) {
        case Op::I32Shl: m_asm.shl(w, amount, size); break;
        case Op::I32ShrS: m_asm.sar(w, amount, size); break;
        case Op::I32ShrU: m_asm.shr(w, amount, size); break;
        case Op::I32Rotl: m_asm.rol(w, amount, size); break;
        default: m_asm.ror(w, amount, size); break;
        }
        finish_gpr(result, w);
        return {};
    }
    // Variable count: in cl (the allocator keeps rcx free here for the operands).
    if (w == Gpr::rcx)
        w = kScratch;
    load_gpr(Gpr::rcx, count);
    if (!in_reg(args[0], number(w), RegClass::Gpr))
        load_gpr(w, args[0]);
    switch (base) {
    case Op::I32Shl: m_asm.shl_cl(w, size); break;
    case Op::I32ShrS: m_asm.sar_cl(w, size); break;
    case Op::I32ShrU: m_asm.shr_cl(w, size); break;
    case Op::I32Rotl: m_asm.rol_cl(w, size); break;
    default: m_asm.ror_cl(w, size); break;
    }
    finish_gpr(result, w);
    return {};
}

Result<void> OptimizingCompiler::emit_float(Inst inst)
{
    const engine::opt::InstData& data = m_function.inst(inst);
    Op op = data.op;
    Span<const u32> args = m_function.args(inst);
    Value result = m_function.result(inst);
    if (op >= Op::F32Eq && op <= Op::F64Ge) {
        Xmm lhs = xmm_in(args[0], kScratchXmm);
        Xmm rhs = xmm_in(args[1], kScratchXmm2);
        Gpr w = result_gpr(result, kScratch);
        // emit_float_compare needs a scratch different from the result.
        Gpr scratch = w == kScratch2 ? kScratch : kScratch2;
        emit_float_compare(m_asm, engine::opt::op_info(op).wasm, w, lhs, rhs, scratch);
        finish_gpr(result, w);
        return {};
    }
    bool is64 = m_function.value(result).type == Type::F64;
    Op base = is64 ? static_cast<Op>(static_cast<u16>(op) - static_cast<u16>(Op::F64Abs) + static_cast<u16>(Op::F32Abs)) : op;
    Xmm w = result_xmm(result, kScratchXmm);
    if (m_avx && (base == Op::F32Add || base == Op::F32Sub || base == Op::F32Mul || base == Op::F32Div)) {
        // Three-operand VEX forms: no copy of the first operand, no clash with the second.
        Xmm lhs = xmm_in(args[0], kScratchXmm);
        Loc lb = m_alloc.loc(args[1]);
        auto apply = [&](auto rhs) {
            switch (base) {
            case Op::F32Add: is64 ? m_asm.vaddsd(w, lhs, rhs) : m_asm.vaddss(w, lhs, rhs); break;
            case Op::F32Sub: is64 ? m_asm.vsubsd(w, lhs, rhs) : m_asm.vsubss(w, lhs, rhs); break;
            case Op::F32Mul: is64 ? m_asm.vmulsd(w, lhs, rhs) : m_asm.vmulss(w, lhs, rhs); break;
            default: is64 ? m_asm.vdivsd(w, lhs, rhs) : m_asm.vdivss(w, lhs, rhs); break;
            }
        };
        if (lb.kind == LocKind::Reg)
            apply(xmm(lb.reg));
        else if (lb.kind == LocKind::Slot)
            apply(slot_mem(lb.slot));
        else
            apply(xmm_in(args[1], kScratchXmm2));
        finish_xmm(result, w);
        return {};
    }
    if (args.size() == 2) {
        Loc lb = m_alloc.loc(args[1]);
        bool b_in_w = lb.kind == LocKind::Reg && xmm(lb.reg) == w && !in_reg(args[0], lb.reg, RegClass::Xmm);
        if (b_in_w)
            w = kScratchXmm;
        Xmm rhs = xmm_in(args[1], kScratchXmm2);
        if (!in_reg(args[0], number(w), RegClass::Xmm))
            load_xmm(w, args[0]);
        switch (base) {
        case Op::F32Add: is64 ? m_asm.addsd(w, rhs) : m_asm.addss(w, rhs); break;
        case Op::F32Sub: is64 ? m_asm.subsd(w, rhs) : m_asm.subss(w, rhs); break;
        case Op::F32Mul: is64 ? m_asm.mulsd(w, rhs) : m_asm.mulss(w, rhs); break;
        case Op::F32Div: is64 ? m_asm.divsd(w, rhs) : m_asm.divss(w, rhs); break;
        case Op::F32Min: case Op::F32Max: emit_float_min_max(m_asm, is64, base == Op::F32Min, w, rhs); break;
        default: {
            // copysign in general registers: magnitude of w, sign of rhs.
            Size size = is64 ? Size::Qword : Size::Dword;
            is64 ? m_asm.movq(kScratch, w) : m_asm.movd(kScratch, w);
            is64 ? m_asm.movq(kScratch2, rhs) : m_asm.movd(kScratch2, rhs);
            m_asm.btr(kScratch, static_cast<u8>(is64 ? 63 : 31), size);
            m_asm.shr(kScratch2, static_cast<u8>(is64 ? 63 : 31), size);
            m_asm.shl(kScratch2, static_cast<u8>(is64 ? 63 : 31), size);
            m_asm.or_(kScratch, kScratch2, size);
            is64 ? m_asm.movq(w, kScratch) : m_asm.movd(w, kScratch);
            break;
        }
        }
        finish_xmm(result, w);
        return {};
    }
    if (!in_reg(args[0], number(w), RegClass::Xmm))
        load_xmm(w, args[0]);
    switch (base) {
    case Op::F32Abs: case Op::F32Neg:
        emit_float_abs_neg(m_asm, is64, base == Op::F32Abs, w, w == kScratchXmm ? kScratchXmm2 : kScratchXmm, kScratch);
        break;
    case Op::F32Sqrt:
        is64 ? m_asm.sqrtsd(w, w) : m_asm.sqrtss(w, w);
        break;
    default: {
        // Rounding control in imm[1:0] (0 nearest-even, 1 down, 2 up, 3 toward zero);
        // bit 3 suppresses the precision exception.
        u8 mode = base == Op::F32Nearest ? 0 : base == Op::F32Floor ? 1 : base == Op::F32Ceil ? 2 : 3;
        is64 ? m_asm.roundsd(w, w, mode | 8) : m_asm.roundss(w, w, mode | 8);
        break;
    }
    }
    finish_xmm(result, w);
    return {};
}

Result<void> OptimizingCompiler::emit_conversion(Inst inst)
{
    const engine::opt::InstData& data = m_function.inst(inst);
    Op op = data.op;
    Value source = m_function.args(inst)[0];
    Value result = m_function.result(inst);
    switch (op) {
    case Op::I32WrapI64: case Op::I64ExtendI32U: case Op::I64ExtendI32S:
    case Op::I32Extend8S: case Op::I32Extend16S:
    case Op::I64Extend8S: case Op::I64Extend16S: case Op::I64Extend32S: {
        Gpr w = result_gpr(result, kScratch);
        Gpr from = gpr_in(source, kScratch);
        switch (op) {
        case Op::I32WrapI64: m_asm.mov(w, from, Size::Dword); break;
        case Op::I64ExtendI32U: m_asm.mov(w, from, Size::Dword); break;
        case Op::I64ExtendI32S: case Op::I64Extend32S: m_asm.movsxd(w, from); break;
        case Op::I32Extend8S: m_asm.movsx8(w, from, Size::Dword); break;
        case Op::I32Extend16S: m_asm.movsx16(w, from, Size::Dword); break;
        case Op::I64Extend8S: m_asm.movsx8(w, from, Size::Qword); break;
        default: m_asm.movsx16(w, from, Size::Qword); break;
        }
        finish_gpr(result, w);
        return {};
    }
    case Op::I32ReinterpretF32: case Op::I64ReinterpretF64: {
        Gpr w = result_gpr(result, kScratch);
        Xmm from = xmm_in(source, kScratchXmm);
        op == Op::I32ReinterpretF32 ? m_asm.movd(w, from) : m_asm.movq(w, from);
        finish_gpr(result, w);
        return {};
    }
    case Op::F32ReinterpretI32: case Op::F64ReinterpretI64: {
        Xmm w = result_xmm(result, kScratchXmm);
        Gpr from = gpr_in(source, kScratch);
        op == Op::F32ReinterpretI32 ? m_asm.movd(w, from) : m_asm.movq(w, from);
        finish_xmm(result, w);
        return {};
    }
    case Op::F32DemoteF64: case Op::F64PromoteF32: {
        Xmm w = result_xmm(result, kScratchXmm);
        Xmm from = xmm_in(source, kScratchXmm2);
        op == Op::F32DemoteF64 ? m_asm.cvtsd2ss(w, from) : m_asm.cvtss2sd(w, from);
        finish_xmm(result, w);
        return {};
    }
    default:
        break;
    }
    if (op >= Op::F32ConvertI32S && op <= Op::F64ConvertI64U) {
        // The u64 forms clobber their source: always convert from a copy in r10.
        load_gpr(kScratch2, source);
        Xmm w = result_xmm(result, kScratchXmm);
        emit_int_to_float(m_asm, engine::opt::op_info(op).wasm, w, kScratch2, kScratch);
        finish_xmm(result, w);
        return {};
    }
    if (is_float_to_int(engine::opt::op_info(op).wasm)) {
        // The u64 forms clobber their source: convert from a copy in xmm14.
        load_xmm(kScratchXmm2, source);
        Gpr w = result_gpr(result, kScratch2);
        Label* invalid = nullptr;
        Label* overflow = nullptr;
        if (is_trapping_float_to_int(engine::opt::op_info(op).wasm)) {
            invalid = TRY(trap_label(TrapKind::InvalidConversionToInteger));
            overflow = TRY(trap_label(TrapKind::IntegerOverflow));
        }
        emit_float_to_int(m_asm, engine::opt::op_info(op).wasm, w, kScratchXmm2, kScratchXmm, kScratch, invalid, overflow);
        finish_gpr(result, w);
        return {};
    }
    return unsupported("optimising tier: conversion not supported by the x86-64 back end yet");
}

Result<void> OptimizingCompiler::emit_reference(Inst inst)
{
    const engine::opt::InstData& data = m_function.inst(inst);
    Span<const u32> args = m_function.args(inst);
    Value result = m_function.result(inst);
    Gpr w = result_gpr(result, kScratch);
    switch (data.op) {
    case Op::RefNull:
        m_asm.xor_(w, w, Size::Dword);
        break;
    case Op::RefFunc:
        m_asm.lea(w, Mem(kVmctx, static_cast<i32>(m_offsets.function(data.imm2))), Size::Qword);
        break;
    case Op::RefIsNull: {
        Gpr from = gpr_in(args[0], kScratch2);
        m_asm.test(from, from, Size::Qword);
        m_asm.setcc(Condition::Equal, kScratch2);
        m_asm.movzx8(w, kScratch2, Size::Dword);
        break;
    }
    default: { // RefAsNonNull
        Gpr from = gpr_in(args[0], kScratch2);
        m_asm.test(from, from, Size::Qword);
        m_asm.jcc(Condition::Equal, *TRY(trap_label(TrapKind::NullReference)));
        if (from != w)
            m_asm.mov(w, from, Size::Qword);
        break;
    }
    }
    finish_gpr(result, w);
    return {};
}

Result<void> OptimizingCompiler::emit_select(Inst inst)
{
    Span<const u32> args = m_function.args(inst);
    Value result = m_function.result(inst);
    Value a = args[0];
    Value b = args[1];
    Value cond = args[2];
    Type type = m_function.value(result).type;
    // A compare fused into the select (Allocator fusion) has set the flags already:
    // nothing between it and the cmov (or jcc) below may touch them (mov never does).
    bool fused = m_alloc.is_fused_early(cond);
    Condition keep_a = fused ? m_fused_condition : Condition::NotEqual;
    if (fused)
        m_preserve_flags = false;
    auto test_condition = [&]() {
        if (fused)
            return;
        Loc loc = m_alloc.loc(cond);
        if (loc.kind == LocKind::Reg) {
            m_asm.test(gpr(loc.reg), gpr(loc.reg), Size::Dword);
        } else if (loc.kind == LocKind::Slot) {
            m_asm.cmp(slot_mem(loc.slot), 0, Size::Dword);
        } else {
            m_asm.mov(kScratch2, static_cast<i64>(const_bits(cond) & 0xFFFF'FFFFu), Size::Dword);
            m_asm.test(kScratch2, kScratch2, Size::Dword);
        }
    };
    if (class_of(type) == RegClass::Gpr) {
        Size size = type == Type::I32 ? Size::Dword : Size::Qword;
        Gpr w = result_gpr(result, kScratch);
        Loc lb = m_alloc.loc(b);
        bool w_holds_cond = false;
        if (!fused) {
            Loc lc = m_alloc.loc(cond);
            w_holds_cond = lc.kind == LocKind::Reg && gpr(lc.reg) == w;
        }
        if ((lb.kind == LocKind::Reg && gpr(lb.reg) == w) || w_holds_cond)
            w = kScratch;
        if (!in_reg(a, number(w), RegClass::Gpr))
            load_gpr(w, a);
        test_condition();
        Condition take_b = negate(keep_a);
        if (lb.kind == LocKind::Reg) {
            m_asm.cmov(take_b, w, gpr(lb.reg), size);
        } else if (lb.kind == LocKind::Slot) {
            m_asm.cmov(take_b, w, slot_mem(lb.slot), size);
        } else {
            // mov does not touch the flags.
            m_asm.mov(kScratch2, static_cast<i64>(const_bits(b)), Size::Qword);
            m_asm.cmov(take_b, w, kScratch2, size);
        }
        finish_gpr(result, w);
        return {};
    }
    Xmm w = result_xmm(result, kScratchXmm);
    Loc lb = m_alloc.loc(b);
    if (lb.kind == LocKind::Reg && xmm(lb.reg) == w && !in_reg(a, lb.reg, RegClass::Xmm))
        w = kScratchXmm;
    if (!in_reg(a, number(w), RegClass::Xmm))
        load_xmm(w, a);
    test_condition();
    Label done;
    m_asm.jcc(keep_a, done);
    load_xmm(w, b);
    m_asm.bind(done);
    finish_xmm(result, w);
    return {};
}

} // namespace wk::engine::x64::opt
