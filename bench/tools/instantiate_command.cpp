// wk-bench instantiate [--tier baseline|optimized] FILE.wasm [RUNS]: the time of
// Store::instantiate alone — imports resolved (WASI preview1 and bench.nop are available),
// memories, tables and globals created, segments copied — median over RUNS fresh stores
// after a warm-up. Store and linker set-up and teardown are outside the timing. The
// harness passes its tiny modules (with and without memory, the same bytes V8
// instantiates) and the benchmark programs.
// The tier (baseline by default) compiles the module before the timing; it matters to
// instantiation only through what the code object holds.

#include "bench/tools/commands.h"

#include "engine/compile/compiled_module.h"

namespace wk::bench {

using namespace engine;

namespace {

// Median and minimum instantiation time of `bytes`, or nothing after printing why.
std::optional<std::pair<u64, u64>> measure(const char* what, const std::string& bytes, u64 runs,
                                           const compile::CompileOptions& options)
{
    auto compiled = compile::load_and_compile(to_vector(bytes), Features {}, options);
    if (compiled.is_error()) {
        print_error(what, compiled.error());
        return std::nullopt;
    }
    std::vector<u64> samples;
    for (u64 run = 0; run <= runs; ++run) {
        auto imports = BenchImports::create();
        if (imports.is_error()) {
            print_error(what, imports.error());
            return std::nullopt;
        }
        auto& store = (*imports)->store();
        u64 start = now_ns();
        auto instance = store.instantiate(*compiled->module, (*imports)->linker());
        u64 end = now_ns();
        if (instance.is_error()) {
            print_error(what, instance.error());
            return std::nullopt;
        }
        if (run > 0)
            samples.push_back(end - start);
    }
    return std::pair { median(samples), minimum(samples) };
}

} // namespace

int instantiate_command(const Arguments& arguments)
{
    Arguments args = arguments;
    compile::CompileOptions options;
    if (!take_tier_option(args, options))
        return kExitUsage;
    if (args.empty() || args.size() > 2)
        return usage_error("instantiate takes [--tier baseline|optimized] FILE.wasm [RUNS]");
    auto runs = parse_count(args, 1, 200);
    std::string path(args[0]);
    auto bytes = read_file(path.c_str());
    if (!runs || !bytes)
        return kExitFailure;
    auto times = measure(path.c_str(), *bytes, *runs, options);
    if (!times)
        return kExitFailure;
    std::printf("instantiate_ns: %llu\ninstantiate_min_ns: %llu\n", static_cast<unsigned long long>(times->first),
                static_cast<unsigned long long>(times->second));
    return kExitOk;
}

} // namespace wk::bench
