/* Cost of the cheapest Linux system call on this machine: getpid through syscall(2) (glibc
 * no longer caches getpid, and syscall() rules out any caching). Prints the median of 7
 * timed batches in ns per call. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int compare(void const* a, void const* b)
{
    double x = *(double const*)a, y = *(double const*)b;
    return (x > y) - (x < y);
}

int main(int argc, char** argv)
{
    long calls = argc > 1 ? atol(argv[1]) : 1000000;
    double batches[7];
    long sink = 0;
    for (int b = 0; b < 7; b++) {
        double start = now_ns();
        for (long i = 0; i < calls; i++)
            sink += syscall(SYS_getpid);
        batches[b] = (now_ns() - start) / calls;
    }
    qsort(batches, 7, sizeof batches[0], compare);
    printf("ns_per_call: %.1f\n", batches[3]);
    return sink == 0; /* keeps the calls; a pid is never 0 */
}
