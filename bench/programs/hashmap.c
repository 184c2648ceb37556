/* Open-addressing hash table (linear probing, 64-bit keys and values, load factor 1/2):
 * inserts n pseudo-random keys, then looks up 2n keys of which half are present, then
 * deletes every other key with backward-shift deletion and looks up again. Random memory
 * access: cache- and TLB-bound for large n. */
#include "bench.h"

typedef struct {
    uint64_t key; /* 0 marks an empty slot; keys are made odd so never 0 */
    uint64_t value;
} Slot;

typedef struct {
    Slot* slots;
    uint64_t mask;
} Table;

static uint64_t slot_of(uint64_t key, uint64_t mask)
{
    return (key * 0x9e3779b97f4a7c15u) >> 20 & mask;
}

static void insert(Table* t, uint64_t key, uint64_t value)
{
    uint64_t i = slot_of(key, t->mask);
    while (t->slots[i].key != 0 && t->slots[i].key != key)
        i = (i + 1) & t->mask;
    t->slots[i].key = key;
    t->slots[i].value = value;
}

static Slot const* find(Table const* t, uint64_t key)
{
    uint64_t i = slot_of(key, t->mask);
    while (t->slots[i].key != 0) {
        if (t->slots[i].key == key)
            return &t->slots[i];
        i = (i + 1) & t->mask;
    }
    return NULL;
}

static void erase(Table* t, uint64_t key)
{
    uint64_t i = slot_of(key, t->mask);
    while (t->slots[i].key != key) {
        if (t->slots[i].key == 0)
            return;
        i = (i + 1) & t->mask;
    }
    /* Backward shift: pull later entries of the probe run into the hole. */
    uint64_t hole = i;
    for (uint64_t j = (i + 1) & t->mask; t->slots[j].key != 0; j = (j + 1) & t->mask) {
        uint64_t home = slot_of(t->slots[j].key, t->mask);
        if (((j - home) & t->mask) >= ((j - hole) & t->mask)) {
            t->slots[hole] = t->slots[j];
            hole = j;
        }
    }
    t->slots[hole].key = 0;
    t->slots[hole].value = 0;
}

int main(int argc, char** argv)
{
    int64_t n = bench_size(argc, argv, 200000);
    uint64_t start = bench_now_ns();

    Table table;
    uint64_t capacity = 16;
    while (capacity < (uint64_t)n * 2)
        capacity <<= 1;
    table.mask = capacity - 1;
    table.slots = bench_alloc(sizeof(Slot) * capacity);
    memset(table.slots, 0, sizeof(Slot) * capacity);

    BenchRng rng = bench_rng(11);
    for (int64_t i = 0; i < n; i++)
        insert(&table, bench_next(&rng) | 1, (uint64_t)i);

    uint64_t hash = 0;
    for (int pass = 0; pass < 2; pass++) {
        BenchRng present = bench_rng(11);
        BenchRng absent = bench_rng(12);
        uint64_t hits = 0, sum = 0;
        for (int64_t i = 0; i < n; i++) {
            Slot const* a = find(&table, bench_next(&present) | 1);
            Slot const* b = find(&table, bench_next(&absent) | 1);
            hits += (a != NULL) + (b != NULL);
            sum += (a ? a->value : 0) + (b ? b->value : 0);
        }
        hash = bench_mix(bench_mix(hash, hits), sum);
        if (pass == 0) {
            BenchRng again = bench_rng(11);
            for (int64_t i = 0; i < n; i++) {
                uint64_t key = bench_next(&again) | 1;
                if (i % 2 == 0)
                    erase(&table, key);
            }
        }
    }
    uint64_t end = bench_now_ns();
    free(table.slots);
    bench_report(hash, start, end);
    return 0;
}
