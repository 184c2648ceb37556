#pragma once

// The wasm stack limit of kernel threads (engine/platform.h wasm_stack_limit) and the
// reserve below it (docs/boot-and-machine-state.md, "Wasm stack reserve").

#include "base/types.h"

namespace wk::kernel::sched {
class Thread;
}

namespace wk::platform {

// Host code that wasm calls runs below the limit: the deepest WASI or wasmkern host call
// (spawn, which compiles a module, refuses to start with less than 192 KiB left), plus an
// interrupt arriving there (CPU frame, registers, the XSAVE area, the scheduler).
inline constexpr uptr kHostCallReserve = 48 * 1024;

// Bytes of the reserve: kHostCallReserve plus the interrupt entry as this CPU makes it
// (its XSAVE area size comes from CPUID at boot).
uptr wasm_stack_reserve();

// Called when a thread's outermost wasm activation ends: measures how much of the reserve
// host code used (the reserve is painted when the activation starts) and warns when more
// than half of it was.
void note_reserve_use(kernel::sched::Thread&);

// Paints the reserve below a process thread's (new) limit again after its stack grew,
// sparing the caller's own frame.
void repaint_reserve(kernel::sched::Thread&);

// The most any process thread has used of the reserve since boot.
uptr reserve_high_water();

} // namespace wk::platform
