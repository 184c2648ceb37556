// poweroff [STATUS]: stops the machine; QEMU exits with STATUS (default 0).
#include "wasmkern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: poweroff [STATUS]\n"
               "Turns the machine off; QEMU exits with STATUS (0 to 255, default 0).\n"
               "Needs the root resource, which the shell hands to poweroff.\n");
        return 0;
    }
    if (argc > 2) {
        fprintf(stderr, "poweroff: too many arguments\nusage: poweroff [STATUS]\n");
        return 2;
    }
    long status = 0;
    if (argc == 2) {
        char* end;
        status = strtol(argv[1], &end, 10);
        if (argv[1][0] == '\0' || *end != '\0' || status < 0 || status > 255) {
            fprintf(stderr, "poweroff: %s: not a status (0 to 255)\n", argv[1]);
            return 2;
        }
    }
    uint32_t resource = 0;
    if (wk_find_handle(WK_OBJECT_RESOURCE, WK_RIGHT_POWER, &resource) != 0) {
        fprintf(stderr, "poweroff: no root resource (only the first shell hands it to poweroff)\n");
        return 1;
    }
    fflush(stdout);
    int error = wasmkern_poweroff(resource, (int32_t)status);
    fprintf(stderr, "poweroff: the machine is still running: %s\n", strerror(error));
    return 1;
}
