/* LU decomposition with partial pivoting (Doolittle, in place, row-major), n x n doubles;
 * then solves A x = b with the factors and hashes L, U, the pivots and x. */
#include "bench.h"

static double magnitude(double value)
{
    return value < 0 ? -value : value;
}

int main(int argc, char** argv)
{
    int n = (int)bench_size(argc, argv, 300);
    uint64_t start = bench_now_ns();

    double* m = bench_alloc(sizeof(double) * n * n);
    double* rhs = bench_alloc(sizeof(double) * n);
    int* pivot = bench_alloc(sizeof(int) * n);
    BenchRng rng = bench_rng(7);
    for (int i = 0; i < n * n; i++)
        m[i] = bench_unit(&rng) * 2.0 - 1.0;
    for (int i = 0; i < n; i++)
        rhs[i] = bench_unit(&rng);

    for (int k = 0; k < n; k++) {
        int best = k;
        double best_value = magnitude(m[(size_t)k * n + k]);
        for (int i = k + 1; i < n; i++) {
            double value = magnitude(m[(size_t)i * n + k]);
            if (value > best_value) {
                best = i;
                best_value = value;
            }
        }
        pivot[k] = best;
        if (best != k) {
            double* r0 = m + (size_t)k * n;
            double* r1 = m + (size_t)best * n;
            for (int j = 0; j < n; j++) {
                double t = r0[j];
                r0[j] = r1[j];
                r1[j] = t;
            }
            double t = rhs[k];
            rhs[k] = rhs[best];
            rhs[best] = t;
        }
        double const* prow = m + (size_t)k * n;
        double inverse = 1.0 / prow[k];
        for (int i = k + 1; i < n; i++) {
            double* row = m + (size_t)i * n;
            double factor = row[k] * inverse;
            row[k] = factor;
            for (int j = k + 1; j < n; j++)
                row[j] -= factor * prow[j];
        }
    }

    /* Forward substitution with unit-diagonal L, then back substitution with U. */
    for (int i = 0; i < n; i++) {
        double sum = rhs[i];
        for (int j = 0; j < i; j++)
            sum -= m[(size_t)i * n + j] * rhs[j];
        rhs[i] = sum;
    }
    for (int i = n - 1; i >= 0; i--) {
        double sum = rhs[i];
        for (int j = i + 1; j < n; j++)
            sum -= m[(size_t)i * n + j] * rhs[j];
        rhs[i] = sum / m[(size_t)i * n + i];
    }

    uint64_t hash = 0;
    for (int i = 0; i < n * n; i++)
        hash = bench_mix(hash, bench_f64_bits(m[i]));
    for (int i = 0; i < n; i++)
        hash = bench_mix(bench_mix(hash, (uint64_t)pivot[i]), bench_f64_bits(rhs[i]));
    uint64_t end = bench_now_ns();
    free(m);
    free(rhs);
    free(pivot);
    bench_report(hash, start, end);
    return 0;
}
