/* CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320) of a pseudo-random buffer of n KiB,
 * computed byte-at-a-time with one table and again with slicing-by-4 (four tables); the
 * two must agree. Table lookups and shifts: integer and load-heavy. */
#include "bench.h"

static uint32_t table[4][256];

static void build_tables(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 4; t++)
            table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xff];
}

static uint32_t crc_bytewise(uint32_t crc, uint8_t const* data, size_t length)
{
    crc = ~crc;
    for (size_t i = 0; i < length; i++)
        crc = table[0][(crc ^ data[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static uint32_t crc_sliced(uint32_t crc, uint8_t const* data, size_t length)
{
    crc = ~crc;
    size_t i = 0;
    for (; i + 4 <= length; i += 4) {
        crc ^= (uint32_t)data[i] | (uint32_t)data[i + 1] << 8 | (uint32_t)data[i + 2] << 16 | (uint32_t)data[i + 3] << 24;
        crc = table[3][crc & 0xff] ^ table[2][(crc >> 8) & 0xff] ^ table[1][(crc >> 16) & 0xff] ^ table[0][crc >> 24];
    }
    for (; i < length; i++)
        crc = table[0][(crc ^ data[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

int main(int argc, char** argv)
{
    size_t length = (size_t)bench_size(argc, argv, 1024) * 1024 + 3;
    uint64_t start = bench_now_ns();

    build_tables();
    uint8_t* data = bench_alloc(length);
    BenchRng rng = bench_rng(32);
    for (size_t i = 0; i < length; i++)
        data[i] = (uint8_t)(bench_next(&rng) >> 56);
    uint64_t hash = 0;
    uint32_t crc_a = 0, crc_b = 0;
    for (int round = 0; round < 4; round++) {
        crc_a = crc_bytewise(crc_a, data, length);
        crc_b = crc_sliced(crc_b, data, length);
        if (crc_a != crc_b) {
            fprintf(stderr, "crc32: bytewise %08x != sliced %08x\n", crc_a, crc_b);
            return 1;
        }
        hash = bench_mix(hash, crc_a);
    }
    uint64_t end = bench_now_ns();
    free(data);
    bench_report(hash, start, end);
    return 0;
}
