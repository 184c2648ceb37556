/* Shared by every benchmark program: size argument, timing, checksum mixing, a PRNG.
 *
 * Contract with the harness (bench/harness/bench.py): a program takes its size as argv[1],
 * does its work, and prints exactly two lines on stdout:
 *     checksum: <16 hex digits>
 *     time_ns: <nanoseconds of the work, CLOCK_MONOTONIC>
 * The checksum must be identical on every runtime, so programs use fixed-width integer
 * types only (long is 32 bits on wasm32), never hash a pointer, and use no libm function
 * other than sqrt (IEEE-exact everywhere; sin/cos/exp differ between glibc and wasi-libc). */
#pragma once

#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c17 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline int64_t bench_size(int argc, char** argv, int64_t fallback)
{
    if (argc < 2)
        return fallback;
    char* end = NULL;
    long long value = strtoll(argv[1], &end, 10);
    if (end == argv[1] || *end != '\0' || value <= 0) {
        fprintf(stderr, "%s: size must be a positive integer, got '%s'\n", argv[0], argv[1]);
        exit(2);
    }
    return (int64_t)value;
}

static inline void bench_report(uint64_t checksum, uint64_t start_ns, uint64_t end_ns)
{
    printf("checksum: %016llx\n", (unsigned long long)checksum);
    printf("time_ns: %llu\n", (unsigned long long)(end_ns - start_ns));
}

/* NOTE: the checksum is order-sensitive on purpose: a permuted result is a wrong result. */
static inline uint64_t bench_mix(uint64_t hash, uint64_t value)
{
    hash ^= value + 0x9e3779b97f4a7c15u + (hash << 6) + (hash >> 2);
    hash *= 0xff51afd7ed558ccdu;
    return hash ^ (hash >> 32);
}

static inline uint64_t bench_f64_bits(double value)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

/* xorshift64*: small, fast, and the same sequence everywhere. */
typedef struct {
    uint64_t state;
} BenchRng;

static inline BenchRng bench_rng(uint64_t seed)
{
    BenchRng rng = { seed ? seed : 0x853c49e6748fea9bu };
    return rng;
}

static inline uint64_t bench_next(BenchRng* rng)
{
    uint64_t x = rng->state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng->state = x;
    return x * 0x2545f4914f6cdd1du;
}

/* Uniform double in [0, 1) from the top 53 bits. */
static inline double bench_unit(BenchRng* rng)
{
    return (double)(bench_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

static inline void* bench_alloc(size_t bytes)
{
    void* memory = malloc(bytes);
    if (!memory) {
        fprintf(stderr, "out of memory (%zu bytes)\n", bytes);
        exit(3);
    }
    return memory;
}
