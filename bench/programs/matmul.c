/* Dense double-precision matrix multiply C = A * B, n x n, i-k-j loop order
 * (streams rows of B and C; floating-point, memory-bound for large n). */
#include "bench.h"

int main(int argc, char** argv)
{
    int n = (int)bench_size(argc, argv, 300);
    uint64_t start = bench_now_ns();

    double* a = bench_alloc(sizeof(double) * n * n);
    double* b = bench_alloc(sizeof(double) * n * n);
    double* c = bench_alloc(sizeof(double) * n * n);
    BenchRng rng = bench_rng(42);
    for (int i = 0; i < n * n; i++) {
        a[i] = bench_unit(&rng) - 0.5;
        b[i] = bench_unit(&rng) - 0.5;
        c[i] = 0.0;
    }

    for (int i = 0; i < n; i++) {
        double* row = c + (size_t)i * n;
        for (int k = 0; k < n; k++) {
            double scale = a[(size_t)i * n + k];
            double const* brow = b + (size_t)k * n;
            for (int j = 0; j < n; j++)
                row[j] += scale * brow[j];
        }
    }

    uint64_t hash = 0;
    for (int i = 0; i < n * n; i++)
        hash = bench_mix(hash, bench_f64_bits(c[i]));
    uint64_t end = bench_now_ns();
    free(a);
    free(b);
    free(c);
    bench_report(hash, start, end);
    return 0;
}
