// Spawns copies of itself (each child sleeps) until the kernel refuses with EAGAIN, then kills and waits for every child. The kernel must hold
// its process limit, stay responsive, and get all the children's memory back.
//   spawn_bomb          the bomb
//   spawn_bomb child    a child: sleeps for a minute unless killed
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "wasmkern.h"

enum { kMaxChildren = 256 };

int main(int argc, char** argv)
{
    if (argc > 1 && strcmp(argv[1], "child") == 0) {
        struct timespec pause = { 60, 0 };
        nanosleep(&pause, NULL);
        return 0;
    }
    static const char path[] = "/bin/spawn_bomb";
    static const char child_argv[] = "spawn_bomb\0child";
    uint32_t pids[kMaxChildren];
    int count = 0;
    int error = 0;
    while (count < kMaxChildren) {
        error = wasmkern_spawn(path, sizeof(path) - 1, child_argv, sizeof(child_argv), "", 0, 0, 1, 2,
                               &pids[count]);
        if (error != 0)
            break;
        ++count;
    }
    printf("spawn_bomb: spawn refused after %d children: errno %d (%s)\n", count, error, strerror(error));
    int killed = 0;
    for (int i = 0; i < count; ++i) {
        if (wasmkern_kill(pids[i]) != 0)
            continue;
        uint32_t status = 0;
        if (wasmkern_wait(pids[i], &status) == 0 && status == WK_STATUS_KILLED)
            ++killed;
    }
    printf("spawn_bomb: %d of %d children killed and waited for\n", killed, count);
    return error == EAGAIN && killed == count ? 0 : 1;
}
