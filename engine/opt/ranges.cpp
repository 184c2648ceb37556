#include "engine/opt/ranges.h"

#include <algorithm>

namespace wk::engine::opt {

namespace {

constexpr u32 kDepthLimit = 6;
constexpr u64 kAll = 0xFFFF'FFFFu;

// The smallest all-ones number at least x (every bit up to x's highest one set).
u64 ones_through(u64 x)
{
    for (u32 shift = 1; shift < 64; shift <<= 1)
        x |= x >> shift;
    return x;
}

u64 bound(const Function& f, Value v, u32 depth)
{
    const ValueData& value = f.value(v);
    if (value.kind != ValueKind::Result || value.type != Type::I32 || depth > kDepthLimit)
        return kAll;
    const InstData& data = f.inst(value.def);
    Span<const u32> args = f.args(value.def);
    auto constant = [&](u32 k, u64* bits) {
        const ValueData& arg = f.value(args[k]);
        if (arg.kind != ValueKind::Result || f.inst(arg.def).op != Op::Const)
            return false;
        *bits = f.inst(arg.def).imm & kAll;
        return true;
    };
    auto of = [&](u32 k) { return bound(f, args[k], depth + 1); };
    u64 c = 0;
    switch (data.op) {
    case Op::Const:
        return data.imm & kAll;
    case Op::I32Load8U:
        return 0xFF;
    case Op::I32Load16U:
        return 0xFFFF;
    case Op::I32Clz: case Op::I32Ctz: case Op::I32Popcnt:
        return 32;
    case Op::I32And:
        return std::min(of(0), of(1));
    case Op::I32Or: case Op::I32Xor:
        return ones_through(of(0) | of(1));
    case Op::I32ShrU:
        return constant(1, &c) ? of(0) >> (c & 31) : of(0);
    case Op::I32Shl: {
        if (!constant(1, &c))
            return kAll;
        u64 shifted = of(0) << (c & 31);
        return shifted <= kAll ? shifted : kAll;
    }
    case Op::I32Add: {
        u64 sum = of(0) + of(1);
        return sum <= kAll ? sum : kAll;
    }
    case Op::I32Mul: {
        u64 a = of(0);
        u64 b = of(1);
        return a == 0 || b <= kAll / a ? a * b : kAll;
    }
    case Op::I32DivU:
        return constant(1, &c) && c != 0 ? of(0) / c : of(0);
    case Op::I32RemU: {
        // Less than the divisor (a zero divisor traps) and at most the dividend.
        u64 divisor = of(1);
        return divisor == 0 ? 0 : std::min(of(0), divisor - 1);
    }
    case Op::Select:
        return std::max(of(0), of(1));
    default:
        if (data.op >= Op::I32Eqz && data.op <= Op::F64Ge)
            return 1; // compares
        return kAll;
    }
}

} // namespace

u32 max_u32(const Function& f, Value v) { return static_cast<u32>(bound(f, v, 0)); }

} // namespace wk::engine::opt
