// Decode+validate throughput: `engine_bench file.wasm...` prints MB/s per file.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>

#include "engine/module.h"

using namespace wk;
using namespace wk::engine;

int main(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i) {
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
        while (runs < 3 || Clock::now() < deadline) {
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
