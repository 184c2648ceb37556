// sleep SECONDS: waits that long (a decimal number: 2, 0.25) and exits 0.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void usage(FILE* out)
{
    fprintf(out, "usage: sleep SECONDS\n"
                 "Waits SECONDS (a decimal number such as 2 or 0.25, at most 1000000), then exits 0.\n");
}

// Parses "D[.D...]" into nanoseconds. 0, or -1 when it is not such a number or too large.
static int parse_seconds(const char* text, unsigned long long* nanoseconds)
{
    unsigned long long whole = 0, fraction = 0, scale = 1000000000ull;
    const char* c = text;
    if (*c < '0' || *c > '9')
        return -1;
    for (; *c >= '0' && *c <= '9'; ++c) {
        whole = whole * 10 + (unsigned long long)(*c - '0');
        if (whole > 1000000)
            return -1;
    }
    if (*c == '.') {
        ++c;
        for (; *c >= '0' && *c <= '9'; ++c) {
            scale /= 10; // digits past nanoseconds count for nothing
            fraction += (unsigned long long)(*c - '0') * scale;
        }
    }
    if (*c != '\0')
        return -1;
    *nanoseconds = whole * 1000000000ull + fraction;
    return *nanoseconds > 1000000ull * 1000000000ull ? -1 : 0;
}

int main(int argc, char** argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (argc != 2) {
        fprintf(stderr, "sleep: %s\n", argc < 2 ? "missing SECONDS" : "too many arguments");
        usage(stderr);
        return 2;
    }
    unsigned long long nanoseconds;
    if (parse_seconds(argv[1], &nanoseconds) != 0) {
        fprintf(stderr, "sleep: %s: not a number of seconds (0 to 1000000)\n", argv[1]);
        return 2;
    }
    struct timespec remaining = { (time_t)(nanoseconds / 1000000000ull), (long)(nanoseconds % 1000000000ull) };
    while (nanosleep(&remaining, &remaining) != 0) {
        if (errno != EINTR) {
            fprintf(stderr, "sleep: %s\n", strerror(errno));
            return 1;
        }
    }
    return 0;
}
