// Decode+validate throughput: `engine_bench [-n runs] file.wasm...` prints MB/s
// per file (best of the runs, or of two seconds of runs without -n).
#include <chrono>
#include <cstdlib>
#include <string>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>

#include "engine/module.h"

using namespace wk;
using namespace wk::engine;

int main(int argc, char** argv)
{
    int fixed_runs = 0;
    int first = 1;
    if (argc > 2 && std::string(argv[1]) == "-n") {
        fixed_runs = std::atoi(argv[2]);
        first = 3;
    }
    for (int i = first; i < argc; ++i) {
        std::ifstream in(argv[i], std::ios::binary);
        std::vector<u8> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        ReadonlyBytes input(bytes.data(), bytes.size());
        auto check = decode_module(input);
        if (!check || !validate_module(*check)) {
            auto error = check ? validate_module(*check).error() : check.error();
            std::printf("%s: %s at %llu\n", argv[i], error.message(), static_cast<unsigned long long>(error.offset()));
            continue;
        }
        using Clock = std::chrono::steady_clock;
        double best_decode = 1e9, best_total = 1e9;
        auto deadline = Clock::now() + std::chrono::seconds(2);
        int runs = 0;
        while (fixed_runs ? runs < fixed_runs : (runs < 3 || Clock::now() < deadline)) {
            auto start = Clock::now();
            auto module = decode_module(input);
            auto decoded = Clock::now();
            auto valid = validate_module(*module);
            auto end = Clock::now();
            if (!valid)
                return 1;
            best_decode = std::min(best_decode, std::chrono::duration<double>(decoded - start).count());
            best_total = std::min(best_total, std::chrono::duration<double>(end - start).count());
            ++runs;
        }
        double megabytes = bytes.size() / 1e6;
        std::printf("%s: %.2f MB, %zu functions, decode %.1f MB/s, decode+validate %.1f MB/s (%.2f ms, best of %d)\n",
                    argv[i], megabytes, check->codes.size(), megabytes / best_decode, megabytes / best_total,
                    best_total * 1e3, runs);
    }
    return 0;
}
