// Randomness: getentropy and arc4random produce bytes that look random. Only the
// verdicts are printed.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures = 0;

static void check(int condition, const char* what)
{
    printf("%s: %s\n", condition ? "ok" : "FAIL", what);
    if (!condition)
        ++failures;
}

int main(void)
{
    unsigned char a[256], b[256];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    check(getentropy(a, sizeof a) == 0, "getentropy 256 bytes");
    check(getentropy(b, sizeof b) == 0, "getentropy again");
    check(memcmp(a, b, sizeof a) != 0, "two draws differ");
    int zeros = 0;
    for (size_t i = 0; i < sizeof a; ++i)
        zeros += a[i] == 0;
    check(zeros < 16, "not mostly zeros");

    // A byte histogram over 1 MiB: every value appears, none far too often.
    static unsigned char big[1 << 20];
    size_t done = 0;
    while (done < sizeof big) {
        size_t chunk = sizeof big - done > 256 ? 256 : sizeof big - done;
        if (getentropy(big + done, chunk) != 0)
            break;
        done += chunk;
    }
    check(done == sizeof big, "1 MiB of entropy");
    unsigned counts[256] = { 0 };
    for (size_t i = 0; i < sizeof big; ++i)
        ++counts[big[i]];
    unsigned low = counts[0], high = counts[0];
    for (int i = 1; i < 256; ++i) {
        if (counts[i] < low)
            low = counts[i];
        if (counts[i] > high)
            high = counts[i];
    }
    check(low > 3500 && high < 4700, "byte frequencies near 4096");

    uint32_t x = arc4random(), y = arc4random(), z = arc4random();
    check(!(x == y && y == z), "arc4random varies");
    int in_range = 1;
    for (int i = 0; i < 1000; ++i)
        if (arc4random_uniform(10) >= 10)
            in_range = 0;
    check(in_range, "arc4random_uniform stays in range");

    printf("%d failures\n", failures);
    return failures ? 1 : 0;
}
