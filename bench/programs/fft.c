/* Iterative radix-2 complex FFT: forward transform, a pointwise filter, inverse transform,
 * repeated for a fixed number of rounds. Twiddle factors come from a Taylor series written
 * here, so every runtime sees bit-identical inputs (libm's sin/cos differ between libcs). */
#include "bench.h"

#define kPi 3.14159265358979323846
#define kRounds 10

/* sin and cos of x in [0, pi/2] by Taylor series; 12 terms reach double precision there. */
static void sin_cos_quadrant(double x, double* s, double* c)
{
    double x2 = x * x;
    double term_s = x, term_c = 1.0, sum_s = x, sum_c = 1.0;
    for (int k = 1; k <= 12; k++) {
        term_s *= -x2 / ((2.0 * k) * (2.0 * k + 1.0));
        term_c *= -x2 / ((2.0 * k - 1.0) * (2.0 * k));
        sum_s += term_s;
        sum_c += term_c;
    }
    *s = sum_s;
    *c = sum_c;
}

/* sin and cos of x in [0, pi). */
static void sin_cos(double x, double* s, double* c)
{
    if (x <= kPi / 2) {
        sin_cos_quadrant(x, s, c);
        return;
    }
    sin_cos_quadrant(kPi - x, s, c);
    *c = -*c;
}

static void transform(double* re, double* im, double const* w_re, double const* w_im, int n, int inverse)
{
    for (int i = 1, j = 0; i < n; i++) {
        int bit = n >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j ^= bit;
        if (i < j) {
            double t = re[i];
            re[i] = re[j];
            re[j] = t;
            t = im[i];
            im[i] = im[j];
            im[j] = t;
        }
    }
    for (int len = 2; len <= n; len <<= 1) {
        int half = len >> 1;
        int stride = n / len;
        for (int base = 0; base < n; base += len) {
            for (int k = 0; k < half; k++) {
                double wr = w_re[k * stride];
                double wi = inverse ? -w_im[k * stride] : w_im[k * stride];
                int p = base + k, q = p + half;
                double tr = re[q] * wr - im[q] * wi;
                double ti = re[q] * wi + im[q] * wr;
                re[q] = re[p] - tr;
                im[q] = im[p] - ti;
                re[p] += tr;
                im[p] += ti;
            }
        }
    }
    if (inverse) {
        double scale = 1.0 / n;
        for (int i = 0; i < n; i++) {
            re[i] *= scale;
            im[i] *= scale;
        }
    }
}

int main(int argc, char** argv)
{
    int requested = (int)bench_size(argc, argv, 1 << 14);
    int n = 2;
    while (n < requested)
        n <<= 1;
    uint64_t start = bench_now_ns();

    double* re = bench_alloc(sizeof(double) * n);
    double* im = bench_alloc(sizeof(double) * n);
    double* w_re = bench_alloc(sizeof(double) * (n / 2));
    double* w_im = bench_alloc(sizeof(double) * (n / 2));
    for (int k = 0; k < n / 2; k++) {
        double s, c;
        sin_cos(2.0 * kPi * k / n, &s, &c);
        w_re[k] = c;
        w_im[k] = -s;
    }
    BenchRng rng = bench_rng(99);
    for (int i = 0; i < n; i++) {
        re[i] = bench_unit(&rng) - 0.5;
        im[i] = bench_unit(&rng) - 0.5;
    }

    uint64_t hash = 0;
    for (int round = 0; round < kRounds; round++) {
        transform(re, im, w_re, w_im, n, 0);
        hash = bench_mix(hash, bench_f64_bits(re[round % n]));
        /* Low-pass filter: damp the upper half of the spectrum so rounds do not repeat. */
        for (int i = n / 4; i < n - n / 4; i++) {
            re[i] *= 0.5;
            im[i] *= 0.5;
        }
        transform(re, im, w_re, w_im, n, 1);
    }
    for (int i = 0; i < n; i++)
        hash = bench_mix(bench_mix(hash, bench_f64_bits(re[i])), bench_f64_bits(im[i]));
    uint64_t end = bench_now_ns();
    free(re);
    free(im);
    free(w_re);
    free(w_im);
    bench_report(hash, start, end);
    return 0;
}
