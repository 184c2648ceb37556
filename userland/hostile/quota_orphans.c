// Fills the process table with children that sleep (ten minutes unless killed) and then, by
// default, exits without waiting for them: its handles close and they become orphans. With `stay` it sleeps too, so
// the table stays full and nothing can be spawned until someone kills (the shell's `kill` is a
// builtin: it needs no process slot).
//   quota_orphans [stay]   the parent: prints "quota_orphans: N children, pids FIRST-LAST"
//   quota_orphans child    a child
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "wasmkern.h"

int main(int argc, char** argv)
{
    int child = argc > 1 && strcmp(argv[1], "child") == 0;
    int stay = argc > 1 && strcmp(argv[1], "stay") == 0;
    if (!child) {
        static const char path[] = "/bin/quota_orphans";
        static const char child_argv[] = "quota_orphans\0child";
        uint32_t first = 0, last = 0, child_handle = 0;
        int count = 0, error = 0;
        while ((error = wasmkern_spawn(path, sizeof(path) - 1, child_argv, sizeof(child_argv), "", 0, 0, 1, 2, &child_handle))
            == 0) {
            struct WkProcessRecord record = { 0 };
            wasmkern_process_info(child_handle, &record, sizeof record);
            if (count++ == 0)
                first = record.pid;
            last = record.pid;
        }
        printf("quota_orphans: %d children, pids %u-%u (then errno %d)\n", count, first, last, error);
        fflush(stdout);
        if (!stay)
            return 0;
    }
    struct timespec pause = { 600, 0 };
    nanosleep(&pause, NULL);
    return 0;
}
