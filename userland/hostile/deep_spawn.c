// Recurses deeper and deeper (the kernel stack under compiled wasm frames fills up) and calls
// spawn at the bottom each time. The kernel must refuse (nomem) once too little stack is left
// for it to decode and compile, instead of overflowing its own stack; the process ends
// normally. Each successful spawn's child (exit_code) is waited for.
#include <stdint.h>
#include <stdio.h>

#include "wasmkern.h"

static int attempt(int depth);
static int (*volatile g_attempt)(int) = attempt; // keeps the recursion a real call chain

static int attempt(int depth)
{
    if (depth > 0)
        return g_attempt(depth - 1) + 0 * depth;
    static const char path[] = "/bin/exit_code";
    static const char argv[] = "exit_code\0exit\0000";
    uint32_t pid = 0;
    int error = wasmkern_spawn(path, sizeof(path) - 1, argv, sizeof(argv), "", 0, 0, 1, 2, &pid);
    if (error == 0) {
        uint32_t status = 0;
        wasmkern_wait(pid, &status);
    }
    return error;
}

int main(void)
{
    for (int depth = 0; depth <= 200000; depth += 250) {
        int error = g_attempt(depth);
        if (error != 0) {
            printf("deep_spawn: spawn refused with errno %d at depth %d\n", error, depth);
            return error == 48 ? 0 : 1;
        }
    }
    printf("deep_spawn: never refused\n");
    return 1;
}
