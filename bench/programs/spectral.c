/* Spectral norm of the infinite matrix a(i,j) = 1 / ((i+j)(i+j+1)/2 + i + 1), truncated to
 * n x n, by power iteration on A^T A (ten rounds). Division-heavy floating point. */
#include "bench.h"

#include <math.h>

static double entry(int i, int j)
{
    int64_t s = (int64_t)i + j;
    return 1.0 / (double)(s * (s + 1) / 2 + i + 1);
}

/* out = A * in */
static void times(double const* in, double* out, int n)
{
    for (int i = 0; i < n; i++) {
        double sum = 0.0;
        for (int j = 0; j < n; j++)
            sum += entry(i, j) * in[j];
        out[i] = sum;
    }
}

/* out = A^T * in */
static void times_transposed(double const* in, double* out, int n)
{
    for (int i = 0; i < n; i++) {
        double sum = 0.0;
        for (int j = 0; j < n; j++)
            sum += entry(j, i) * in[j];
        out[i] = sum;
    }
}

static void times_normal(double const* in, double* out, double* scratch, int n)
{
    times(in, scratch, n);
    times_transposed(scratch, out, n);
}

int main(int argc, char** argv)
{
    int n = (int)bench_size(argc, argv, 500);
    uint64_t start = bench_now_ns();

    double* u = bench_alloc(sizeof(double) * n);
    double* v = bench_alloc(sizeof(double) * n);
    double* scratch = bench_alloc(sizeof(double) * n);
    for (int i = 0; i < n; i++)
        u[i] = 1.0;
    for (int round = 0; round < 10; round++) {
        times_normal(u, v, scratch, n);
        times_normal(v, u, scratch, n);
    }
    double vbv = 0.0, vv = 0.0;
    for (int i = 0; i < n; i++) {
        vbv += u[i] * v[i];
        vv += v[i] * v[i];
    }
    double norm = sqrt(vbv / vv);

    uint64_t hash = bench_f64_bits(norm);
    for (int i = 0; i < n; i++)
        hash = bench_mix(hash, bench_f64_bits(u[i]));
    uint64_t end = bench_now_ns();
    free(u);
    free(v);
    free(scratch);
    bench_report(hash, start, end);
    return 0;
}
