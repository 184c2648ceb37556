// free [-b | -k | -m]: the machine's physical memory and the kernel heap, from
// wasmkern.meminfo, in KiB (default), bytes or MiB (rounded down).
#include "wasmkern.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char** argv)
{
    unsigned shift = 10;
    for (int i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "--help") == 0) {
            printf("usage: free [-b | -k | -m]\n"
                   "Prints the total, used and free physical memory (Mem:) and the kernel heap's pages\n"
                   "(Heap:, part of the used memory) in KiB, or bytes (-b) or MiB (-m).\n");
            return 0;
        }
        if (strcmp(argv[i], "-b") == 0)
            shift = 0;
        else if (strcmp(argv[i], "-k") == 0)
            shift = 10;
        else if (strcmp(argv[i], "-m") == 0)
            shift = 20;
        else {
            fprintf(stderr, "free: unknown argument %s\nusage: free [-b | -k | -m]\n", argv[i]);
            return 2;
        }
    }
    struct WkMemoryRecord record;
    int error = wasmkern_meminfo(&record, sizeof record);
    if (error) {
        fprintf(stderr, "free: meminfo: %s\n", strerror(error));
        return 1;
    }
    unsigned long long free_bytes = record.free_bytes < record.total_bytes ? record.free_bytes : record.total_bytes;
    unsigned long long heap_used = record.heap_used_bytes < record.heap_held_bytes ? record.heap_used_bytes : record.heap_held_bytes;
    printf("%-5s %12s %12s %12s\n", "", "total", "used", "free");
    printf("%-5s %12llu %12llu %12llu\n", "Mem:", record.total_bytes >> shift, (record.total_bytes - free_bytes) >> shift,
        free_bytes >> shift);
    printf("%-5s %12llu %12llu %12llu\n", "Heap:", record.heap_held_bytes >> shift, heap_used >> shift,
        (record.heap_held_bytes - heap_used) >> shift);
    return wk_finish_output("free");
}
