/* Pancake flipping over every permutation of 1..n: for each permutation, repeatedly reverse
 * the prefix whose length is the first element until the first element is 1; reports the
 * largest flip count and a position-weighted sum of flip counts. Permutations are visited
 * in lexicographic order (next-permutation). Integer, branchy, tiny working set. */
#include "bench.h"

#define kMaxN 16

static int next_permutation(int* p, int n)
{
    int i = n - 2;
    while (i >= 0 && p[i] > p[i + 1])
        i--;
    if (i < 0)
        return 0;
    int j = n - 1;
    while (p[j] < p[i])
        j--;
    int t = p[i];
    p[i] = p[j];
    p[j] = t;
    for (int lo = i + 1, hi = n - 1; lo < hi; lo++, hi--) {
        t = p[lo];
        p[lo] = p[hi];
        p[hi] = t;
    }
    return 1;
}

int main(int argc, char** argv)
{
    int n = (int)bench_size(argc, argv, 9);
    if (n > kMaxN)
        n = kMaxN;
    uint64_t start = bench_now_ns();

    int perm[kMaxN], work[kMaxN];
    for (int i = 0; i < n; i++)
        perm[i] = i + 1;
    uint64_t index = 0, weighted = 0;
    int max_flips = 0;
    do {
        for (int i = 0; i < n; i++)
            work[i] = perm[i];
        int flips = 0;
        for (int first = work[0]; first != 1; first = work[0]) {
            for (int lo = 0, hi = first - 1; lo < hi; lo++, hi--) {
                int t = work[lo];
                work[lo] = work[hi];
                work[hi] = t;
            }
            flips++;
        }
        if (flips > max_flips)
            max_flips = flips;
        weighted += (uint64_t)flips * ((index & 7) + 1);
        index++;
    } while (next_permutation(perm, n));

    uint64_t hash = bench_mix(bench_mix(bench_mix(0, (uint64_t)max_flips), weighted), index);
    uint64_t end = bench_now_ns();
    bench_report(hash, start, end);
    return 0;
}
