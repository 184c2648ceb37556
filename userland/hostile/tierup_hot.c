// Tier-up in the kernel (docs/optimizing-compiler.md, "Tier-up in the kernel"): a function
// called far more often than the tier-up threshold, and two loops in main, which is called
// once (so only on-stack replacement moves them to optimised code). Prints what it computed;
// the test compares that with the same program run by the hosted tool in the baseline tier.
//   tierup_hot [N]   N calls and 5 N loop iterations (default 200000)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static uint32_t mix(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

__attribute__((noinline)) static double weigh(double value, uint32_t i) { return value * 0.5 + (double)(i & 1023) / 7.0; }

// Called through these (call_indirect), so that clang keeps the calls: both functions are
// pure, and it would otherwise fold them into main's loop.
static uint32_t (*volatile g_mix)(uint32_t) = mix;
static double (*volatile g_weigh)(double, uint32_t) = weigh;

int main(int argc, char** argv)
{
    uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], 0, 10) : 200000;
    uint32_t calls = 0;
    double weight = 1.0;
    for (uint32_t i = 0; i < n; ++i) {
        calls += g_mix(i);
        weight = g_weigh(weight, i);
    }
    uint64_t acc = 1;
    for (uint32_t i = 0; i < 5 * n; ++i) {
        acc = acc * 6364136223846793005ull + i;
        acc ^= acc >> 29;
    }
    printf("tierup_hot: %u calls sum %u, weight %.6f, loop %llu\n", n, calls, weight, (unsigned long long)acc);
    return 0;
}
