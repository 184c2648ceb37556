// Calls wasmkern.dmesg as a hostile program would: a buffer and an info record past the end of
// memory, a length that wraps. Each must come back with its errno (printed) and write
// nothing; then a zero-length and a short read, which copy the newest bytes.
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "wasmkern.h"

static char g_text[64];

int main(void)
{
    struct WkLogInfo info;
    uintptr_t end = __builtin_wasm_memory_size(0) * 65536u;
    memset(&info, 0xAB, sizeof info);
    memset(g_text, 'z', sizeof g_text);
    printf("dmesg_abuse: buffer out of bounds -> %d\n", wasmkern_dmesg((void*)0xFFFFFFF0u, 64, &info));
    printf("dmesg_abuse: buffer past the end by one -> %d\n", wasmkern_dmesg((void*)(end - 63), 64, &info));
    printf("dmesg_abuse: wrapping length -> %d\n", wasmkern_dmesg(g_text, 0xFFFFFFFFu, &info));
    printf("dmesg_abuse: info past the end -> %d\n", wasmkern_dmesg(g_text, sizeof g_text, (void*)(end - 15)));
    printf("dmesg_abuse: untouched %d %d\n", info.dropped == 0xABABABABABABABABull, g_text[0] == 'z');
    int error = wasmkern_dmesg(g_text, 0, &info);
    printf("dmesg_abuse: empty -> %d, copied %u, held > 0 %d\n", error, info.copied, info.held > 0);
    error = wasmkern_dmesg(g_text, 16, &info);
    printf("dmesg_abuse: 16 bytes -> %d, copied %u, ends the newest line %d, rest untouched %d\n", error,
        info.copied, g_text[15] == '\n', g_text[16] == 'z');
    return 0;
}
