/* String search over n KiB of generated text on a 4-letter alphabet: 16 patterns of
 * lengths 4..40 found with a naive scan, with Boyer-Moore-Horspool and with
 * Knuth-Morris-Pratt; all three must agree. Byte loads and short data-dependent loops. */
#include "bench.h"

#define kPatterns 16

static uint64_t naive(uint8_t const* text, size_t n, uint8_t const* pattern, size_t m)
{
    uint64_t found = 0;
    for (size_t i = 0; i + m <= n; i++) {
        size_t k = 0;
        while (k < m && text[i + k] == pattern[k])
            k++;
        found += k == m;
    }
    return found;
}

static uint64_t horspool(uint8_t const* text, size_t n, uint8_t const* pattern, size_t m)
{
    size_t shift[256];
    for (int c = 0; c < 256; c++)
        shift[c] = m;
    for (size_t k = 0; k + 1 < m; k++)
        shift[pattern[k]] = m - 1 - k;
    uint64_t found = 0;
    for (size_t i = 0; i + m <= n; i += shift[text[i + m - 1]]) {
        size_t k = m;
        while (k > 0 && text[i + k - 1] == pattern[k - 1])
            k--;
        found += k == 0;
    }
    return found;
}

static uint64_t kmp(uint8_t const* text, size_t n, uint8_t const* pattern, size_t m, int32_t* failure)
{
    failure[0] = 0;
    for (size_t k = 1, j = 0; k < m; k++) {
        while (j > 0 && pattern[k] != pattern[j])
            j = (size_t)failure[j - 1];
        if (pattern[k] == pattern[j])
            j++;
        failure[k] = (int32_t)j;
    }
    uint64_t found = 0;
    for (size_t i = 0, j = 0; i < n; i++) {
        while (j > 0 && text[i] != pattern[j])
            j = (size_t)failure[j - 1];
        if (text[i] == pattern[j])
            j++;
        if (j == m) {
            found++;
            j = (size_t)failure[j - 1];
        }
    }
    return found;
}

int main(int argc, char** argv)
{
    size_t n = (size_t)bench_size(argc, argv, 256) * 1024;
    uint64_t start = bench_now_ns();

    uint8_t* text = bench_alloc(n);
    BenchRng rng = bench_rng(4);
    for (size_t i = 0; i < n; i++)
        text[i] = (uint8_t)"ACGT"[bench_next(&rng) >> 62];
    uint8_t patterns[kPatterns][40];
    size_t lengths[kPatterns];
    int32_t failure[40];
    for (int p = 0; p < kPatterns; p++) {
        /* Half the patterns are cut from the text (guaranteed hits), half are random. */
        lengths[p] = 4 + (size_t)p * 36 / (kPatterns - 1);
        if (p % 2 == 0) {
            memcpy(patterns[p], text + bench_next(&rng) % (n - 40), lengths[p]);
        } else {
            for (size_t k = 0; k < lengths[p]; k++)
                patterns[p][k] = (uint8_t)"ACGT"[bench_next(&rng) >> 62];
        }
    }

    uint64_t hash = 0;
    for (int p = 0; p < kPatterns; p++) {
        uint64_t a = naive(text, n, patterns[p], lengths[p]);
        uint64_t b = horspool(text, n, patterns[p], lengths[p]);
        uint64_t c = kmp(text, n, patterns[p], lengths[p], failure);
        if (a != b || a != c) {
            fprintf(stderr, "strsearch: pattern %d: naive %llu, horspool %llu, kmp %llu\n", p,
                (unsigned long long)a, (unsigned long long)b, (unsigned long long)c);
            return 1;
        }
        hash = bench_mix(hash, a);
    }
    uint64_t end = bench_now_ns();
    free(text);
    bench_report(hash, start, end);
    return 0;
}
