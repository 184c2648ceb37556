// Sleeps 1 ms at a time for MS milliseconds (argument, default 2000) and prints how often it
// woke: a process hogging the CPU in long kernel calls must not stop it from waking. With one
// busy process beside it, a sleeper wakes about once per 10 ms time slice.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long long now_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

int main(int argc, char** argv)
{
    long long ms = argc > 1 ? atoll(argv[1]) : 2000;
    const struct timespec one_ms = { 0, 1000000 };
    long long start = now_ns();
    long long wakeups = 0;
    while (now_ns() - start < ms * 1000000LL) {
        nanosleep(&one_ms, NULL);
        ++wakeups;
    }
    long long elapsed_ms = (now_ns() - start) / 1000000LL;
    printf("wakeup_count: %lld wakeups in %lld ms\n", wakeups, elapsed_ms);
    return 0;
}
