// Drives /bin/stack_outgoing across the stack limit (tests/kernel: kernel_stack_outgoing):
// finds the deepest recursion that still returns, then makes the widest call wasm has from
// every depth from there up (shallower) until it has returned 16 times in a row, so that its
// stack arguments land at every offset the recursion's frame size allows relative to the
// limit. Then a spin (timer interrupts at the deepest frame) and a host call (fd_write) at the
// deepest depth. Each run is a process of its own, because a trap ends it.
//   stack_outgoing_sweep [STRIDE]   sweep every STRIDE-th depth (default 1)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasmkern.h"

enum { kPassed = 0, kMaxRuns = 4000 };

static int g_runs;

// The child's exit status: 0 returned, WK_STATUS_TRAPPED after a trap; -1 spawn failed.
static int run(int mode, unsigned depth)
{
    static const char path[] = "/bin/stack_outgoing";
    char argv[64];
    int length = snprintf(argv, sizeof(argv), "stack_outgoing%c%d%c%u", 0, mode, 0, depth);
    uint32_t pid = 0;
    ++g_runs;
    if (wasmkern_spawn(path, sizeof(path) - 1, argv, (size_t)length + 1, "", 0, 0, 1, 2, &pid) != 0)
        return -1;
    uint32_t status = 0;
    if (wasmkern_wait(pid, &status) != 0)
        return -1;
    return (int)status;
}

int main(int argc, char** argv)
{
    unsigned stride = argc > 1 ? (unsigned)atoi(argv[1]) : 1;
    if (stride == 0)
        stride = 1;
    unsigned low = 0, high = 1u << 20;
    if (run(0, low) != kPassed || run(0, high) != WK_STATUS_TRAPPED) {
        printf("stack_outgoing_sweep: probe bounds wrong\n");
        return 1;
    }
    while (high - low > 1) {
        unsigned middle = low + (high - low) / 2;
        int status = run(0, middle);
        if (status != kPassed && status != WK_STATUS_TRAPPED) {
            printf("stack_outgoing_sweep: probe at depth %u: status %d\n", middle, status);
            return 1;
        }
        if (status == kPassed)
            low = middle;
        else
            high = middle;
    }
    printf("stack_outgoing_sweep: deepest recursion %u\n", low);

    int depths = 0, returned = 0, exhausted = 0, other = 0, streak = 0;
    for (unsigned depth = low; depth > 0 && streak < 16 && g_runs < kMaxRuns; depth = depth > stride ? depth - stride : 0) {
        int status = run(1, depth);
        ++depths;
        if (status == kPassed) {
            ++returned;
            ++streak;
        } else if (status == WK_STATUS_TRAPPED) {
            ++exhausted;
            streak = 0;
        } else {
            ++other;
        }
    }
    printf("stack_outgoing_sweep: wide call at %d depths: %d returned, %d trapped, %d other\n", depths, returned,
           exhausted, other);
    // The deepest depth where each still returns (its frame differs from the probe's).
    int results[2];
    for (int mode = 2; mode <= 3; ++mode) {
        unsigned depth = low;
        int status = run(mode, depth);
        while (status == WK_STATUS_TRAPPED && depth > 0 && low - depth < 16)
            status = run(mode, --depth);
        printf("stack_outgoing_sweep: %s at depth %u (deepest - %u): status %d\n", mode == 2 ? "spin" : "write",
               depth, low - depth, status);
        results[mode - 2] = status;
    }
    int spin = results[0], write = results[1];
    return other == 0 && returned > 0 && exhausted > 0 && spin == kPassed && write == kPassed ? 0 : 1;
}
