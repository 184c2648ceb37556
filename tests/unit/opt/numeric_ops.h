#pragma once

// The one-to-one numeric ops of engine/opt/ops.def with one or two scalar operands, and
// edge-case plus pseudo-random operands per type: what the folding and tier
// differential tests run every op on.

#include <vector>

#include "engine/opcode.h"
#include "engine/opt/ir.h"

namespace wk::engine::opt {

inline Type ir_type_of(SigType type)
{
    switch (type) {
    case SigType::I32: return Type::I32;
    case SigType::I64: return Type::I64;
    case SigType::F32: return Type::F32;
    case SigType::F64: return Type::F64;
    default: return Type::None;
    }
}

inline const char* wat_type(Type type)
{
    switch (type) {
    case Type::I32: return "i32";
    case Type::I64: return "i64";
    case Type::F32: return "f32";
    default: return "f64";
    }
}

struct Candidate {
    Op op;
    u32 arity;
    Type params[2];
    Type result;
};

inline std::vector<Candidate> numeric_ops()
{
    std::vector<Candidate> ops;
    for (u16 i = 0; i < kOpCount; ++i) {
        Op op = static_cast<Op>(i);
        const OpInfo& info = op_info(op);
        if (!info.is_wasm || has_effect(op, fx::kLoad | fx::kStore | fx::kGlobalRead | fx::kGlobalWrite | fx::kCall))
            continue;
        const OpcodeInfo& wasm = opcode_info(info.wasm);
        if (!wasm.has_signature || wasm.imm != ImmKind::None || wasm.result_count != 1 || wasm.param_count == 0
            || wasm.param_count > 2)
            continue;
        Candidate candidate { op, wasm.param_count, { Type::None, Type::None }, ir_type_of(wasm.results[0]) };
        bool scalar = candidate.result != Type::None;
        for (u32 k = 0; k < wasm.param_count; ++k) {
            candidate.params[k] = ir_type_of(wasm.params[k]);
            scalar &= candidate.params[k] != Type::None;
        }
        if (scalar)
            ops.push_back(candidate);
    }
    return ops;
}

inline std::vector<u64> operands(Type type)
{
    std::vector<u64> values;
    switch (type) {
    case Type::I32:
        values = { 0, 1, 2, 3, 7, 31, 32, 33, 0x80, 0xFFFF, 0x7FFF'FFFF, 0x8000'0000, 0xFFFF'FFFF, 0xFFFF'FFFE,
                   0x1234'5678 };
        break;
    case Type::I64:
        values = { 0, 1, 2, 63, 64, 65, 0xFFFF'FFFF, 0x1'0000'0000, 0x7FFF'FFFF'FFFF'FFFF, 0x8000'0000'0000'0000,
                   ~u64 { 0 }, ~u64 { 1 }, 0x0123'4567'89AB'CDEF };
        break;
    case Type::F32:
        // 0, -0, 1, -1.5, inf, -inf, NaN, -NaN, max, min subnormal, 2^31, -2^31, 3e9, 2^63, 0.5, 2^24+1 area
        values = { 0x0000'0000, 0x8000'0000, 0x3F80'0000, 0xBFC0'0000, 0x7F80'0000, 0xFF80'0000, 0x7FC0'0000,
                   0xFFC0'0001, 0x7F7F'FFFF, 0x0000'0001, 0x4F00'0000, 0xCF00'0000, 0x4F32'D05E, 0x5F00'0000,
                   0x3F00'0000, 0x4B80'0001 };
        break;
    default:
        // 0, -0, 1, -2.5, inf, -inf, NaN, max, min subnormal, 2^31, -2^31-1, 2^63, -2^63, 2^64-2048, 0.1, 1e300
        values = { 0, 0x8000'0000'0000'0000, 0x3FF0'0000'0000'0000, 0xC004'0000'0000'0000, 0x7FF0'0000'0000'0000,
                   0xFFF0'0000'0000'0000, 0x7FF8'0000'0000'0000, 0x7FEF'FFFF'FFFF'FFFF, 1, 0x41E0'0000'0000'0000,
                   0xC1E0'0000'0020'0000, 0x43E0'0000'0000'0000, 0xC3E0'0000'0000'0000, 0x43EF'FFFF'FFFF'FFFF,
                   0x3FB9'9999'9999'999A, 0x7E37'E43C'8800'759C };
        break;
    }
    // A few pseudo-random values (fixed seed: the test is deterministic).
    u64 state = 0x9E37'79B9'7F4A'7C15ull ^ static_cast<u64>(type);
    for (int i = 0; i < 6; ++i) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        u64 value = state ^ (state >> 29);
        values.push_back(type == Type::I32 || type == Type::F32 ? static_cast<u32>(value) : value);
    }
    return values;
}

} // namespace wk::engine::opt
