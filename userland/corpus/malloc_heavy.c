// Heavy allocation: many small blocks, big blocks that grow linear memory, realloc
// chains, calloc zeroing; a checksum proves the contents survived.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t state = 12345;
static uint32_t next(void)
{
    state = state * 1103515245u + 12345u;
    return state >> 8;
}

int main(void)
{
    enum { kSlots = 20000 };
    static unsigned char* slots[kSlots];
    static size_t sizes[kSlots];
    uint64_t checksum = 0;
    size_t live = 0, peak = 0;

    for (int round = 0; round < 200000; ++round) {
        int i = (int)(next() % kSlots);
        if (slots[i]) {
            for (size_t k = 0; k < sizes[i]; ++k)
                checksum += slots[i][k] * (k + 1);
            free(slots[i]);
            live -= sizes[i];
            slots[i] = NULL;
        } else {
            size_t size = 1 + next() % (next() % 16 == 0 ? 8192 : 128);
            slots[i] = malloc(size);
            if (!slots[i]) {
                printf("malloc failed\n");
                return 1;
            }
            memset(slots[i], (int)(size & 0xFF), size);
            sizes[i] = size;
            live += size;
            if (live > peak)
                peak = live;
        }
    }
    printf("small blocks: checksum %llu, peak live bytes %zu\n", (unsigned long long)checksum, peak);
    for (int i = 0; i < kSlots; ++i)
        free(slots[i]);

    // Large blocks: 48 MiB in total, touched page by page.
    enum { kBig = 12 };
    unsigned char* big[kBig];
    uint64_t big_sum = 0;
    for (int i = 0; i < kBig; ++i) {
        big[i] = malloc(4 << 20);
        if (!big[i]) {
            printf("big malloc %d failed\n", i);
            return 1;
        }
        for (size_t k = 0; k < (4u << 20); k += 4096)
            big[i][k] = (unsigned char)(i + k / 4096);
    }
    for (int i = 0; i < kBig; ++i) {
        for (size_t k = 0; k < (4u << 20); k += 4096)
            big_sum += big[i][k];
        free(big[i]);
    }
    printf("big blocks: sum %llu\n", (unsigned long long)big_sum);

    // realloc growth keeps the prefix.
    size_t length = 1;
    char* text = malloc(length);
    text[0] = 'a';
    int intact = 1;
    while (length < (1u << 22)) {
        size_t grown = length * 2;
        text = realloc(text, grown);
        if (!text)
            return 1;
        for (size_t k = 0; k < length; k += 997)
            if (text[k] != (char)('a' + (k % 26)))
                intact = 0;
        for (size_t k = length; k < grown; ++k)
            text[k] = (char)('a' + (k % 26));
        length = grown;
    }
    printf("realloc to %zu bytes: %s\n", length, intact ? "prefix intact" : "CORRUPT");
    free(text);

    int zeroed = 1;
    for (int i = 0; i < 100; ++i) {
        unsigned* block = calloc(1000, sizeof(unsigned));
        for (int k = 0; k < 1000; ++k)
            if (block[k] != 0)
                zeroed = 0;
        memset(block, 0xFF, 1000 * sizeof(unsigned));
        free(block);
    }
    printf("calloc: %s\n", zeroed ? "zeroed" : "NOT ZEROED");
    return intact && zeroed ? 0 : 1;
}
