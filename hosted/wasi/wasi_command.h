#pragma once

#include <cstdio>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "engine/runtime/loaded_module.h"
#include "engine/runtime/store.h"

namespace wk::hosted {

// `wasmkern run [--dir HOST[::GUEST]]... [--env K=V]... FILE.wasm [ARGS...]`.
struct WasiCommandOptions {
    std::vector<std::pair<std::string, std::string>> directories; // host path, guest name
    std::vector<std::string> environment;                         // "K=V"
    std::vector<std::string> arguments;                           // FILE.wasm, then ARGS
};

// Parses the arguments after `run`. A directory without ::GUEST keeps its host path
// as the guest name (as wasmtime does). Options stop at the first non-option; "--"
// ends them explicitly. On error returns false with a message in `error`.
bool parse_wasi_command_line(std::span<char const* const> args, WasiCommandOptions& options, std::string& error);

// Exit status of a run that trapped (as a process killed by SIGABRT: 128 + 6).
inline constexpr int kTrapExitStatus = 134;

// Runs a WASI command module: stdio and the preopened directories in a WasiContext
// over the POSIX system, wasi_snapshot_preview1 defined in a linker, instantiation,
// memory 0 (or the export "memory") bound, then `_start` called through its array
// entry. The status is proc_exit's, 0 when _start returns, kTrapExitStatus after a trap
// (its message on `diagnostics`). Errors: a directory that cannot be opened, missing
// `_start`, instantiation failures, and "execution not implemented" until the module
// is compiled.
Result<int> run_wasi_command(engine::runtime::Store& store, engine::runtime::LoadedModule& module,
                             const WasiCommandOptions& options, std::FILE* diagnostics);

} // namespace wk::hosted
