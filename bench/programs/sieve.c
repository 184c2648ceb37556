/* Sieve of Eratosthenes over odd numbers below n (one byte per odd number), run three times
 * over the same buffer; reports the prime count and a hash of primes sampled across the
 * range. Memory-bound with strided stores. */
#include "bench.h"

int main(int argc, char** argv)
{
    int64_t n = bench_size(argc, argv, 1000000);
    if (n < 3)
        n = 3;
    uint64_t start = bench_now_ns();

    int64_t odds = n / 2; /* index i stands for 2i + 1 */
    uint8_t* composite = bench_alloc((size_t)odds);
    uint64_t hash = 0;
    for (int round = 0; round < 3; round++) {
        memset(composite, 0, (size_t)odds);
        composite[0] = 1; /* 1 is not prime */
        for (int64_t i = 1; (2 * i + 1) * (2 * i + 1) < n; i++) {
            if (composite[i])
                continue;
            int64_t p = 2 * i + 1;
            for (int64_t j = (p * p) / 2; j < odds; j += p)
                composite[j] = 1;
        }
        uint64_t count = 1; /* the prime 2 */
        for (int64_t i = 1; i < odds; i++) {
            if (!composite[i]) {
                count++;
                if ((count & 1023) == 0)
                    hash = bench_mix(hash, (uint64_t)(2 * i + 1));
            }
        }
        hash = bench_mix(hash, count);
    }
    uint64_t end = bench_now_ns();
    free(composite);
    bench_report(hash, start, end);
    return 0;
}
