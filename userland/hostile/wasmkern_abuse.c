// Calls the wasmkern imports with what a hostile program passes: pointers past the end of
// memory, unterminated argv, closed descriptors, forged handles. Each must come back with its
// errno (printed), never crash the kernel or write outside memory.
#include <stdint.h>
#include <stdio.h>

#include "wasmkern.h"

static void show(const char* what, int error) { printf("wasmkern_abuse: %s -> %d\n", what, error); }

int main(void)
{
    uint32_t pid = 0;
    uint32_t status = 0;
    const char* far = (const char*)0xFFFFFFF0u;
    show("spawn path out of bounds", wasmkern_spawn(far, 64, "x", 2, "", 0, 0, 1, 2, &pid));
    show("spawn pid_out out of bounds",
         wasmkern_spawn("/bin/hello", 10, "hello", 6, "", 0, 0, 1, 2, (uint32_t*)0xFFFFFFFCu));
    show("spawn argv without NUL", wasmkern_spawn("/bin/hello", 10, "hello", 5, "", 0, 0, 1, 2, &pid));
    show("spawn closed stdin", wasmkern_spawn("/bin/hello", 10, "hello", 6, "", 0, 77, 1, 2, &pid));
    show("spawn missing file", wasmkern_spawn("/bin/nothing", 12, "x", 2, "", 0, 0, 1, 2, &pid));
    show("spawn not a module", wasmkern_spawn("/etc/motd", 9, "x", 2, "", 0, 0, 1, 2, &pid));
    show("wait forged handle", wasmkern_wait(999999, &status));
    show("wait status out of bounds", wasmkern_wait(1, (uint32_t*)0xFFFFFFFEu));
    show("kill forged handle", wasmkern_kill(999999));
    uint32_t count = 0;
    show("ps buffer out of bounds", wasmkern_ps(0, (void*)0xFFFFFF00u, 4096, &count));
    struct WkProcessRecord records[2];
    // Started from the kernel console: no root resource, so no process list.
    show("ps without the root resource", wasmkern_ps(0, records, sizeof(records), &count));
    return 0;
}
