// wk-bench instantiate [FILE.wasm] [RUNS]: the time of Store::instantiate alone — imports
// resolved, memories, tables and globals created, segments copied — median over RUNS
// fresh stores after a warm-up. Store and linker set-up and teardown are outside the
// timing. Without FILE, two built-in modules: one function without memory, and one with a
// 64 KiB memory and a data segment.

#include "bench/tools/commands.h"

#include <algorithm>
#include <cctype>

#include "engine/compile/invoke.h"

namespace wk::bench {

using namespace engine;

namespace {

constexpr std::string_view kNoMemoryWat = R"wat((module (func (export "f"))))wat";
constexpr std::string_view kMemoryWat = R"wat((module
  (memory (export "memory") 1)
  (data (i32.const 16) "wasmkern benchmark data segment")
  (func (export "f"))))wat";

bool is_count(std::string_view text)
{
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

// Median and minimum instantiation time of `bytes`, or nothing after printing why.
std::optional<std::pair<u64, u64>> measure(const char* what, const std::string& bytes, u64 runs)
{
    auto compiled = compile::load_and_compile(to_vector(bytes));
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

void print(const char* key, std::pair<u64, u64> times)
{
    std::printf("%s: %llu\n%s_min: %llu\n", key, static_cast<unsigned long long>(times.first), key,
                static_cast<unsigned long long>(times.second));
}

} // namespace

int instantiate_command(const Arguments& args)
{
    if (args.size() > 2)
        return usage_error("instantiate takes [FILE.wasm] [RUNS]");
    bool builtin = args.empty() || is_count(args[0]);
    if (builtin && args.size() > 1)
        return usage_error("instantiate takes [FILE.wasm] [RUNS]");
    auto runs = parse_count(args, builtin ? 0 : 1, 200);
    if (!runs)
        return kExitFailure;
    if (builtin) {
        auto no_memory = measure("built-in module without memory", wat_module(kNoMemoryWat), *runs);
        auto memory = measure("built-in module with memory", wat_module(kMemoryWat), *runs);
        if (!no_memory || !memory)
            return kExitFailure;
        print("instantiate_no_memory_ns", *no_memory);
        print("instantiate_memory_ns", *memory);
        return kExitOk;
    }
    std::string path(args[0]);
    auto bytes = read_file(path.c_str());
    if (!bytes)
        return kExitFailure;
    auto times = measure(path.c_str(), *bytes, *runs);
    if (!times)
        return kExitFailure;
    print("instantiate_ns", *times);
    return kExitOk;
}

} // namespace wk::bench
