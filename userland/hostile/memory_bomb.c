// Grows memory 0 a megabyte at a time until the kernel refuses, touching every new page so
// that it is really there, then reports how far it got and exits 0. The kernel must refuse
// (memory.grow returns -1) instead of running out of frames, and give everything back when
// the process ends.
#include <stdint.h>
#include <stdio.h>

int main(void)
{
    const uint32_t pages_per_step = 16; // 1 MiB
    uint32_t megabytes = 0;
    for (;;) {
        long old = __builtin_wasm_memory_grow(0, pages_per_step);
        if (old < 0)
            break;
        volatile uint8_t* start = (volatile uint8_t*)((uintptr_t)old * 65536);
        for (uint32_t offset = 0; offset < pages_per_step * 65536; offset += 4096)
            start[offset] = 1;
        ++megabytes;
    }
    printf("memory_bomb: memory.grow refused after %u MiB\n", megabytes);
    return 0;
}
