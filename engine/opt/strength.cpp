// Strength reduction and algebraic simplification (see passes.h). Integer rules only,
// each exact for every operand under wasm's wrapping semantics; nothing here touches
// a float op (their NaN bits and signed zeros would not survive such rewrites).
//
// Each block's instruction list is rebuilt while it is walked, so that an instruction
// a rule needs (a shift count, the steps of a signed division) is appended just
// before the instruction it feeds.
#include <bit>

#include "engine/opt/dominators.h"
#include "engine/opt/passes.h"

namespace wk::engine::opt {

namespace {

// The ops of one integer width.
struct IntOps {
    Type type;
    u32 width;
    u64 mask;
    Op add, sub, and_, shl, shr_s, shr_u, ne;
};

constexpr IntOps kI32 { Type::I32, 32, 0xFFFF'FFFFull, Op::I32Add, Op::I32Sub, Op::I32And, Op::I32Shl, Op::I32ShrS, Op::I32ShrU, Op::I32Ne };
constexpr IntOps kI64 { Type::I64, 64, ~u64 { 0 }, Op::I64Add, Op::I64Sub, Op::I64And, Op::I64Shl, Op::I64ShrS, Op::I64ShrU, Op::I64Ne };

// The integer comparison that is true exactly when `op` is false (ints have no NaN).
Op inverse_compare(Op op)
{
    switch (op) {
    case Op::I32Eq: return Op::I32Ne;
    case Op::I32Ne: return Op::I32Eq;
    case Op::I32LtS: return Op::I32GeS;
    case Op::I32LtU: return Op::I32GeU;
    case Op::I32GtS: return Op::I32LeS;
    case Op::I32GtU: return Op::I32LeU;
    case Op::I32LeS: return Op::I32GtS;
    case Op::I32LeU: return Op::I32GtU;
    case Op::I32GeS: return Op::I32LtS;
    case Op::I32GeU: return Op::I32LtU;
    case Op::I64Eq: return Op::I64Ne;
    case Op::I64Ne: return Op::I64Eq;
    case Op::I64LtS: return Op::I64GeS;
    case Op::I64LtU: return Op::I64GeU;
    case Op::I64GtS: return Op::I64LeS;
    case Op::I64GtU: return Op::I64LeU;
    case Op::I64LeS: return Op::I64GtS;
    case Op::I64LeU: return Op::I64GtU;
    case Op::I64GeS: return Op::I64LtS;
    case Op::I64GeU: return Op::I64LtU;
    default: return Op::Const; // none
    }
}

// Ops whose i32 result is always 0 or 1.
bool is_boolean(Op op)
{
    if (inverse_compare(op) != Op::Const)
        return true;
    switch (op) {
    case Op::I32Eqz:
    case Op::I64Eqz:
    case Op::F32Eq:
    case Op::F32Ne:
    case Op::F32Lt:
    case Op::F32Gt:
    case Op::F32Le:
    case Op::F32Ge:
    case Op::F64Eq:
    case Op::F64Ne:
    case Op::F64Lt:
    case Op::F64Gt:
    case Op::F64Le:
    case Op::F64Ge:
    case Op::RefIsNull: return true;
    default: return false;
    }
}

// x op x for integer ops: the value it always is (bits), or the operand (kSame).
constexpr u64 kSame = ~u64 { 0 } - 1;
constexpr u64 kNoRule = ~u64 { 0 };
u64 same_operands(Op op)
{
    switch (op) {
    case Op::I32Sub:
    case Op::I64Sub:
    case Op::I32Xor:
    case Op::I64Xor:
    case Op::I32Ne:
    case Op::I64Ne:
    case Op::I32LtS:
    case Op::I32LtU:
    case Op::I32GtS:
    case Op::I32GtU:
    case Op::I64LtS:
    case Op::I64LtU:
    case Op::I64GtS:
    case Op::I64GtU: return 0;
    case Op::I32Eq:
    case Op::I64Eq:
    case Op::I32LeS:
    case Op::I32LeU:
    case Op::I32GeS:
    case Op::I32GeU:
    case Op::I64LeS:
    case Op::I64LeU:
    case Op::I64GeS:
    case Op::I64GeU: return 1;
    case Op::I32And:
    case Op::I64And:
    case Op::I32Or:
    case Op::I64Or: return kSame;
    default: return kNoRule;
    }
}

bool is_power_of_two(u64 c) { return c != 0 && (c & (c - 1)) == 0; }

class Reducer {
public:
    explicit Reducer(Function& function)
        : m_function(function)
    {
    }

    Result<u32> run();

private:
    bool constant(Value value, u64& bits) const
    {
        const ValueData& data = m_function.value(value);
        if (data.kind != ValueKind::Result || m_function.inst(data.def).op != Op::Const)
            return false;
        bits = m_function.inst(data.def).imm;
        return true;
    }
    Result<Value> emit_const(Type type, u64 bits)
    {
        Inst inst = TRY(m_function.append_inst(m_block, Op::Const, {}, type));
        m_function.inst(inst).imm = bits;
        return m_function.result(inst);
    }
    Result<Value> emit(Op op, Value a, Value b, Type type)
    {
        Value args[2] = { a, b };
        Inst inst = TRY(m_function.append_inst(m_block, op, Span<const Value>(args, 2), type));
        return m_function.result(inst);
    }
    // Rewrites `inst` in place into `op a, b`.
    Result<void> rewrite(Inst inst, Op op, Value a, Value b)
    {
        InstData& data = m_function.inst(inst);
        data.op = op;
        m_function.lists().free(data.args);
        Value args[2] = { a, b };
        data.args = TRY(m_function.lists().make(Span<const Value>(args, 2)));
        return {};
    }
    void replace(Inst inst, Value value)
    {
        Value result = m_function.result(inst);
        m_function.kill_inst(inst);
        m_function.make_alias(result, m_function.resolve(value));
    }
    Result<bool> reduce(Inst inst);
    Result<bool> reduce_eqz(Inst inst, Value x);
    Result<bool> reduce_by_constant(Inst inst, const IntOps& ops, Value x, u64 c);

    Function& m_function;
    Block m_block { kNone };
};

Result<bool> Reducer::reduce_eqz(Inst inst, Value x)
{
    const ValueData& value = m_function.value(x);
    if (value.kind != ValueKind::Result)
        return false;
    Inst def = value.def;
    Op inner = m_function.inst(def).op;
    Op inverse = inverse_compare(inner);
    if (inverse != Op::Const) {
        // eqz(a < b) = a >= b, and so on.
        Span<const u32> args = m_function.args(def);
        TRY(rewrite(inst, inverse, m_function.resolve(args[0]), m_function.resolve(args[1])));
        return true;
    }
    if (inner != Op::I32Eqz && inner != Op::I64Eqz)
        return false;
    // eqz(eqz(y)) = (y != 0), which is y itself when y is 0 or 1.
    Value y = m_function.resolve(m_function.args(def)[0]);
    const ValueData& y_value = m_function.value(y);
    if (inner == Op::I32Eqz && y_value.kind == ValueKind::Result && is_boolean(m_function.inst(y_value.def).op)) {
        replace(inst, y);
        return true;
    }
    const IntOps& ops = inner == Op::I32Eqz ? kI32 : kI64;
    Value zero = TRY(emit_const(ops.type, 0));
    TRY(rewrite(inst, ops.ne, y, zero));
    return true;
}

Result<bool> Reducer::reduce_by_constant(Inst inst, const IntOps& ops, Value x, u64 c)
{
    Op op = m_function.inst(inst).op;
    u64 all = ops.mask;
    u32 k = static_cast<u32>(std::countr_zero(c));
    switch (op) {
    case Op::I32Mul:
    case Op::I64Mul:
        if (c == 0) {
            m_function.make_const(inst, 0);
            return true;
        }
        if (c == 1) {
            replace(inst, x);
            return true;
        }
        if (c == all) { // x * -1 = 0 - x
            Value zero = TRY(emit_const(ops.type, 0));
            TRY(rewrite(inst, ops.sub, zero, x));
            return true;
        }
        if (is_power_of_two(c)) {
            TRY(rewrite(inst, ops.shl, x, TRY(emit_const(ops.type, k))));
            return true;
        }
        return false;
    case Op::I32And:
    case Op::I64And:
        if (c != 0)
            return false;
        m_function.make_const(inst, 0);
        return true;
    case Op::I32Or:
    case Op::I64Or:
        if (c != all)
            return false;
        m_function.make_const(inst, all);
        return true;
    case Op::I32DivU:
    case Op::I64DivU:
        // A non-zero constant divisor cannot trap.
        if (!is_power_of_two(c))
            return false;
        if (k == 0)
            replace(inst, x);
        else
            TRY(rewrite(inst, ops.shr_u, x, TRY(emit_const(ops.type, k))));
        return true;
    case Op::I32RemU:
    case Op::I64RemU:
        if (!is_power_of_two(c))
            return false;
        if (k == 0)
            m_function.make_const(inst, 0);
        else
            TRY(rewrite(inst, ops.and_, x, TRY(emit_const(ops.type, c - 1))));
        return true;
    case Op::I32DivS:
    case Op::I64DivS:
    case Op::I32RemS:
    case Op::I64RemS: {
        bool div = op == Op::I32DivS || op == Op::I64DivS;
        if (c == 1 || (!div && c == all)) {
            // x / 1 = x; x rem 1 = x rem -1 = 0 (wasm's rem_s never traps on INT_MIN).
            if (div)
                replace(inst, x);
            else
                m_function.make_const(inst, 0);
            return true;
        }
        // Positive powers of two 2^k, 1 <= k <= width - 2. Division truncates toward
        // zero, so a negative dividend gets 2^k - 1 added before the arithmetic shift:
        // bias = (x >>s (w-1)) >>u (w-k) is 2^k - 1 for x < 0 and 0 otherwise.
        if (!is_power_of_two(c) || k == 0 || k > ops.width - 2)
            return false;
        Value sign = TRY(emit(ops.shr_s, x, TRY(emit_const(ops.type, ops.width - 1)), ops.type));
        Value bias = TRY(emit(ops.shr_u, sign, TRY(emit_const(ops.type, ops.width - k)), ops.type));
        Value biased = TRY(emit(ops.add, x, bias, ops.type));
        if (div) {
            TRY(rewrite(inst, ops.shr_s, biased, TRY(emit_const(ops.type, k))));
        } else {
            // x rem 2^k = x - ((x + bias) & -2^k)
            Value rounded = TRY(emit(ops.and_, biased, TRY(emit_const(ops.type, (0 - c) & all)), ops.type));
            TRY(rewrite(inst, ops.sub, x, rounded));
        }
        return true;
    }
    default: return false;
    }
}

Result<bool> Reducer::reduce(Inst inst)
{
    const InstData& data = m_function.inst(inst);
    if (data.result_count != 1 || !op_info(data.op).is_wasm)
        return false;
    Span<const u32> args = m_function.args(inst);
    if (data.op == Op::I32Eqz)
        return reduce_eqz(inst, m_function.resolve(args[0]));
    if (args.size() != 2)
        return false;
    Value a = m_function.resolve(args[0]);
    Value b = m_function.resolve(args[1]);
    Type operand = m_function.value(a).type;
    if (operand != Type::I32 && operand != Type::I64)
        return false;
    if (a == b) {
        u64 rule = same_operands(data.op);
        if (rule == kNoRule)
            return false;
        if (rule == kSame)
            replace(inst, a);
        else
            m_function.make_const(inst, rule);
        return true;
    }
    const IntOps& ops = operand == Type::I32 ? kI32 : kI64;
    u64 c = 0;
    if (constant(b, c))
        return reduce_by_constant(inst, ops, a, c & ops.mask);
    if (has_effect(data.op, fx::kCommutative) && constant(a, c))
        return reduce_by_constant(inst, ops, b, c & ops.mask);
    return false;
}

Result<u32> Reducer::run()
{
    // Reverse post-order: an operand's definition is reduced before its uses (block
    // parameters aside), so eqz(eqz(a < b)) becomes a < b in one walk.
    DominatorTree dominators;
    TRY(dominators.compute(m_function));
    Vector<Inst> old;
    u32 changes = 0;
    for (Block block : dominators.rpo()) {
        old.clear();
        TRY(old.try_extend(m_function.insts(block)));
        m_function.lists().truncate(m_function.block(block).insts, 0);
        m_block = block;
        for (Inst inst : old) {
            if (TRY(reduce(inst)))
                ++changes;
            if (!m_function.inst(inst).dead)
                TRY(m_function.lists().push(m_function.block(block).insts, inst));
        }
    }
    m_function.resolve_aliases();
    return changes;
}

} // namespace

Result<u32> reduce_strength(Function& function)
{
    Reducer reducer(function);
    return reducer.run();
}

} // namespace wk::engine::opt
