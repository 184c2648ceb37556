// uptime: how long the system has been up, from the monotonic clock (which counts from boot
// on Wasmkern; hosted, it is the host's): `up 2 days, 03:04:05 (183845.123 s)`.
#include "wasmkern.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int main(int argc, char** argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: uptime\n"
               "Prints the time since boot (the monotonic clock) as `up [D days, ]HH:MM:SS (S s)`.\n");
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "uptime: unexpected argument %s\nusage: uptime\n", argv[1]);
        return 2;
    }
    struct timespec now;
    if (clock_gettime(CLOCK_MONOTONIC, &now) != 0) {
        perror("uptime: monotonic clock");
        return 1;
    }
    unsigned long long seconds = (unsigned long long)now.tv_sec;
    unsigned long long days = seconds / 86400;
    printf("up ");
    if (days > 0)
        printf("%llu day%s, ", days, days == 1 ? "" : "s");
    printf("%02llu:%02llu:%02llu (%llu.%03ld s)\n", seconds / 3600 % 24, seconds / 60 % 60, seconds % 60, seconds,
        now.tv_nsec / 1000000);
    return wk_finish_output("uptime");
}
