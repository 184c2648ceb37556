// An LZ77 compressor with hash chains and its decompressor. Compresses the file
// argv[1] (and generated data) into .lz files in /sandbox, decompresses them again and
// checks the round trip. Format: a sequence of
//   0LLLLLLL [L+1 literal bytes]                 literal run of 1..128 bytes
//   1LLLLLLL DDDDDDDD DDDDDDDD                   match of L+4 bytes, distance D+1 (1..65536)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { kWindow = 65536, kMinMatch = 4, kMaxMatch = 131, kHashBits = 15, kChain = 64 };

static uint32_t hash4(const unsigned char* p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return (v * 2654435761u) >> (32 - kHashBits);
}

static size_t compress(const unsigned char* in, size_t n, unsigned char* out)
{
    int32_t* head = malloc(sizeof(int32_t) << kHashBits);
    int32_t* prev = malloc(sizeof(int32_t) * (n ? n : 1));
    for (size_t i = 0; i < ((size_t)1 << kHashBits); ++i)
        head[i] = -1;
    size_t o = 0, literal_start = 0, i = 0;

    #define FLUSH_LITERALS(end)                                     \
        while (literal_start < (end)) {                             \
            size_t run = (end) - literal_start;                     \
            if (run > 128)                                          \
                run = 128;                                          \
            out[o++] = (unsigned char)(run - 1);                    \
            memcpy(out + o, in + literal_start, run);               \
            o += run;                                               \
            literal_start += run;                                   \
        }

    while (i + kMinMatch <= n) {
        uint32_t h = hash4(in + i);
        size_t best_length = 0, best_distance = 0;
        int32_t candidate = head[h];
        for (int chain = 0; candidate >= 0 && chain < kChain; ++chain) {
            size_t distance = i - (size_t)candidate;
            if (distance > kWindow)
                break;
            size_t length = 0;
            size_t limit = n - i < kMaxMatch ? n - i : kMaxMatch;
            while (length < limit && in[candidate + length] == in[i + length])
                ++length;
            if (length > best_length) {
                best_length = length;
                best_distance = distance;
                if (length == limit)
                    break;
            }
            candidate = prev[candidate];
        }
        if (best_length >= kMinMatch) {
            FLUSH_LITERALS(i);
            out[o++] = (unsigned char)(0x80 | (best_length - kMinMatch));
            out[o++] = (unsigned char)((best_distance - 1) & 0xFF);
            out[o++] = (unsigned char)((best_distance - 1) >> 8);
            for (size_t k = 0; k < best_length; ++k) {
                if (i + kMinMatch <= n) {
                    uint32_t hk = hash4(in + i);
                    prev[i] = head[hk];
                    head[hk] = (int32_t)i;
                }
                ++i;
            }
            literal_start = i;
        } else {
            prev[i] = head[h];
            head[h] = (int32_t)i;
            ++i;
        }
    }
    FLUSH_LITERALS(n);
    #undef FLUSH_LITERALS
    free(head);
    free(prev);
    return o;
}

// Returns the decompressed size, or (size_t)-1 for corrupt input.
static size_t decompress(const unsigned char* in, size_t n, unsigned char* out, size_t capacity)
{
    size_t i = 0, o = 0;
    while (i < n) {
        unsigned char control = in[i++];
        if (control & 0x80) {
            if (i + 2 > n)
                return (size_t)-1;
            size_t length = (size_t)(control & 0x7F) + kMinMatch;
            size_t distance = (size_t)in[i] + ((size_t)in[i + 1] << 8) + 1;
            i += 2;
            if (distance > o || o + length > capacity)
                return (size_t)-1;
            for (size_t k = 0; k < length; ++k, ++o)
                out[o] = out[o - distance];
        } else {
            size_t run = (size_t)control + 1;
            if (i + run > n || o + run > capacity)
                return (size_t)-1;
            memcpy(out + o, in + i, run);
            i += run;
            o += run;
        }
    }
    return o;
}

static uint32_t fnv1a(const unsigned char* data, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; ++i)
        h = (h ^ data[i]) * 16777619u;
    return h;
}

static int write_file(const char* path, const unsigned char* data, size_t n)
{
    FILE* f = fopen(path, "wb");
    if (!f)
        return 0;
    int ok = fwrite(data, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

static unsigned char* read_file(const char* path, size_t* n)
{
    FILE* f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char* data = malloc((size_t)size + 1);
    *n = fread(data, 1, (size_t)size, f);
    fclose(f);
    return data;
}

static int round_trip(const char* name, const unsigned char* data, size_t n)
{
    unsigned char* packed = malloc(n + n / 128 + 16);
    size_t packed_size = compress(data, n, packed);
    char path[256];
    snprintf(path, sizeof path, "/sandbox/%s.lz", name);
    if (!write_file(path, packed, packed_size)) {
        printf("%s: cannot write %s\n", name, path);
        return 0;
    }
    free(packed);

    size_t stored_size = 0;
    unsigned char* stored = read_file(path, &stored_size);
    unsigned char* unpacked = malloc(n + 1);
    size_t unpacked_size = decompress(stored, stored_size, unpacked, n);
    int ok = unpacked_size == n && memcmp(unpacked, data, n) == 0;
    snprintf(path, sizeof path, "/sandbox/%s.out", name);
    write_file(path, unpacked, unpacked_size == (size_t)-1 ? 0 : unpacked_size);
    printf("%-10s %8zu -> %8zu bytes (%5.1f%%) fnv %08x round trip %s\n", name, n, stored_size,
           n ? 100.0 * (double)stored_size / (double)n : 0.0, (unsigned)fnv1a(stored, stored_size), ok ? "ok" : "FAILED");
    free(stored);
    free(unpacked);
    return ok;
}

int main(int argc, char** argv)
{
    int ok = 1;
    if (argc > 1) {
        size_t n = 0;
        unsigned char* data = read_file(argv[1], &n);
        if (!data) {
            printf("cannot read %s\n", argv[1]);
            return 1;
        }
        ok &= round_trip("input", data, n);
        free(data);
    }

    // Generated inputs: repetitive text, random bytes, runs, empty.
    size_t n = 1 << 20;
    unsigned char* data = malloc(n);
    const char* words[] = { "wasm ", "kernel ", "compiler ", "module ", "memory ", "table ", "\n" };
    uint32_t state = 7;
    for (size_t i = 0; i < n;) {
        state = state * 1664525u + 1013904223u;
        const char* w = words[(state >> 16) % 7];
        for (size_t k = 0; w[k] && i < n; ++k)
            data[i++] = (unsigned char)w[k];
    }
    ok &= round_trip("words", data, n);
    for (size_t i = 0; i < n; ++i) {
        state = state * 1664525u + 1013904223u;
        data[i] = (unsigned char)(state >> 24);
    }
    ok &= round_trip("noise", data, 200000);
    memset(data, 'z', n);
    ok &= round_trip("runs", data, n);
    ok &= round_trip("empty", data, 0);
    free(data);

    unsigned char corrupt[] = { 0x85, 0x10, 0x00 };
    unsigned char sink[64];
    printf("corrupt input rejected: %s\n", decompress(corrupt, 3, sink, sizeof sink) == (size_t)-1 ? "yes" : "no");
    return ok ? 0 : 1;
}
