// kill PID...: ends each process (its parent's wait then reports status 137). Any pid needs
// the root resource, which the shell hands to kill (docs/process-abi.md, "Handles").
#include "wasmkern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE* out)
{
    fprintf(out, "usage: kill PID...\n"
                 "Ends each process; its parent's wait reports status 137. `ps` lists the PIDs.\n"
                 "Needs the root resource, which the shell hands to kill.\n");
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
    uint32_t resource = 0;
    if (wk_find_handle(WK_OBJECT_RESOURCE, WK_RIGHT_MANAGE, &resource) != 0) {
        fprintf(stderr, "kill: no root resource (only the first shell hands it to kill)\n");
        return 1;
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
        uint32_t process = 0;
        int error = wasmkern_process_by_pid(resource, (uint32_t)pid, &process);
        if (!error) {
            error = wasmkern_kill(process);
            wasmkern_handle_close(process);
        }
        if (error) {
            fprintf(stderr, "kill: %s: %s\n", argv[i], strerror(error));
            status = 1;
        }
    }
    return status;
}
