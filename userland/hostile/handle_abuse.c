// Abuses handles (docs/process-abi.md, "Handles"): forged, guessed, stale and closed values,
// handles of the wrong type or without the right, handing over what it does not hold,
// filling its handle table, powering off and listing processes without the root resource,
// and (as its child) trying to kill its parent. Each call must come back with its errno
// (printed), never crash the kernel or reach another process.
//   handle_abuse           the parent (run it without the root resource)
//   handle_abuse child     a child: reports what it holds and tries to reach its parent
//   handle_abuse sleep     a child that sleeps until killed
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "wasmkern.h"

static void show(const char* what, int error) { printf("handle_abuse: %s -> %d\n", what, error); }

static const char kPath[] = "/bin/handle_abuse";

static int spawn_mode(const char* argv, uint32_t argv_len, const struct WkHandleGrant* grants, uint32_t count,
    uint32_t* handle)
{
    return wasmkern_spawn_with_handles(kPath, sizeof(kPath) - 1, argv, argv_len, "", 0, 0, 1, 2, grants, count, 0, handle);
}

// Calls kill on `count` values that are not handles of this process, from `first` on in
// steps of `step`: how many did not fail with EBADF (must be 0).
static int guess_kills(uint32_t first, uint32_t step, uint32_t count, const uint32_t* mine, int mine_count)
{
    int hits = 0;
    for (uint32_t i = 0, value = first; i < count; ++i, value += step) {
        int owned = 0;
        for (int j = 0; j < mine_count; ++j)
            owned |= mine[j] == value;
        if (!owned && wasmkern_kill(value) != EBADF)
            ++hits;
    }
    return hits;
}

static int child_main(void)
{
    struct WkHandleRecord records[8];
    uint32_t count = 0;
    show("child: handles", wasmkern_handles(records, sizeof records, &count));
    printf("handle_abuse: child holds %u handles\n", count);
    uint32_t granted = count > 0 ? records[0].handle : 0;
    if (count > 0)
        printf("handle_abuse: child's handle: type %u rights 0x%x\n", records[0].type, records[0].rights);
    // It may look at the process it was handed (inspect), not kill or wait for it.
    struct WkProcessRecord record;
    show("child: inspect the granted process", wasmkern_process_info(granted, &record, sizeof record));
    show("child: kill the granted process", wasmkern_kill(granted));
    uint32_t status = 0;
    show("child: wait for the granted process", wasmkern_wait(granted, &status));
    // Its parent: no handle reaches it. Guess 200 000 values, and ask for it by pid with a
    // forged resource.
    printf("handle_abuse: child: guessed kills that did not fail with EBADF: %d\n",
        guess_kills(1, 1, 100000, &granted, 1) + guess_kills(0x7fff0000u, 1, 65536, &granted, 1)
            + guess_kills(0x10000u, 0x7fffu, 34464, &granted, 1));
    uint32_t handle = 0;
    show("child: process_by_pid with a forged resource", wasmkern_process_by_pid(granted ^ 1, 1, &handle));
    show("child: process_by_pid with a process handle", wasmkern_process_by_pid(granted, 1, &handle));
    show("child: poweroff without the resource", wasmkern_poweroff(granted, 9));
    return 0;
}

int main(int argc, char** argv)
{
    if (argc > 1 && strcmp(argv[1], "child") == 0)
        return child_main();
    if (argc > 1 && strcmp(argv[1], "sleep") == 0) {
        struct timespec pause = { 600, 0 };
        nanosleep(&pause, NULL);
        return 0;
    }
    struct WkHandleRecord records[4];
    uint32_t count = 99;
    show("handles at start", wasmkern_handles(records, sizeof records, &count));
    printf("handle_abuse: holds %u handles at start\n", count);
    show("handles out of bounds", wasmkern_handles((void*)0xFFFFFFF0u, 64, &count));

    // Without the root resource: no power-off, no process list, no process by pid.
    show("poweroff with a forged resource", wasmkern_poweroff(0x1234567u, 9));
    struct WkProcessRecord listed[4];
    show("ps with a forged resource", wasmkern_ps(0x1234567u, listed, sizeof listed, &count));
    uint32_t handle = 0;
    show("process_by_pid with a forged resource", wasmkern_process_by_pid(0, 1, &handle));

    // A sleeping child: the handle spawn gives, of the process type.
    static const char sleep_argv[] = "handle_abuse\0sleep";
    uint32_t sleeper = 0;
    show("spawn the sleeper", spawn_mode(sleep_argv, sizeof sleep_argv, NULL, 0, &sleeper));
    show("poweroff with a process handle", wasmkern_poweroff(sleeper, 9));
    show("ps with a process handle", wasmkern_ps(sleeper, listed, sizeof listed, &count));
    show("handle_duplicate out of bounds", wasmkern_handle_duplicate(sleeper, WK_RIGHTS_ALL, (uint32_t*)0xFFFFFFFEu));

    // Rights reduced: a handle that may only inspect.
    uint32_t inspect_only = 0;
    show("duplicate with inspect only", wasmkern_handle_duplicate(sleeper, WK_RIGHT_INSPECT, &inspect_only));
    show("inspect through it", wasmkern_process_info(inspect_only, listed, sizeof listed));
    show("kill through it", wasmkern_kill(inspect_only));
    show("interrupt through it", wasmkern_interrupt(inspect_only));
    uint32_t status = 0;
    show("wait through it", wasmkern_wait(inspect_only, &status));
    show("duplicate it (no duplicate right)", wasmkern_handle_duplicate(inspect_only, WK_RIGHT_INSPECT, &handle));
    show("process_info short buffer", wasmkern_process_info(sleeper, listed, 63));

    // Handing handles to a child: forged, without the duplicate right, too many.
    static const char child_argv[] = "handle_abuse\0child";
    struct WkHandleGrant grant = { 0x7654321u, WK_RIGHTS_ALL };
    show("spawn handing a forged handle", spawn_mode(child_argv, sizeof child_argv, &grant, 1, &handle));
    grant.handle = inspect_only;
    show("spawn handing a handle without duplicate", spawn_mode(child_argv, sizeof child_argv, &grant, 1, &handle));
    show("spawn handing 65 handles", spawn_mode(child_argv, sizeof child_argv, &grant, 65, &handle));
    show("spawn handles out of bounds",
        spawn_mode(child_argv, sizeof child_argv, (const struct WkHandleGrant*)0xFFFFFFF8u, 2, &handle));
    // A child handed the sleeper with the inspect right only (asking for all: reduced).
    grant.handle = sleeper;
    grant.rights = WK_RIGHT_INSPECT;
    uint32_t child = 0;
    show("spawn the child with the sleeper (inspect)", spawn_mode(child_argv, sizeof child_argv, &grant, 1, &child));
    show("wait for the child", wasmkern_wait(child, &status));
    printf("handle_abuse: child status %u\n", status);

    // Stale and closed values: the child's handle was closed by its wait.
    show("wait again (stale handle)", wasmkern_wait(child, &status));
    show("kill the stale handle", wasmkern_kill(child));
    show("close the stale handle", wasmkern_handle_close(child));
    show("close the inspect-only handle", wasmkern_handle_close(inspect_only));
    show("close it twice", wasmkern_handle_close(inspect_only));
    show("inspect through the closed handle", wasmkern_process_info(inspect_only, listed, sizeof listed));

    // The table fills at 1024 handles: EMFILE, then everything closes again.
    static uint32_t duplicates[1024];
    int made = 0;
    int error = 0;
    while (made < 1024 && (error = wasmkern_handle_duplicate(sleeper, WK_RIGHT_INSPECT, &duplicates[made])) == 0)
        ++made;
    printf("handle_abuse: %d duplicates, then errno %d\n", made, error);
    show("spawn with the table full", spawn_mode(sleep_argv, sizeof sleep_argv, NULL, 0, &handle));
    int closed = 0;
    for (int i = 0; i < made; ++i)
        closed += wasmkern_handle_close(duplicates[i]) == 0;
    printf("handle_abuse: closed %d\n", closed);
    show("handles after closing", wasmkern_handles(records, sizeof records, &count));
    printf("handle_abuse: holds %u handles at the end\n", count);

    show("kill the sleeper", wasmkern_kill(sleeper));
    show("wait for the sleeper", wasmkern_wait(sleeper, &status));
    printf("handle_abuse: sleeper status %u\n", status);
    return 0;
}
