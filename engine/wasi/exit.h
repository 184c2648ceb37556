#pragma once

#include "engine/platform.h"

namespace wk::engine::wasi {

// The trap kind a proc_exit unwind reports.
// NOTE: platform.h has no TrapKind::Exit yet; until it does, exit uses the first value
// past the known kinds, which no trap table contains, so it cannot be mistaken for a
// real trap. Embedders decide by WasiContext::exit_status(), not by this value.
inline constexpr TrapKind kExitTrapKind = TrapKind::Count;

// A WasiContext exit hook (set_exit_hook(unwind_on_exit, nullptr)): ends the calling
// thread's innermost wasm activation as a trap of kind kExitTrapKind, so the call that
// entered wasm (call_native / runtime::invoke) returns with that trap. Outside any
// activation it returns, and proc_exit returns to its caller.
//
// NOTE: the frames between the activation's entry and this call are skipped without
// running destructors. They are wasm frames, the native entry of proc_exit and
// WasiContext::proc_exit, none of which owns anything.
void unwind_on_exit(void* data, u32 status);

// Resumes `activation` at its landing as if it trapped with `kind`.
[[noreturn]] void unwind_activation(Activation* activation, TrapKind kind);

} // namespace wk::engine::wasi
