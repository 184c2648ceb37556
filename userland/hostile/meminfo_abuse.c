// Calls wasmkern.meminfo as a hostile program would: a buffer past the end of memory, one too
// short. Each must come back with its errno (printed) and write nothing; then a good call.
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "wasmkern.h"

int main(void)
{
    struct WkMemoryRecord record;
    printf("meminfo_abuse: out of bounds -> %d\n", wasmkern_meminfo((void*)0xFFFFFFF0u, 32));
    uintptr_t end = __builtin_wasm_memory_size(0) * 65536u;
    printf("meminfo_abuse: past the end by one -> %d\n", wasmkern_meminfo((void*)(end - 31), 32));
    memset(&record, 0xAB, sizeof record);
    int error = wasmkern_meminfo(&record, 31);
    printf("meminfo_abuse: 31 bytes -> %d, untouched %d\n", error, record.total_bytes == 0xABABABABABABABABull);
    error = wasmkern_meminfo(&record, sizeof record);
    printf("meminfo_abuse: good -> %d, free <= total %d, heap used <= held %d\n", error,
        record.total_bytes > 0 && record.free_bytes <= record.total_bytes,
        record.heap_used_bytes <= record.heap_held_bytes);
    return 0;
}
