/* Gravitational n-body simulation: 64 bodies with random masses, positions and velocities,
 * all-pairs forces with softening, symplectic Euler steps; size = number of steps.
 * Floating-point, sqrt- and division-heavy, small working set. */
#include "bench.h"

#include <math.h>

#define kBodies 64

typedef struct {
    double x, y, z, vx, vy, vz, mass;
} Body;

static double energy(Body const* bodies)
{
    double e = 0.0;
    for (int i = 0; i < kBodies; i++) {
        Body const* a = &bodies[i];
        e += 0.5 * a->mass * (a->vx * a->vx + a->vy * a->vy + a->vz * a->vz);
        for (int j = i + 1; j < kBodies; j++) {
            Body const* b = &bodies[j];
            double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
            e -= a->mass * b->mass / sqrt(dx * dx + dy * dy + dz * dz + 0.01);
        }
    }
    return e;
}

int main(int argc, char** argv)
{
    int steps = (int)bench_size(argc, argv, 1000);
    uint64_t start = bench_now_ns();

    Body bodies[kBodies];
    BenchRng rng = bench_rng(2024);
    for (int i = 0; i < kBodies; i++) {
        bodies[i].x = bench_unit(&rng) * 10.0 - 5.0;
        bodies[i].y = bench_unit(&rng) * 10.0 - 5.0;
        bodies[i].z = bench_unit(&rng) * 10.0 - 5.0;
        bodies[i].vx = bench_unit(&rng) - 0.5;
        bodies[i].vy = bench_unit(&rng) - 0.5;
        bodies[i].vz = bench_unit(&rng) - 0.5;
        bodies[i].mass = 0.5 + bench_unit(&rng);
    }
    uint64_t hash = bench_f64_bits(energy(bodies));

    double const dt = 0.001;
    for (int step = 0; step < steps; step++) {
        for (int i = 0; i < kBodies; i++) {
            Body* a = &bodies[i];
            for (int j = i + 1; j < kBodies; j++) {
                Body* b = &bodies[j];
                double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
                double d2 = dx * dx + dy * dy + dz * dz + 0.01;
                double magnitude = dt / (d2 * sqrt(d2));
                double ma = a->mass * magnitude, mb = b->mass * magnitude;
                a->vx -= dx * mb;
                a->vy -= dy * mb;
                a->vz -= dz * mb;
                b->vx += dx * ma;
                b->vy += dy * ma;
                b->vz += dz * ma;
            }
        }
        for (int i = 0; i < kBodies; i++) {
            bodies[i].x += dt * bodies[i].vx;
            bodies[i].y += dt * bodies[i].vy;
            bodies[i].z += dt * bodies[i].vz;
        }
    }

    hash = bench_mix(hash, bench_f64_bits(energy(bodies)));
    for (int i = 0; i < kBodies; i++) {
        hash = bench_mix(hash, bench_f64_bits(bodies[i].x));
        hash = bench_mix(hash, bench_f64_bits(bodies[i].vz));
    }
    uint64_t end = bench_now_ns();
    bench_report(hash, start, end);
    return 0;
}
