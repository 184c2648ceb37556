// wk-bench compile [--tier baseline|optimized] [--lazy] FILE.wasm [RUNS]: decode+validate and
// compile+link of one module by the given tier (the baseline by default), RUNS times after
// a warm-up, on this thread (the compiler is single-threaded).
// The same work as V8's `new WebAssembly.Module`, which the harness times beside it.

#include "bench/tools/commands.h"

#include "engine/compile/compiler.h"
#include "engine/runtime/loaded_module.h"

namespace wk::bench {

using namespace engine;

int compile_command(const Arguments& arguments)
{
    Arguments args = arguments;
    compile::CompileOptions options;
    if (!take_tier_option(args, options))
        return kExitUsage;
    // --lazy: the module's part of lazy compilation only (stubs, slots, trampolines); the
    // functions are compiled later, at their first calls.
    if (!args.empty() && args[0] == std::string_view("--lazy")) {
        options.lazy = true;
        args.erase(args.begin());
    }
    if (args.empty() || args.size() > 2)
        return usage_error("compile takes [--tier baseline|optimized] [--lazy] FILE.wasm [RUNS]");
    std::string path(args[0]);
    auto runs = parse_count(args, 1, 20);
    auto bytes = read_file(path.c_str());
    if (!runs || !bytes)
        return kExitFailure;

    std::vector<u64> validate, codegen, total;
    compile::CompileStatistics statistics;
    for (u64 run = 0; run <= *runs; ++run) {
        Vector<u8> copy = to_vector(*bytes);
        statistics = {};
        u64 start = now_ns();
        auto loaded = runtime::LoadedModule::create(std::move(copy));
        u64 validated = now_ns();
        if (loaded.is_error())
            return print_error(path.c_str(), loaded.error());
        auto code = compile::compile_module(*loaded.value(), &statistics, options);
        u64 end = now_ns();
        if (code.is_error())
            return print_error(path.c_str(), code.error());
        if (run == 0)
            continue; // warm-up: the allocator's and the code memory's first pages
        validate.push_back(validated - start);
        codegen.push_back(end - validated);
        total.push_back(end - start);
    }
    u64 code_bytes = code_section_bytes(*bytes);
    std::printf("module_bytes: %zu\ncode_bytes: %llu\nfunctions: %u\nmachine_code_bytes: %llu\n", bytes->size(),
                static_cast<unsigned long long>(code_bytes), statistics.functions,
                static_cast<unsigned long long>(statistics.machine_code_bytes));
    // Both 0 with the baseline; with the optimising tier they add up to `functions`.
    StringView tier = compile::tier_name(options.tier);
    std::printf("tier: %.*s\noptimized_functions: %u\nbaseline_fallbacks: %u\n", static_cast<int>(tier.size()),
                tier.data(), statistics.optimized_functions, statistics.baseline_fallbacks);
    std::printf("validate_ns: %llu\ncodegen_ns: %llu\ncompile_ns: %llu\ncompile_min_ns: %llu\n",
                static_cast<unsigned long long>(median(validate)), static_cast<unsigned long long>(median(codegen)),
                static_cast<unsigned long long>(median(total)), static_cast<unsigned long long>(minimum(total)));
    std::printf("mb_per_s: %.1f\n", static_cast<double>(code_bytes) / static_cast<double>(median(total)) * 1e3);
    return kExitOk;
}

} // namespace wk::bench
