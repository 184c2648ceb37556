// Constant folding (see passes.h for what folds and what deliberately does not).
#include <bit>
#include <limits>
#include <optional>

#include "engine/opt/dominators.h"
#include "engine/opt/passes.h"

namespace wk::engine::opt {

namespace {

using Bits = std::optional<u64>;

constexpr u32 kF32Sign = 0x8000'0000u;
constexpr u64 kF64Sign = 0x8000'0000'0000'0000ull;

f32 as_f32(u64 bits) { return std::bit_cast<f32>(static_cast<u32>(bits)); }
f64 as_f64(u64 bits) { return std::bit_cast<f64>(bits); }
u64 of_f32(f32 value) { return std::bit_cast<u32>(value); }
u64 of_f64(f64 value) { return std::bit_cast<u64>(value); }
u64 of_bool(bool value) { return value ? 1 : 0; }

// A float result folds only when it is not a NaN: wasm lets the machine pick NaN bits.
Bits float32(f32 value)
{
    if (value != value)
        return std::nullopt;
    return of_f32(value);
}
Bits float64(f64 value)
{
    if (value != value)
        return std::nullopt;
    return of_f64(value);
}

// min/max: NaN does not fold; equal operands (+0 and -0) pick by sign.
template<typename F, typename U>
Bits min_max(F a, F b, bool is_min)
{
    if (a != a || b != b)
        return std::nullopt;
    if (a == b) {
        U sign = std::bit_cast<U>(a) | std::bit_cast<U>(b);
        if (!is_min)
            sign = std::bit_cast<U>(a) & std::bit_cast<U>(b);
        return static_cast<u64>(sign);
    }
    F result = (a < b) == is_min ? a : b;
    return static_cast<u64>(std::bit_cast<U>(result));
}

// Float to integer: in range (lower < x < upper, both exact in double) converts by
// truncation; out of range traps (no fold) or, saturating, clamps.
template<typename I>
Bits truncate_float(f64 x, f64 lower, f64 upper, bool saturating)
{
    if (x != x)
        return saturating ? Bits(0) : std::nullopt;
    if (x <= lower) {
        if (!saturating)
            return std::nullopt;
        return static_cast<u64>(static_cast<std::make_unsigned_t<I>>(std::numeric_limits<I>::min()));
    }
    if (x >= upper) {
        if (!saturating)
            return std::nullopt;
        return static_cast<u64>(static_cast<std::make_unsigned_t<I>>(std::numeric_limits<I>::max()));
    }
    return static_cast<u64>(static_cast<std::make_unsigned_t<I>>(static_cast<I>(x)));
}

constexpr f64 k2p31 = 2147483648.0;
constexpr f64 k2p32 = 4294967296.0;
constexpr f64 k2p63 = 9223372036854775808.0;
// The largest double below -2^63 (-2^63 - 2048): any double above it truncates into i64.
constexpr f64 kBelowMinI64 = -9223372036854777856.0;
constexpr f64 k2p64 = 18446744073709551616.0;

Bits evaluate_unary(Op op, u64 a)
{
    u32 a32 = static_cast<u32>(a);
    i32 s32 = static_cast<i32>(a32);
    i64 s64 = static_cast<i64>(a);
    switch (op) {
    case Op::I32Eqz: return of_bool(a32 == 0);
    case Op::I64Eqz: return of_bool(a == 0);
    case Op::I32Clz: return std::countl_zero(a32);
    case Op::I32Ctz: return std::countr_zero(a32);
    case Op::I32Popcnt: return std::popcount(a32);
    case Op::I64Clz: return std::countl_zero(a);
    case Op::I64Ctz: return std::countr_zero(a);
    case Op::I64Popcnt: return std::popcount(a);
    case Op::F32Abs: return a32 & ~kF32Sign;
    case Op::F32Neg: return a32 ^ kF32Sign;
    case Op::F64Abs: return a & ~kF64Sign;
    case Op::F64Neg: return a ^ kF64Sign;
    case Op::I32WrapI64: return a32;
    case Op::I64ExtendI32S: return static_cast<u64>(static_cast<i64>(s32));
    case Op::I64ExtendI32U: return a32;
    case Op::I32Extend8S: return static_cast<u32>(static_cast<i32>(static_cast<i8>(a32)));
    case Op::I32Extend16S: return static_cast<u32>(static_cast<i32>(static_cast<i16>(a32)));
    case Op::I64Extend8S: return static_cast<u64>(static_cast<i64>(static_cast<i8>(a)));
    case Op::I64Extend16S: return static_cast<u64>(static_cast<i64>(static_cast<i16>(a)));
    case Op::I64Extend32S: return static_cast<u64>(static_cast<i64>(static_cast<i32>(a)));
    case Op::I32ReinterpretF32:
    case Op::F32ReinterpretI32: return a32;
    case Op::I64ReinterpretF64:
    case Op::F64ReinterpretI64: return a;
    // int -> float: round to nearest, ties to even, as C++ conversions do.
    case Op::F32ConvertI32S: return of_f32(static_cast<f32>(s32));
    case Op::F32ConvertI32U: return of_f32(static_cast<f32>(a32));
    case Op::F32ConvertI64S: return of_f32(static_cast<f32>(s64));
    case Op::F32ConvertI64U: return of_f32(static_cast<f32>(a));
    case Op::F64ConvertI32S: return of_f64(static_cast<f64>(s32));
    case Op::F64ConvertI32U: return of_f64(static_cast<f64>(a32));
    case Op::F64ConvertI64S: return of_f64(static_cast<f64>(s64));
    case Op::F64ConvertI64U: return of_f64(static_cast<f64>(a));
    case Op::F32DemoteF64: return float32(static_cast<f32>(as_f64(a)));
    case Op::F64PromoteF32: return float64(static_cast<f64>(as_f32(a)));
    case Op::I32TruncF32S: return truncate_float<i32>(as_f32(a), -k2p31 - 1, k2p31, false);
    case Op::I32TruncF64S: return truncate_float<i32>(as_f64(a), -k2p31 - 1, k2p31, false);
    case Op::I32TruncF32U: return truncate_float<u32>(as_f32(a), -1.0, k2p32, false);
    case Op::I32TruncF64U: return truncate_float<u32>(as_f64(a), -1.0, k2p32, false);
    case Op::I64TruncF32S: return truncate_float<i64>(as_f32(a), kBelowMinI64, k2p63, false);
    case Op::I64TruncF64S: return truncate_float<i64>(as_f64(a), kBelowMinI64, k2p63, false);
    case Op::I64TruncF32U: return truncate_float<u64>(as_f32(a), -1.0, k2p64, false);
    case Op::I64TruncF64U: return truncate_float<u64>(as_f64(a), -1.0, k2p64, false);
    case Op::I32TruncSatF32S: return truncate_float<i32>(as_f32(a), -k2p31 - 1, k2p31, true);
    case Op::I32TruncSatF64S: return truncate_float<i32>(as_f64(a), -k2p31 - 1, k2p31, true);
    case Op::I32TruncSatF32U: return truncate_float<u32>(as_f32(a), -1.0, k2p32, true);
    case Op::I32TruncSatF64U: return truncate_float<u32>(as_f64(a), -1.0, k2p32, true);
    case Op::I64TruncSatF32S: return truncate_float<i64>(as_f32(a), kBelowMinI64, k2p63, true);
    case Op::I64TruncSatF64S: return truncate_float<i64>(as_f64(a), kBelowMinI64, k2p63, true);
    case Op::I64TruncSatF32U: return truncate_float<u64>(as_f32(a), -1.0, k2p64, true);
    case Op::I64TruncSatF64U: return truncate_float<u64>(as_f64(a), -1.0, k2p64, true);
    default: return std::nullopt;
    }
}

Bits evaluate_binary(Op op, u64 a, u64 b)
{
    u32 a32 = static_cast<u32>(a), b32 = static_cast<u32>(b);
    i32 sa32 = static_cast<i32>(a32), sb32 = static_cast<i32>(b32);
    i64 sa = static_cast<i64>(a), sb = static_cast<i64>(b);
    f32 fa = as_f32(a), fb = as_f32(b);
    f64 da = as_f64(a), db = as_f64(b);
    switch (op) {
    case Op::I32Add: return u32(a32 + b32);
    case Op::I32Sub: return u32(a32 - b32);
    case Op::I32Mul: return u32(a32 * b32);
    case Op::I32DivS:
        if (b32 == 0 || (sa32 == std::numeric_limits<i32>::min() && sb32 == -1))
            return std::nullopt; // traps at run time
        return static_cast<u32>(sa32 / sb32);
    case Op::I32DivU:
        if (b32 == 0)
            return std::nullopt;
        return a32 / b32;
    case Op::I32RemS:
        if (b32 == 0)
            return std::nullopt;
        return sb32 == -1 ? 0 : static_cast<u32>(sa32 % sb32);
    case Op::I32RemU:
        if (b32 == 0)
            return std::nullopt;
        return a32 % b32;
    case Op::I32And: return a32 & b32;
    case Op::I32Or: return a32 | b32;
    case Op::I32Xor: return a32 ^ b32;
    case Op::I32Shl: return u32(a32 << (b32 & 31));
    case Op::I32ShrS: return static_cast<u32>(sa32 >> (b32 & 31));
    case Op::I32ShrU: return a32 >> (b32 & 31);
    case Op::I32Rotl: return std::rotl(a32, static_cast<int>(b32 & 31));
    case Op::I32Rotr: return std::rotr(a32, static_cast<int>(b32 & 31));
    case Op::I32Eq: return of_bool(a32 == b32);
    case Op::I32Ne: return of_bool(a32 != b32);
    case Op::I32LtS: return of_bool(sa32 < sb32);
    case Op::I32LtU: return of_bool(a32 < b32);
    case Op::I32GtS: return of_bool(sa32 > sb32);
    case Op::I32GtU: return of_bool(a32 > b32);
    case Op::I32LeS: return of_bool(sa32 <= sb32);
    case Op::I32LeU: return of_bool(a32 <= b32);
    case Op::I32GeS: return of_bool(sa32 >= sb32);
    case Op::I32GeU: return of_bool(a32 >= b32);
    case Op::I64Add: return a + b;
    case Op::I64Sub: return a - b;
    case Op::I64Mul: return a * b;
    case Op::I64DivS:
        if (b == 0 || (sa == std::numeric_limits<i64>::min() && sb == -1))
            return std::nullopt;
        return static_cast<u64>(sa / sb);
    case Op::I64DivU:
        if (b == 0)
            return std::nullopt;
        return a / b;
    case Op::I64RemS:
        if (b == 0)
            return std::nullopt;
        return sb == -1 ? 0 : static_cast<u64>(sa % sb);
    case Op::I64RemU:
        if (b == 0)
            return std::nullopt;
        return a % b;
    case Op::I64And: return a & b;
    case Op::I64Or: return a | b;
    case Op::I64Xor: return a ^ b;
    case Op::I64Shl: return a << (b & 63);
    case Op::I64ShrS: return static_cast<u64>(sa >> (b & 63));
    case Op::I64ShrU: return a >> (b & 63);
    case Op::I64Rotl: return std::rotl(a, static_cast<int>(b & 63));
    case Op::I64Rotr: return std::rotr(a, static_cast<int>(b & 63));
    case Op::I64Eq: return of_bool(a == b);
    case Op::I64Ne: return of_bool(a != b);
    case Op::I64LtS: return of_bool(sa < sb);
    case Op::I64LtU: return of_bool(a < b);
    case Op::I64GtS: return of_bool(sa > sb);
    case Op::I64GtU: return of_bool(a > b);
    case Op::I64LeS: return of_bool(sa <= sb);
    case Op::I64LeU: return of_bool(a <= b);
    case Op::I64GeS: return of_bool(sa >= sb);
    case Op::I64GeU: return of_bool(a >= b);
    case Op::F32Add: return float32(fa + fb);
    case Op::F32Sub: return float32(fa - fb);
    case Op::F32Mul: return float32(fa * fb);
    case Op::F32Div: return float32(fa / fb);
    case Op::F32Min: return min_max<f32, u32>(fa, fb, true);
    case Op::F32Max: return min_max<f32, u32>(fa, fb, false);
    case Op::F32Copysign: return (a32 & ~kF32Sign) | (b32 & kF32Sign);
    case Op::F32Eq: return of_bool(fa == fb);
    case Op::F32Ne: return of_bool(fa != fb);
    case Op::F32Lt: return of_bool(fa < fb);
    case Op::F32Gt: return of_bool(fa > fb);
    case Op::F32Le: return of_bool(fa <= fb);
    case Op::F32Ge: return of_bool(fa >= fb);
    case Op::F64Add: return float64(da + db);
    case Op::F64Sub: return float64(da - db);
    case Op::F64Mul: return float64(da * db);
    case Op::F64Div: return float64(da / db);
    case Op::F64Min: return min_max<f64, u64>(da, db, true);
    case Op::F64Max: return min_max<f64, u64>(da, db, false);
    case Op::F64Copysign: return (a & ~kF64Sign) | (b & kF64Sign);
    case Op::F64Eq: return of_bool(da == db);
    case Op::F64Ne: return of_bool(da != db);
    case Op::F64Lt: return of_bool(da < db);
    case Op::F64Gt: return of_bool(da > db);
    case Op::F64Le: return of_bool(da <= db);
    case Op::F64Ge: return of_bool(da >= db);
    default: return std::nullopt;
    }
}

// x op c == x for these integer ops when c is the given constant (shifts and
// rotations: when c is 0 modulo the width).
bool is_right_identity(Op op, u64 c)
{
    switch (op) {
    case Op::I32Add:
    case Op::I32Sub:
    case Op::I32Or:
    case Op::I32Xor: return static_cast<u32>(c) == 0;
    case Op::I32Shl:
    case Op::I32ShrS:
    case Op::I32ShrU:
    case Op::I32Rotl:
    case Op::I32Rotr: return (c & 31) == 0;
    case Op::I32Mul: return static_cast<u32>(c) == 1;
    case Op::I32And: return static_cast<u32>(c) == 0xFFFF'FFFFu;
    case Op::I64Add:
    case Op::I64Sub:
    case Op::I64Or:
    case Op::I64Xor: return c == 0;
    case Op::I64Shl:
    case Op::I64ShrS:
    case Op::I64ShrU:
    case Op::I64Rotl:
    case Op::I64Rotr: return (c & 63) == 0;
    case Op::I64Mul: return c == 1;
    case Op::I64And: return c == ~u64 { 0 };
    default: return false;
    }
}

class Folder {
public:
    explicit Folder(Function& function)
        : m_function(function)
    {
    }

    Result<u32> run();

private:
    bool constant(Value value, u64& bits) const
    {
        const ValueData& data = m_function.value(value);
        if (data.kind != ValueKind::Result)
            return false;
        const InstData& inst = m_function.inst(data.def);
        if (inst.op != Op::Const)
            return false;
        bits = inst.imm;
        return true;
    }
    // Replaces an instruction's single result by `value`.
    void replace(Inst inst, Value value)
    {
        Value result = m_function.result(inst);
        m_function.kill_inst(inst);
        m_function.make_alias(result, m_function.resolve(value));
    }
    bool fold(Inst inst);

    Function& m_function;
    bool m_cfg_changed { false };
};

bool Folder::fold(Inst inst)
{
    InstData& data = m_function.inst(inst);
    Span<const u32> args = m_function.args(inst);
    u64 a = 0, b = 0, c = 0;
    switch (data.op) {
    case Op::Branch:
        if (!constant(m_function.resolve(args[0]), a))
            return false;
        m_function.reduce_to_jump(inst, data.first_edge + (static_cast<u32>(a) != 0 ? 0 : 1));
        m_cfg_changed = true;
        return true;
    case Op::Switch: {
        if (!constant(m_function.resolve(args[0]), a))
            return false;
        Span<const u32> cases = m_function.lists().span(List { data.imm3 });
        u32 index = static_cast<u32>(a);
        u32 edge = cases[index < cases.size() - 1 ? index : cases.size() - 1];
        m_function.reduce_to_jump(inst, data.first_edge + edge);
        m_cfg_changed = true;
        return true;
    }
    case Op::Select: {
        Value x = m_function.resolve(args[0]), y = m_function.resolve(args[1]);
        if (x == y) {
            replace(inst, x);
            return true;
        }
        if (!constant(m_function.resolve(args[2]), c))
            return false;
        replace(inst, static_cast<u32>(c) != 0 ? x : y);
        return true;
    }
    default: break;
    }
    const OpInfo& info = op_info(data.op);
    if (!info.is_wasm || data.result_count != 1 || has_effect(data.op, fx::kLoad | fx::kStore | fx::kGlobalRead | fx::kGlobalWrite | fx::kCall))
        return false;
    if (args.size() == 1) {
        if (!constant(m_function.resolve(args[0]), a))
            return false;
        Bits result = evaluate_unary(data.op, a);
        if (!result)
            return false;
        m_function.make_const(inst, *result);
        return true;
    }
    if (args.size() != 2)
        return false;
    bool left = constant(m_function.resolve(args[0]), a);
    bool right = constant(m_function.resolve(args[1]), b);
    if (left && right) {
        Bits result = evaluate_binary(data.op, a, b);
        if (!result)
            return false;
        m_function.make_const(inst, *result);
        return true;
    }
    if (right && is_right_identity(data.op, b)) {
        replace(inst, args[0]);
        return true;
    }
    if (left && has_effect(data.op, fx::kCommutative) && is_right_identity(data.op, a)) {
        replace(inst, args[1]);
        return true;
    }
    return false;
}

Result<u32> Folder::run()
{
    // Reverse post-order visits definitions before their uses (block parameters
    // aside), so chains of constants fold in one walk.
    DominatorTree dominators;
    TRY(dominators.compute(m_function));
    u32 changes = 0;
    for (Block block : dominators.rpo()) {
        Span<const u32> insts = m_function.insts(block);
        for (u32 k = 0; k < insts.size(); ++k) {
            Inst inst = m_function.insts(block)[k];
            if (!m_function.inst(inst).dead && fold(inst))
                ++changes;
        }
    }
    if (m_cfg_changed)
        TRY(m_function.remove_unreachable_blocks());
    m_function.sweep_dead_insts();
    m_function.resolve_aliases();
    return changes;
}

} // namespace

Result<u32> fold_constants(Function& function)
{
    Folder folder(function);
    return folder.run();
}

} // namespace wk::engine::opt
