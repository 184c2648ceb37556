#pragma once

// Where the System V x86-64 convention of docs/engine-abi.md puts the parameters and
// results of a wasm function type (after the hidden vmctx in rdi).

#include "base/result.h"
#include "base/span.h"
#include "base/vector.h"
#include "engine/types.h"
#include "engine/x64/registers.h"

namespace wk::engine::x64::abi {

struct ArgSlot {
    bool on_stack { false };
    bool is_float { false };
    u8 reg { 0 };          // Gpr or Xmm number when !on_stack
    u32 stack_offset { 0 }; // from the stack pointer at the call, when on_stack
};

struct CallLayout {
    Vector<ArgSlot> params;
    Vector<ValKind> param_kinds;
    Vector<ValKind> result_kinds;
    u32 stack_bytes { 0 };          // outgoing stack arguments, a multiple of 8
    bool results_in_memory { false }; // more than one result
    ArgSlot results_pointer;        // when results_in_memory
    // Results area stride: one 16-byte VMVal per result.
    static constexpr u32 kResultStride = 16;

    u32 param_count() const { return static_cast<u32>(params.size()); }
    u32 result_count() const { return static_cast<u32>(result_kinds.size()); }
};

inline constexpr Gpr kIntArgRegs[] = { Gpr::rsi, Gpr::rdx, Gpr::rcx, Gpr::r8, Gpr::r9 };

Result<void> compute_call_layout(Span<const ValType> params, Span<const ValType> results, CallLayout& layout);

} // namespace wk::engine::x64::abi
