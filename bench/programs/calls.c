/* Call-heavy code: naive recursive Fibonacci (direct calls) and a loop dispatching through
 * a table of function pointers (call_indirect in wasm). Measures call and return cost,
 * argument passing and, in wasm, the signature check of indirect calls. */
#include "bench.h"

__attribute__((noinline)) static uint64_t fib(uint32_t n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

typedef uint64_t (*Step)(uint64_t, uint64_t);

__attribute__((noinline)) static uint64_t step_add(uint64_t x, uint64_t k) { return x + k; }
__attribute__((noinline)) static uint64_t step_xor(uint64_t x, uint64_t k) { return x ^ (k * 0x9e3779b97f4a7c15u); }
__attribute__((noinline)) static uint64_t step_rotate(uint64_t x, uint64_t k) { return (x << 7 | x >> 57) + (k & 1); }
__attribute__((noinline)) static uint64_t step_multiply(uint64_t x, uint64_t k) { return x * (2 * k + 1); }

static Step volatile const kSteps[4] = { step_add, step_xor, step_rotate, step_multiply };

int main(int argc, char** argv)
{
    int64_t n = bench_size(argc, argv, 30);
    uint64_t start = bench_now_ns();

    uint64_t hash = bench_mix(0, fib((uint32_t)n));
    uint64_t x = 1;
    /* About as many indirect calls as fib made direct ones (fib(n) makes ~0.9 * 1.618^n). */
    int64_t dispatches = (int64_t)1 << (n < 12 ? 3 : n - 9 < 40 ? n - 9 : 40);
    for (int64_t i = 0; i < dispatches; i++)
        x = kSteps[(x >> 13) & 3](x, (uint64_t)i);
    hash = bench_mix(hash, x);
    uint64_t end = bench_now_ns();
    bench_report(hash, start, end);
    return 0;
}
