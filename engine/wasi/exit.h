#pragma once

#include "engine/platform.h"

namespace wk::engine::wasi {

// The exit status of a WASI command that trapped, in `wasmkern run` and in the OS alike: as a
// process killed by SIGABRT (128 + 6).
inline constexpr u32 kTrapExitStatus = 134;

// A WasiContext exit hook (set_exit_hook(unwind_on_exit, nullptr)): ends the calling
// thread's innermost wasm activation as a trap of kind TrapKind::Exit
// (engine::unwind_activation), so the call that entered wasm (call_native /
// runtime::invoke) returns with that trap; embedders take the status from
// WasiContext::exit_status(). Outside any activation it returns, and proc_exit returns to
// its caller.
//
// NOTE: the frames between the activation's entry and this call are skipped without
// running destructors. They are wasm frames, the native entry of proc_exit and
// WasiContext::proc_exit, none of which owns anything.
void unwind_on_exit(void* data, u32 status);

} // namespace wk::engine::wasi
