// compile_bench [--tier baseline|optimized] FILE.wasm [REPEAT]: decode+validate and
// compile throughput of one tier (default baseline). A benchmark program, not a test.

#include <chrono>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "engine/compile/compiler.h"
#include "engine/runtime/loaded_module.h"

using namespace wk;
using namespace wk::engine;

int main(int argc, char** argv)
{
    compile::CompileOptions options;
    if (argc > 2 && std::string(argv[1]) == "--tier") {
        auto tier = compile::parse_tier(StringView(argv[2]));
        if (!tier) {
            std::fprintf(stderr, "compile_bench: unknown tier '%s'\n", argv[2]);
            return 2;
        }
        options.tier = *tier;
        argc -= 2;
        argv += 2;
    }
    if (argc < 2) {
        std::fprintf(stderr, "usage: compile_bench [--tier baseline|optimized] FILE.wasm [REPEAT]\n");
        return 2;
    }
    int repeat = argc > 2 ? std::atoi(argv[2]) : 3;
    std::ifstream file(argv[1], std::ios::binary);
    std::stringstream buffer;
    buffer << file.rdbuf();
    std::string bytes = buffer.str();
    double best_load = 1e9, best_compile = 1e9;
    compile::CompileStatistics statistics;
    for (int i = 0; i < repeat; ++i) {
        Vector<u8> copy;
        MUST(copy.try_resize(bytes.size()));
        __builtin_memcpy(copy.data(), bytes.data(), bytes.size());
        // NOTE: CPU time of this process, so that other load on the machine does not count.
        auto now = [] {
            timespec ts;
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
            return ts.tv_sec + ts.tv_nsec * 1e-9;
        };
        double start = now();
        auto loaded = runtime::LoadedModule::create(std::move(copy));
        double loaded_at = now();
        if (loaded.is_error()) {
            std::fprintf(stderr, "load: %s at %llu\n", loaded.error().message(), (unsigned long long)loaded.error().offset());
            return 1;
        }
        statistics = {};
        auto code = compile::compile_module(*loaded.value(), &statistics, options);
        double end = now();
        if (code.is_error()) {
            std::fprintf(stderr, "compile: %s at %llu\n", code.error().message(), (unsigned long long)code.error().offset());
            return 1;
        }
        best_load = std::min(best_load, loaded_at - start);
        best_compile = std::min(best_compile, end - loaded_at);
    }
    double module_mb = bytes.size() / 1e6;
    double code_mb = statistics.wasm_code_bytes / 1e6;
    std::printf("%s: %.2f MB module, %.2f MB of function bodies, %u functions\n", argv[1], module_mb, code_mb, statistics.functions);
    std::printf("(CPU time, best of %d)\n", repeat);
    std::printf("decode+validate: %.1f ms (%.0f MB/s)\n", best_load * 1e3, module_mb / best_load);
    std::printf("compile+link:    %.1f ms (%.0f MB/s of bodies), %.2f MB machine code, %u trap sites\n", best_compile * 1e3,
                code_mb / best_compile, statistics.machine_code_bytes / 1e6, statistics.trap_sites);
    std::printf("total:           %.0f MB/s of module\n", module_mb / (best_load + best_compile));
    if (options.tier == compile::Tier::Optimized)
        std::printf("tier optimized:  %u functions optimised, %u left to the baseline\n", statistics.optimized_functions,
                    statistics.baseline_fallbacks);
    return 0;
}
