/* Process spawn cost on Linux: posix_spawn of a static do-nothing child, then waitpid for
 * it; prints the median and the minimum in microseconds over N spawns. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

extern char** environ;

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int compare(void const* a, void const* b)
{
    double x = *(double const*)a, y = *(double const*)b;
    return (x > y) - (x < y);
}

int main(int argc, char** argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CHILD [SPAWNS]\n", argv[0]);
        return 2;
    }
    int spawns = argc > 2 ? atoi(argv[2]) : 200;
    double* times = malloc(sizeof(double) * spawns);
    char* child_argv[] = { argv[1], NULL };
    for (int i = 0; i < spawns; i++) {
        double start = now_us();
        pid_t pid;
        if (posix_spawn(&pid, argv[1], NULL, NULL, child_argv, environ) != 0) {
            perror("posix_spawn");
            return 1;
        }
        int status;
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "spawn: child failed\n");
            return 1;
        }
        times[i] = now_us() - start;
    }
    qsort(times, spawns, sizeof times[0], compare);
    printf("us_median: %.1f\nus_min: %.1f\n", times[spawns / 2], times[0]);
    return 0;
}
