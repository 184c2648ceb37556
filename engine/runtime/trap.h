#pragma once

#include <optional>

#include "base/result.h"
#include "base/types.h"
#include "engine/platform.h"

namespace wk::engine {

struct TrapInfo {
    static constexpr u32 kMaxFrames = 64;

    TrapKind kind { TrapKind::None };
    uptr pc { 0 };            // the trapping instruction
    uptr fp { 0 };            // rbp at the trap: the first wasm frame of the backtrace
    uptr fault_address { 0 }; // the data address of a memory fault
    // The wasm backtrace, innermost first: pc, then each wasm caller's return address.
    // Map them to functions through the code object's function table (lookup_trap_site
    // gives the CodeRange and its owner).
    uptr frames[kMaxFrames] {};
    u32 frame_count { 0 };
};

struct NativeCallResult {
    u64 value { 0 };              // rax on a normal return
    std::optional<TrapInfo> trap; // set when the call ended in a trap
};

// Calls the native function `code(arg0, arg1, arg2)` (System V) through the entry
// trampoline inside a new activation, linked into the thread's chain for the duration.
// A fault at a registered trap site inside the call comes back as `trap`; any other
// fault is not caught. Fails only when the thread cannot be prepared for wasm code.
Result<NativeCallResult> call_native(const void* code, u64 arg0 = 0, u64 arg1 = 0, u64 arg2 = 0);

// Where a thread resumes to leave `activation` as a trap of `kind`: the landing, with rsp and
// rbp as the entry trampoline recorded them and rax = the kind. Records the kind and clears
// the trap's details (pc, fp, fault address, backtrace), which a caller that has them fills in
// afterwards. The one description of that exit: fault redirection, unwind_activation and the
// kernel's kill at a timer tick all use it.
struct LandingState {
    uptr pc { 0 };
    uptr sp { 0 };
    uptr fp { 0 };
    u64 rax { 0 };
};
LandingState leave_at_landing(Activation& activation, TrapKind kind);

// Ends `activation` from host code running inside it (a host function called from wasm,
// e.g. WASI proc_exit with TrapKind::Exit): resumes at its landing as if it trapped with
// `kind`, so the call that entered wasm returns with that trap. The frames in between
// are skipped without running destructors: they must own nothing (wasm frames and
// host entry points written for it).
[[noreturn]] void unwind_activation(Activation* activation, TrapKind kind);

} // namespace wk::engine

// The entry trampoline (engine/runtime/trap.cpp). It pushes rbp and the callee-saved
// registers, records rsp/rbp/landing in `activation`, calls code(arg0, arg1, arg2) and
// returns its rax. A trap lands at the instruction after that call with eax = the trap
// kind and rsp/rbp restored from the activation; both paths then restore the
// callee-saved registers and return. The compiler's entry trampolines follow this shape.
extern "C" wk::u64 wk_enter_native(wk::engine::Activation* activation, const void* code, wk::u64 arg0,
                                   wk::u64 arg1, wk::u64 arg2);
