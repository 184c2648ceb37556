#include "engine/compile/compiler.h"
#include <cstdlib>
#include <cstdio>
#include <string_view>

#include "hosted/cli.h"
#include "hosted/platform/wasm_stack.h"
#include "hosted/wasi/posix_system.h"

using namespace wk::hosted;

namespace {

constexpr char const* kUsage = R"text(usage: wasmkern COMMAND [ARGS...]

commands:
  run [OPTIONS] FILE [ARGS...]  run a WASI command, or call an export (--invoke NAME)
  validate FILE...              decode and validate .wasm or .wat files
  wat2wasm IN.wat -o OUT.wasm   encode a text module in the binary format
  dump FILE                     print the sections, types, imports, exports and functions
  wast [--json] FILE...         run .wast spec scripts up to execution
  help [COMMAND]                print this help or a command's

`wasmkern COMMAND --help` prints a command's help.
Exit status: 0 success, 1 bad input or unreadable file, 2 wrong command line;
`run` exits with the guest's status, 134 after a trap.
)text";

struct Subcommand {
    std::string_view name;
    int (*run)(Arguments);
    char const* const* usage;
};

constexpr Subcommand kSubcommands[] = {
    { "run", run_command, &kRunUsage },
    { "validate", validate_command, &kValidateUsage },
    { "wat2wasm", wat2wasm_command, &kWat2WasmUsage },
    { "dump", dump_command, &kDumpUsage },
    { "wast", wast_command, &kWastUsage },
};

Subcommand const* find_subcommand(std::string_view name)
{
    for (Subcommand const& subcommand : kSubcommands) {
        if (subcommand.name == name)
            return &subcommand;
    }
    return nullptr;
}

struct SubcommandCall {
    Subcommand const* subcommand;
    Arguments arguments;
};

int run_subcommand(void* raw)
{
    auto* call = static_cast<SubcommandCall*>(raw);
    return call->subcommand->run(call->arguments);
}

} // namespace

int main(int argc, char** argv)
{
    // Before anything opens a file: a closed stderr must not be taken by a guest's file.
    if (!PosixWasiSystem::reserve_standard_descriptors())
        return kExitFailure;
    if (argc < 2)
        return usage_error("missing command", kUsage);
    // NOTE: temporary until --tier exists.
    if (const char* tier = std::getenv("WK_TIER"); tier && std::string_view(tier) == "optimized")
        wk::engine::compile::set_default_optimized(true, std::getenv("WK_TIER_LOG") ? +[](const wk::Error& error, wk::u32 index) {
            std::fprintf(stderr, "fallback %u: %s\n", index, error.message());
        } : nullptr);
    std::string_view name = argv[1];
    if (is_help(name)) {
        if (argc == 2) {
            std::fputs(kUsage, stdout);
            return kExitOk;
        }
        if (argc > 3)
            return usage_error("help takes at most one command", kUsage);
        Subcommand const* subcommand = find_subcommand(argv[2]);
        if (!subcommand)
            return usage_error(std::string("unknown command '") + argv[2] + "'", kUsage);
        std::fputs(*subcommand->usage, stdout);
        return kExitOk;
    }
    Subcommand const* subcommand = find_subcommand(name);
    if (!subcommand) {
        if (is_option(name))
            return usage_error(std::string("unknown option '") + argv[1] + "'", kUsage);
        return usage_error(std::string("unknown command '") + argv[1] + "'", kUsage);
    }
    // NOTE: every command runs on a stack of a fixed size (hosted/platform/wasm_stack.h),
    // so the depth wasm code may reach is the same under any `ulimit -s`.
    SubcommandCall call { subcommand, Arguments(argv + 2, static_cast<std::size_t>(argc - 2)) };
    auto status = wk::platform::run_on_wasm_stack(run_subcommand, &call);
    if (status.is_error()) {
        std::fprintf(stderr, "wasmkern: %s\n", status.error().message());
        return kExitFailure;
    }
    return status.value();
}
