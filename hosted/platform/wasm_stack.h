#pragma once

// The stack hosted wasm code runs on (docs/engine-abi.md, "Stack"). The wasm stack limit
// of a thread (platform::wasm_stack_limit) leaves kHostStackReserve at the end of the
// thread's stack for host code that wasm calls (WASI functions, builtins, libc) and for
// the fault handler's frame walk, and lets wasm use at most kWasmStackBytes, whatever
// RLIMIT_STACK is.

#include "base/result.h"
#include "base/types.h"

namespace wk::platform {

inline constexpr usize kHostStackReserve = 256 * 1024;
inline constexpr usize kWasmStackBytes = 8 * 1024 * 1024;
// The thread run_on_wasm_stack makes: the wasm stack, the reserve, and room for the
// host frames above the first wasm call.
inline constexpr usize kWasmThreadStackBytes = kWasmStackBytes + kHostStackReserve + 256 * 1024;

struct WasmStackCall {
    int (*function)(void*);
    void* argument;
    int status;
};

// Runs function(argument) on a new thread with a stack of kWasmThreadStackBytes (mmap'ed
// by pthreads with a guard page) and returns its result, so that how deep wasm code
// may recurse does not depend on `ulimit -s`. The calling thread waits.
Result<int> run_on_wasm_stack(int (*function)(void*), void* argument);

} // namespace wk::platform
