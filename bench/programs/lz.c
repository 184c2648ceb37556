/* LZ77-style compression round trip over n KiB of generated text (words drawn from a skewed
 * vocabulary, some numbers): hash-chain match finder (64 KiB window, chain depth 32), a
 * byte-oriented token format, then decompression and a byte-for-byte comparison.
 *
 * Token format: a control byte c. c < 0x80: a run of c + 1 literal bytes follows.
 * c >= 0x80: a match of (c & 0x7f) + kMinMatch bytes, then a 16-bit little-endian distance. */
#include "bench.h"

#define kMinMatch 4
#define kMaxMatch (0x7f + kMinMatch)
#define kWindow 65535
#define kHashBits 15
#define kChainDepth 32

static char const* const kWords[] = {
    "the", "kernel", "compiles", "each", "module", "when", "it", "is", "loaded", "and", "runs",
    "isolated", "by", "what", "validator", "guarantees", "a", "process", "handle", "table",
    "memory", "page", "fault", "trap", "of", "to", "in", "scheduler", "thread", "channel",
    "webassembly", "function", "instance", "import", "export", "with", "for", "native", "code",
};

static size_t generate(uint8_t* out, size_t length)
{
    BenchRng rng = bench_rng(77);
    size_t count = sizeof kWords / sizeof kWords[0];
    size_t at = 0;
    while (at < length) {
        uint64_t r = bench_next(&rng);
        char buffer[32];
        char const* word;
        size_t word_length;
        if ((r & 15) == 0) {
            word_length = (size_t)snprintf(buffer, sizeof buffer, "%u", (unsigned)(r >> 40) % 100000);
            word = buffer;
        } else {
            /* Squaring a uniform index skews the choice towards the front of the vocabulary. */
            uint64_t u = (r >> 8) % 1024;
            word = kWords[(u * u / 1024) * count / 1024];
            word_length = strlen(word);
        }
        for (size_t i = 0; i < word_length && at < length; i++)
            out[at++] = (uint8_t)word[i];
        if (at < length)
            out[at++] = (r >> 4) % 11 == 0 ? '\n' : ' ';
    }
    return at;
}

static uint32_t hash4(uint8_t const* p)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return (v * 2654435761u) >> (32 - kHashBits);
}

static size_t flush_literals(uint8_t* out, size_t o, uint8_t const* literals, size_t count)
{
    while (count > 0) {
        size_t run = count > 128 ? 128 : count;
        out[o++] = (uint8_t)(run - 1);
        memcpy(out + o, literals, run);
        o += run;
        literals += run;
        count -= run;
    }
    return o;
}

/* Returns the compressed size; out must hold length + length / 128 + 16 bytes. */
static size_t compress(uint8_t const* in, size_t length, uint8_t* out, int32_t* head, int32_t* chain)
{
    for (size_t i = 0; i < (1u << kHashBits); i++)
        head[i] = -1;
    size_t o = 0, literal_start = 0, i = 0;
    while (i + kMinMatch <= length) {
        uint32_t h = hash4(in + i);
        size_t best_length = 0, best_distance = 0;
        int32_t candidate = head[h];
        for (int depth = 0; depth < kChainDepth && candidate >= 0 && i - (size_t)candidate <= kWindow; depth++) {
            size_t limit = length - i < kMaxMatch ? length - i : kMaxMatch;
            size_t match = 0;
            while (match < limit && in[candidate + match] == in[i + match])
                match++;
            if (match > best_length) {
                best_length = match;
                best_distance = i - (size_t)candidate;
                if (match == limit)
                    break;
            }
            candidate = chain[candidate];
        }
        chain[i] = head[h];
        head[h] = (int32_t)i;
        if (best_length < kMinMatch) {
            i++;
            continue;
        }
        o = flush_literals(out, o, in + literal_start, i - literal_start);
        out[o++] = (uint8_t)(0x80 | (best_length - kMinMatch));
        out[o++] = (uint8_t)best_distance;
        out[o++] = (uint8_t)(best_distance >> 8);
        for (size_t k = 1; k < best_length && i + k + kMinMatch <= length; k++) {
            uint32_t hk = hash4(in + i + k);
            chain[i + k] = head[hk];
            head[hk] = (int32_t)(i + k);
        }
        i += best_length;
        literal_start = i;
    }
    return flush_literals(out, o, in + literal_start, length - literal_start);
}

/* Returns the decompressed size, or 0 on a malformed stream. */
static size_t decompress(uint8_t const* in, size_t length, uint8_t* out, size_t capacity)
{
    size_t i = 0, o = 0;
    while (i < length) {
        uint8_t control = in[i++];
        if (control < 0x80) {
            size_t run = (size_t)control + 1;
            if (i + run > length || o + run > capacity)
                return 0;
            memcpy(out + o, in + i, run);
            i += run;
            o += run;
        } else {
            size_t match = (size_t)(control & 0x7f) + kMinMatch;
            if (i + 2 > length)
                return 0;
            size_t distance = (size_t)in[i] | (size_t)in[i + 1] << 8;
            i += 2;
            if (distance == 0 || distance > o || o + match > capacity)
                return 0;
            for (size_t k = 0; k < match; k++, o++)
                out[o] = out[o - distance]; /* byte by byte: matches may overlap */
        }
    }
    return o;
}

int main(int argc, char** argv)
{
    size_t length = (size_t)bench_size(argc, argv, 1024) * 1024;
    uint64_t start = bench_now_ns();

    uint8_t* text = bench_alloc(length);
    uint8_t* packed = bench_alloc(length + length / 128 + 16);
    uint8_t* unpacked = bench_alloc(length);
    int32_t* head = bench_alloc(sizeof(int32_t) << kHashBits);
    int32_t* chain = bench_alloc(sizeof(int32_t) * length);
    generate(text, length);

    uint64_t hash = 0;
    for (int round = 0; round < 2; round++) {
        size_t packed_length = compress(text, length, packed, head, chain);
        size_t unpacked_length = decompress(packed, packed_length, unpacked, length);
        if (unpacked_length != length || memcmp(text, unpacked, length) != 0) {
            fprintf(stderr, "lz: round trip failed (%zu of %zu bytes)\n", unpacked_length, length);
            return 1;
        }
        hash = bench_mix(hash, packed_length);
        uint64_t stream = 0;
        for (size_t k = 0; k < packed_length; k++)
            stream = stream * 1099511628211u + packed[k];
        hash = bench_mix(hash, stream);
        text[round * 7 % length] ^= 0x20; /* a different input next round */
    }
    uint64_t end = bench_now_ns();
    free(text);
    free(packed);
    free(unpacked);
    free(head);
    free(chain);
    bench_report(hash, start, end);
    return 0;
}
