/* Quicksort (Hoare partition, median-of-three pivot, insertion sort below 16 elements,
 * recursion on the smaller side) of n pseudo-random 32-bit keys, then of n keys with
 * many duplicates; checks the order and hashes the sorted arrays. */
#include "bench.h"

static void insertion_sort(uint32_t* a, int64_t n)
{
    for (int64_t i = 1; i < n; i++) {
        uint32_t key = a[i];
        int64_t j = i - 1;
        while (j >= 0 && a[j] > key) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = key;
    }
}

static void swap(uint32_t* a, int64_t i, int64_t j)
{
    uint32_t t = a[i];
    a[i] = a[j];
    a[j] = t;
}

static void quicksort(uint32_t* a, int64_t n)
{
    while (n > 16) {
        int64_t mid = n / 2;
        if (a[mid] < a[0])
            swap(a, mid, 0);
        if (a[n - 1] < a[0])
            swap(a, n - 1, 0);
        if (a[n - 1] < a[mid])
            swap(a, n - 1, mid);
        uint32_t pivot = a[mid];
        int64_t i = -1, j = n;
        for (;;) {
            do
                i++;
            while (a[i] < pivot);
            do
                j--;
            while (a[j] > pivot);
            if (i >= j)
                break;
            swap(a, i, j);
        }
        /* a[0..j] <= pivot <= a[j+1..n) */
        int64_t left = j + 1;
        if (left < n - left) {
            quicksort(a, left);
            a += left;
            n -= left;
        } else {
            quicksort(a + left, n - left);
            n = left;
        }
    }
    insertion_sort(a, n);
}

static uint64_t sort_and_hash(uint32_t* a, int64_t n)
{
    quicksort(a, n);
    uint64_t hash = 0;
    for (int64_t i = 0; i < n; i++) {
        if (i > 0 && a[i - 1] > a[i]) {
            fprintf(stderr, "quicksort: out of order at %lld\n", (long long)i);
            exit(1);
        }
        if ((i & 255) == 0)
            hash = bench_mix(hash, a[i]);
    }
    return hash;
}

int main(int argc, char** argv)
{
    int64_t n = bench_size(argc, argv, 1000000);
    uint64_t start = bench_now_ns();

    uint32_t* a = bench_alloc(sizeof(uint32_t) * (size_t)n);
    BenchRng rng = bench_rng(5);
    for (int64_t i = 0; i < n; i++)
        a[i] = (uint32_t)(bench_next(&rng) >> 32);
    uint64_t hash = sort_and_hash(a, n);
    for (int64_t i = 0; i < n; i++)
        a[i] = (uint32_t)(bench_next(&rng) >> 32) % 1000;
    hash = bench_mix(hash, sort_and_hash(a, n));
    uint64_t end = bench_now_ns();
    free(a);
    bench_report(hash, start, end);
    return 0;
}
