// date [-u] [-d @SECONDS] [+FORMAT]: prints the time of the realtime clock (or SECONDS since
// 1970), always in UTC (there is no time zone database): `Thu Jan  1 00:00:00 UTC 1970`, or
// FORMAT with strftime's directives.
#include "wasmkern.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE* out)
{
    fprintf(out, "usage: date [-u] [-d @SECONDS] [+FORMAT]\n"
                 "Prints the current time (or SECONDS since 1970-01-01 UTC) in UTC, like `date -u`.\n"
                 "FORMAT uses strftime's directives (%%Y-%%m-%%d %%H:%%M:%%S, %%s seconds since 1970).\n");
}

int main(int argc, char** argv)
{
    const char* format = "%a %b %e %H:%M:%S UTC %Y";
    struct timespec now;
    if (clock_gettime(CLOCK_REALTIME, &now) != 0) {
        perror("date: realtime clock");
        return 1;
    }
    time_t seconds = now.tv_sec;
    for (int i = 1; i < argc; ++i) {
        const char* arg = argv[i];
        if (strcmp(arg, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(arg, "-u") == 0)
            continue;
        if (strcmp(arg, "-d") == 0 && i + 1 < argc) {
            const char* value = argv[++i];
            unsigned long long given;
            int negative = value[0] == '@' && value[1] == '-';
            if (value[0] != '@' || wk_parse_count(value + 1 + negative, &given) != 0 || given > (1ull << 40)) {
                fprintf(stderr, "date: invalid date: %s (only @SECONDS)\n", value);
                return 1;
            }
            seconds = negative ? -(time_t)given : (time_t)given;
            continue;
        }
        if (arg[0] == '+') {
            format = arg + 1;
            continue;
        }
        fprintf(stderr, "date: unknown argument %s\n", arg);
        usage(stderr);
        return 1;
    }
    struct tm parts;
    if (!gmtime_r(&seconds, &parts)) {
        fprintf(stderr, "date: time out of range\n");
        return 1;
    }
    // strftime's 0 is ambiguous (an empty result, or too small a buffer), so the buffer is
    // sized for the longest result: no directive yields more than 64 bytes (%c, %A...).
    size_t format_length = strlen(format);
    if (format_length > 65536) {
        fprintf(stderr, "date: format too long (%zu bytes)\n", format_length);
        return 1;
    }
    size_t capacity = 64 * (format_length + 1);
    char* text = malloc(capacity);
    if (!text) {
        fprintf(stderr, "date: %s\n", strerror(ENOMEM));
        return 1;
    }
    size_t length = strftime(text, capacity, format, &parts);
    fwrite(text, 1, length, stdout);
    putchar('\n');
    free(text);
    return wk_finish_output("date");
}
