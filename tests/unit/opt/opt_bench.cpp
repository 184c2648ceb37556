// Optimising-tier middle-end throughput: `opt_bench [-n runs] file.wasm...` prints,
// per file, MB/s of function bodies for the builder alone and for the builder plus
// the pass pipeline (best of the runs, or of two seconds of runs without -n), and how
// many functions the builder accepted. Not a test: a measuring tool.
// `opt_bench --print INDEX file.wasm` prints function INDEX's IR as built and after
// the pipeline (verified after each pass), or why it was refused.
// `opt_bench --inline file.wasm...` counts direct calls of defined functions and how
// many the inliner takes, and times builder + inliner + passes against builder + passes
// (best of 5 each).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "engine/module.h"
#include "engine/opt/builder.h"
#include "engine/opt/inline.h"
#include "engine/opt/passes.h"
#include "engine/opt/printer.h"
#include "engine/opt/verifier.h"

using namespace wk;
using namespace wk::engine;

namespace {

class StdoutSink final : public FormatSink {
public:
    void write(StringView text) override { std::fwrite(text.data(), 1, text.size(), stdout); }
};

int print_function(const char* path, u32 index)
{
    std::ifstream in(path, std::ios::binary);
    std::vector<u8> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto decoded = decode_module(ReadonlyBytes(bytes.data(), bytes.size()));
    if (decoded.is_error()) {
        std::printf("%s: %s\n", path, decoded.error().message());
        return 1;
    }
    Module module = decoded.release_value();
    if (auto valid = validate_module(module); valid.is_error()) {
        std::printf("%s: %s\n", path, valid.error().message());
        return 1;
    }
    opt::Builder builder(module);
    opt::Function function;
    if (auto built = builder.build(index, function); built.is_error()) {
        std::printf("function %u: %s (offset %llu)\n", index, built.error().message(),
                    static_cast<unsigned long long>(built.error().offset()));
        return 1;
    }
    StdoutSink out;
    std::printf(";; as built\n");
    opt::print_function(function, out);
    auto optimized = opt::optimize(function, { .verify = true, .module = &module, .log = &out, .verbose = true });
    std::printf(";; after the pipeline%s\n", optimized.is_error() ? " (verifier failed)" : "");
    opt::print_function(function, out);
    return optimized.is_error() ? 1 : 0;
}

int inline_stats(int argc, char** argv)
{
    for (int i = 2; i < argc; ++i) {
        std::ifstream in(argv[i], std::ios::binary);
        std::vector<u8> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        auto decoded = decode_module(ReadonlyBytes(bytes.data(), bytes.size()));
        if (decoded.is_error() || validate_module(*decoded).is_error()) {
            std::printf("%s: does not decode or validate\n", argv[i]);
            continue;
        }
        Module module = decoded.release_value();
        using Clock = std::chrono::steady_clock;
        double best[2] = { 1e9, 1e9 };
        u64 calls = 0, inlined = 0, insts[2] = { 0, 0 };
        for (int run = 0; run < 10; ++run) {
            bool with = run % 2 == 1;
            opt::Builder builder(module);
            opt::Inliner inliner(module);
            opt::Function function;
            calls = inlined = insts[with] = 0;
            auto start = Clock::now();
            for (u32 f = module.imported_function_count; f < module.functions.size(); ++f) {
                if (builder.build(f, function).is_error())
                    continue;
                for (opt::Block b : function.layout()) {
                    for (opt::Inst n : function.insts(b)) {
                        const opt::InstData& data = function.inst(n);
                        calls += data.op == opt::Op::Call && data.imm2 >= module.imported_function_count;
                    }
                }
                if (with) {
                    auto count = inliner.run(function);
                    if (count.is_error())
                        continue;
                    inlined += *count;
                }
                if (opt::optimize(function).is_error())
                    continue;
                for (opt::Block b : function.layout())
                    insts[with] += function.insts(b).size();
            }
            best[with] = std::min(best[with], std::chrono::duration<double>(Clock::now() - start).count());
        }
        std::printf("%s: %llu direct calls of defined functions, %llu inlined; IR instructions after the "
                    "pipeline %llu -> %llu; build+passes %.2f ms, with inlining %.2f ms\n",
                    argv[i], static_cast<unsigned long long>(calls), static_cast<unsigned long long>(inlined),
                    static_cast<unsigned long long>(insts[0]), static_cast<unsigned long long>(insts[1]),
                    best[0] * 1e3, best[1] * 1e3);
    }
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc >= 3 && std::string(argv[1]) == "--inline")
        return inline_stats(argc, argv);
    if (argc == 4 && std::string(argv[1]) == "--print")
        return print_function(argv[3], static_cast<u32>(std::atoi(argv[2])));
    int fixed_runs = 0;
    int first = 1;
    if (argc > 2 && std::string(argv[1]) == "-n") {
        fixed_runs = std::atoi(argv[2]);
        first = 3;
    }
    for (int i = first; i < argc; ++i) {
        std::ifstream in(argv[i], std::ios::binary);
        std::vector<u8> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        auto decoded = decode_module(ReadonlyBytes(bytes.data(), bytes.size()));
        if (decoded.is_error()) {
            std::printf("%s: %s\n", argv[i], decoded.error().message());
            continue;
        }
        Module module = decoded.release_value();
        if (auto valid = validate_module(module); valid.is_error()) {
            std::printf("%s: %s\n", argv[i], valid.error().message());
            continue;
        }
        u64 code_bytes = 0;
        for (const Code& code : module.codes)
            code_bytes += code.size;
        using Clock = std::chrono::steady_clock;
        opt::Builder builder(module);
        opt::Function function;
        double best_build = 1e9, best_total = 1e9;
        usize accepted = 0, instructions = 0;
        auto deadline = Clock::now() + std::chrono::seconds(2);
        int runs = 0;
        while (fixed_runs ? runs < fixed_runs : (runs < 3 || Clock::now() < deadline)) {
            double build_time = 0;
            auto start = Clock::now();
            accepted = 0;
            instructions = 0;
            for (u32 f = module.imported_function_count; f < module.functions.size(); ++f) {
                auto before = Clock::now();
                bool ok = !builder.build(f, function).is_error();
                build_time += std::chrono::duration<double>(Clock::now() - before).count();
                if (!ok)
                    continue;
                instructions += function.inst_count();
                if (opt::optimize(function).is_error())
                    continue;
                ++accepted;
            }
            best_total = std::min(best_total, std::chrono::duration<double>(Clock::now() - start).count());
            best_build = std::min(best_build, build_time);
            ++runs;
        }
        double megabytes = code_bytes / 1e6;
        std::printf("%s: %.2f MB of code, %zu/%zu functions accepted, %zu IR instructions built; "
                    "build %.1f MB/s, build+passes %.1f MB/s (%.2f ms, best of %d)\n",
                    argv[i], megabytes, accepted, module.codes.size(), instructions, megabytes / best_build,
                    megabytes / best_total, best_total * 1e3, runs);
    }
    return 0;
}
