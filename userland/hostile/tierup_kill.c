// Kill during tier-up (docs/optimizing-compiler.md, "Tier-up in the kernel"): `churn`, a
// large function, becomes hot at once and keeps a compile worker busy; main then spins
// forever, so only kill ends it. The test kills it 0-200 ms after its spawn (during that
// compile at some of those moments; it cannot know which), with
// its module also dropped from the cache, so that the process's exit is what ends the module
// (and joins the worker) while the compile may still run.
#include <stdint.h>
#include <stdio.h>

#define STEP(k) \
    x = x * 2654435761u + (k); \
    if (x & 1) \
        y += x >> 3; \
    else \
        y ^= x << 5; \
    z = (z + y) * 33u ^ (k);
#define STEP8(k) STEP(k##0) STEP(k##1) STEP(k##2) STEP(k##3) STEP(k##4) STEP(k##5) STEP(k##6) STEP(k##7)
#define STEP64(k) STEP8(k##0) STEP8(k##1) STEP8(k##2) STEP8(k##3) STEP8(k##4) STEP8(k##5) STEP8(k##6) STEP8(k##7)

__attribute__((noinline)) static uint32_t churn(uint32_t x)
{
    uint32_t y = 1, z = 2;
    STEP64(1) STEP64(2) STEP64(3) STEP64(4) STEP64(5) STEP64(6) STEP64(7)
    return x ^ y ^ z;
}

int main(void)
{
    volatile uint32_t sink = 0;
    for (uint32_t i = 0; i < 5000; ++i)
        sink += churn(i);
    printf("tierup_kill: hot\n");
    fflush(stdout);
    for (;;)
        sink += churn(sink);
}
