// dmesg: the kernel log (every line the kernel logged, at every level), from wasmkern.dmesg.
// The kernel keeps the newest 64 KiB; when older bytes were dropped, the first line says how
// many and the partial line that follows them is left out.
#include "wasmkern.h"

#include <stdio.h>
#include <string.h>

enum { kLogCapacity = 64 * 1024 };
static char g_log[kLogCapacity];

int main(int argc, char** argv)
{
    if (argc > 1) {
        if (strcmp(argv[1], "--help") == 0) {
            printf("usage: dmesg\nPrints the kernel log (the newest 64 KiB of it).\n");
            return 0;
        }
        fprintf(stderr, "dmesg: unknown argument %s\nusage: dmesg\n", argv[1]);
        return 2;
    }
    struct WkLogInfo info;
    int error = wasmkern_dmesg(g_log, sizeof g_log, &info);
    if (error) {
        fprintf(stderr, "dmesg: %s\n", strerror(error));
        return 1;
    }
    size_t copied = info.copied < sizeof g_log ? info.copied : sizeof g_log;
    size_t start = 0;
    if (info.dropped > 0) {
        printf("dmesg: %llu older bytes were dropped\n", (unsigned long long)info.dropped);
        const char* newline = memchr(g_log, '\n', copied);
        start = newline ? (size_t)(newline - g_log) + 1 : copied;
    }
    if (fwrite(g_log + start, 1, copied - start, stdout) != copied - start || fflush(stdout) != 0) {
        fprintf(stderr, "dmesg: cannot write the log\n");
        return 1;
    }
    return 0;
}
