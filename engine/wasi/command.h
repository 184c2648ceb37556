#pragma once

// A WASI command (a module that exports `_start`) set up and run over a WasiContext: the
// steps `wasmkern run` (hosted/wasi/wasi_command.*) and a process of the OS
// (kernel/proc/process.cpp) share. The embedder makes the context over its own WasiSystem,
// installs stdio (handles of that system) and opens its preopened directories; then
//   add_command_line, add_command_preopen  (before instantiating)
//   define_command                         (into the linker the instance is made with)
//   bind_command                           (once instantiated)
//   run_start                              (the outcome: exit status, trap or error)

#include <optional>

#include "base/result.h"
#include "base/span.h"
#include "base/string_view.h"
#include "engine/runtime/instance.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/store.h"
#include "engine/runtime/trap.h"
#include "engine/wasi/exit.h"
#include "engine/wasi/wasi_context.h"

namespace wk::engine::wasi {

// argv (the program first, as argv[0]) and the environment ("KEY=VALUE" each).
Result<void> add_command_line(WasiContext& context, Span<const StringView> arguments,
                              Span<const StringView> environment);

// Preopens `directory`, a handle of the context's system, as `guest_name` at the next free
// descriptor. The context owns the handle once added; when it cannot be added it is closed.
Result<void> add_command_preopen(WasiContext& context, HostHandle directory, StringView guest_name);

// Defines wasi_snapshot_preview1 in `linker` over `context` (define_wasi) and makes
// proc_exit end the running call (unwind_on_exit): a proc_exit while instantiating (the start
// function) fails the instantiation, and context.exit_status() then holds the status.
Result<void> define_command(runtime::Store& store, runtime::Linker& linker, WasiContext& context);

// Guest pointers refer to the export "memory" when it is a memory, else memory 0; a module
// without memory gets EFAULT for every pointer.
void bind_command(WasiContext& context, const runtime::Instance& instance);

struct CommandOutcome {
    std::optional<u32> exit_status; // set when the guest called proc_exit
    std::optional<TrapInfo> trap;   // set when _start trapped (not through proc_exit)

    // The command's exit status: proc_exit's, kTrapExitStatus after a trap, else 0.
    u32 status() const { return exit_status ? *exit_status : trap ? kTrapExitStatus : 0; }
};

// Calls the instance's `_start` (bind_command first). Errors: Unlinkable "the module exports no
// _start function", Invalid "_start must take no parameters and return no results", and those
// of runtime::invoke; a proc_exit or a trap is an outcome, and a proc_exit wins over whatever
// the call returned.
Result<CommandOutcome> run_start(runtime::Store& store, const runtime::Instance& instance, WasiContext& context);

} // namespace wk::engine::wasi
