#pragma once

#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "engine/runtime/instance.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/store.h"
#include "engine/wasi/wasi_context.h"
#include "hosted/wasi/posix_system.h"

namespace wk::hosted {

// `wasmkern run [--dir HOST[::GUEST]]... [--tcplisten ADDRESS:PORT]... [--net] [--env K=V]... [--invoke NAME] [--tier TIER]
// [--log-fallbacks] FILE [ARGS...]`.
struct WasiCommandOptions {
    std::vector<std::pair<std::string, std::string>> directories; // host path, guest name
    std::vector<std::string> listeners;                           // --tcplisten ADDRESS:PORT
    std::vector<std::string> environment;                         // "K=V"
    std::optional<std::string> invoke;                            // the export to call instead of _start
    std::optional<std::string> tier;                              // the compiler tier's name (the caller checks it)
    bool network { false };                                       // --net: the wasmkern network calls may connect
    bool log_fallbacks { false };                                 // report the optimising tier's fallbacks
    bool baseline_isa { false };                                  // optimising tier: SSE forms only
    std::optional<std::string> tier_threshold;                    // tiered: the budget (the caller checks it)
    bool tier_sync { false };                                     // tiered: compile hot functions inline
    bool lazy { false };                                          // compile each function at its first call
    bool tier_stats { false };                                    // tiered: print the tier-up counts at exit
    std::optional<std::string> layout_seed;                       // function order's seed (the caller checks it)
    std::vector<std::string> arguments;                           // FILE, then ARGS
};

// Parses the arguments after `run`. A directory without ::GUEST keeps its host path
// as the guest name (as wasmtime does). Options stop at the first non-option; "--"
// ends them explicitly. On error returns false with a message in `error`.
bool parse_wasi_command_line(std::span<char const* const> args, WasiCommandOptions& options, std::string& error);

// proc_exit statuses below this are the tool's exit status; others are an error
// (wasmtime's rule: WASI exit statuses are [0, 126)).
inline constexpr u32 kMaxGuestExitStatus = 126;

// The WASI side of one `wasmkern run`: the POSIX system and a context holding this
// process's stdio (duplicates; a closed one stays closed for the guest), the arguments
// (FILE first, as argv[0]), the environment and the preopened directories.
//
// Use: create(), define() into the linker before instantiating, bind() the instance,
// call into it, then exit_status() tells whether the guest called proc_exit. After
// define(), proc_exit unwinds the innermost wasm activation (the call that entered wasm
// returns as if it trapped); the context must outlive every call into the instance.
// The `wasmkern` network calls under `wasmkern run` (docs/networking.md, "Outbound"): `handles`
// lists one root-resource handle with the net right when `network` (--net) is set, none
// otherwise, and `sock_connect` connects with a Linux socket when given that handle (`badf`
// for any other value). The kernel's other wasmkern calls are not defined here.
Result<void> define_wasmkern_net(engine::runtime::Store&, engine::runtime::Linker&, engine::wasi::WasiContext&,
                                 bool network);

class WasiCommand {
public:
    // Every error is also printed on `diagnostics`: a preopened directory that cannot be
    // opened ("--dir HOST: cannot open: REASON") or added, an address that cannot be
    // listened on ("--tcplisten ADDRESS: REASON"), stdio that cannot be
    // duplicated, allocation failures ("cannot set up WASI: REASON").
    static Result<std::unique_ptr<WasiCommand>> create(const WasiCommandOptions&, std::FILE* diagnostics);

    // Defines all of wasi_snapshot_preview1 in `linker` as host functions of `store`.
    Result<void> define(engine::runtime::Store&, engine::runtime::Linker&);
    // Guest pointers refer to the export "memory" when it is a memory, else memory 0;
    // a module without memory gets EFAULT for every pointer.
    void bind(const engine::runtime::Instance&);

    std::optional<u32> exit_status() const { return m_context.exit_status(); }
    engine::wasi::WasiContext& context() { return m_context; }

private:
    Result<void> set_up(const WasiCommandOptions&, std::FILE* diagnostics);

    WasiCommand()
        : m_context(m_system)
    {
    }

    PosixWasiSystem m_system;
    bool m_network { false };
    engine::wasi::WasiContext m_context;
};

} // namespace wk::hosted
