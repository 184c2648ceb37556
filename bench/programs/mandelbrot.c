/* Mandelbrot set over [-2, 0.5] x [-1.25, 1.25] on an n x n grid, at most 200 iterations
 * per point; hashes the iteration count of every point. Tight floating-point loop with a
 * data-dependent exit. */
#include "bench.h"

#define kMaxIterations 200

int main(int argc, char** argv)
{
    int n = (int)bench_size(argc, argv, 400);
    uint64_t start = bench_now_ns();

    uint64_t hash = 0, inside = 0;
    for (int py = 0; py < n; py++) {
        double ci = -1.25 + 2.5 * py / n;
        uint64_t row_hash = 0;
        for (int px = 0; px < n; px++) {
            double cr = -2.0 + 2.5 * px / n;
            double zr = 0.0, zi = 0.0, zr2 = 0.0, zi2 = 0.0;
            int iteration = 0;
            while (iteration < kMaxIterations && zr2 + zi2 <= 4.0) {
                zi = 2.0 * zr * zi + ci;
                zr = zr2 - zi2 + cr;
                zr2 = zr * zr;
                zi2 = zi * zi;
                iteration++;
            }
            inside += iteration == kMaxIterations;
            row_hash = row_hash * 31 + (uint64_t)iteration;
        }
        hash = bench_mix(hash, row_hash);
    }
    hash = bench_mix(hash, inside);
    uint64_t end = bench_now_ns();
    bench_report(hash, start, end);
    return 0;
}
