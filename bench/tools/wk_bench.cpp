// wk-bench: wasmkern's own measurements for bench/harness/bench.py. See commands.h.

#include <cstdio>
#include <string>

#include "bench/tools/commands.h"

namespace wk::bench {

namespace {

constexpr const char* kUsage = R"text(usage: wk-bench COMMAND [ARGS...]

commands (figures on stdout as `key: value` lines, in ns unless the key says otherwise):
  compile [--tier T] FILE.wasm [RUNS]
                                 decode+validate+compile+link, median of RUNS (20): compile_ns,
                                 compile_min_ns, validate_ns, codegen_ns, code_bytes, mb_per_s,
                                 tier, optimized_functions, baseline_fallbacks (the functions the
                                 optimising tier compiled and those it left to the baseline;
                                 both 0 with the baseline)
  instantiate [--tier T] FILE.wasm [RUNS]
                                 Store::instantiate with WASI and bench.nop available, of the
                                 module compiled by tier T, median of RUNS (200):
                                 instantiate_ns, instantiate_min_ns
  hostcall [FILE.wasm] [CALLS]   ns per call of wasm calling an empty host function: spin(CALLS)
                                 (10000000) calling bench.nop, native entry and array-call entry
  xcall [CALLS]                  the engine's part of a kernel direct call: wasm calls a host
                                 function that invokes another store's instance (2000000
                                 calls): ns_per_xcall, ticks_per_xcall (TSC), and the same for
                                 an empty host call beside it
  code [--tier T] [--osr F:L] FILE.wasm OUT.bin
                                 write the code compiled by tier T (functions in index order)
                                 and print each function's offset, size and name; with --osr,
                                 the OSR version of function F entered at the loop at module
                                 byte offset L instead (unlinked), as tier-up compiles it

--tier T: the compiler tier, baseline (the default) or optimized (the optimising tier; a
function it cannot compile falls back to the baseline).
`wk-bench COMMAND --help` prints this text.
)text";

struct Subcommand {
    std::string_view name;
    int (*run)(const Arguments&);
};

constexpr Subcommand kSubcommands[] = {
    { "compile", compile_command },
    { "instantiate", instantiate_command },
    { "hostcall", hostcall_command },
    { "xcall", xcall_command },
    { "code", code_command },
};

} // namespace

int usage_error(std::string_view message)
{
    std::fprintf(stderr, "wk-bench: %.*s\n\n%s", static_cast<int>(message.size()), message.data(), kUsage);
    return kExitUsage;
}

} // namespace wk::bench

int main(int argc, char** argv)
{
    using namespace wk::bench;
    if (argc < 2)
        return usage_error("missing command");
    std::string_view name = argv[1];
    if (name == "help" || name == "--help" || name == "-h") {
        std::fputs(kUsage, stdout);
        return kExitOk;
    }
    Arguments args(argv + 2, argv + argc);
    for (std::string_view arg : args) {
        if (arg == "--help" || arg == "-h") {
            std::fputs(kUsage, stdout);
            return kExitOk;
        }
    }
    for (const Subcommand& subcommand : kSubcommands) {
        if (subcommand.name == name)
            return subcommand.run(args);
    }
    return usage_error("unknown command '" + std::string(name) + "'");
}
