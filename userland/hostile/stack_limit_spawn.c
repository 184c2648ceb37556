// Runs a program with a chosen stack limit (wasmkern spawn_with_stack), for the tests of the
// growable process stacks (tests/kernel/process-stacks.sh):
//   stack_limit_spawn KIB PATH [ARGS...]
// spawns PATH with a KIB KiB stack for its wasm frames (0: the default), waits and prints
// "stack_limit_spawn: status S", or "stack_limit_spawn: errno E" when spawn refused.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasmkern.h"

int main(int argc, char** argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: stack_limit_spawn KIB PATH [ARGS...]\n");
        return 2;
    }
    uint64_t kib = strtoull(argv[1], NULL, 10);
    uint32_t bytes = kib > UINT32_MAX / 1024 ? UINT32_MAX : (uint32_t)(kib * 1024);
    struct WkStrings packed = { 0 };
    for (int i = 2; i < argc; ++i) {
        if (wk_strings_append(&packed, argv[i]) != 0)
            return 3;
    }
    const char* path = argv[2];
    uint32_t pid = 0;
    int error = wasmkern_spawn_with_stack(path, strlen(path), packed.data, packed.length, "", 0, 0, 1, 2, &pid, bytes);
    wk_strings_free(&packed);
    if (error != 0) {
        printf("stack_limit_spawn: errno %d\n", error);
        return 0;
    }
    uint32_t status = 0;
    error = wasmkern_wait(pid, &status);
    if (error != 0) {
        printf("stack_limit_spawn: wait failed with errno %d\n", error);
        return 1;
    }
    printf("stack_limit_spawn: status %u\n", status);
    return 0;
}
