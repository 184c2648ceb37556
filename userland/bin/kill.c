// kill PID...: ends each process (its parent's wait then reports status 137).
#include "wasmkern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE* out)
{
    fprintf(out, "usage: kill PID...\n"
                 "Ends each process; its parent's wait reports status 137. `ps` lists the PIDs.\n");
}

int main(int argc, char** argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (argc == 1) {
        fprintf(stderr, "kill: missing process id\n");
        usage(stderr);
        return 2;
    }
    int status = 0;
    for (int i = 1; i < argc; ++i) {
        char* end;
        unsigned long pid = strtoul(argv[i], &end, 10);
        if (argv[i][0] < '0' || argv[i][0] > '9' || *end != '\0' || pid > UINT32_MAX) {
            fprintf(stderr, "kill: %s: not a process id\n", argv[i]);
            status = 1;
            continue;
        }
        int error = wasmkern_kill((uint32_t)pid);
        if (error) {
            fprintf(stderr, "kill: %s: %s\n", argv[i], strerror(error));
            status = 1;
        }
    }
    return status;
}
