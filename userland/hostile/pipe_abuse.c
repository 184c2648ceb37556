// Abuses wasmkern.pipe and the pipe semantics: pointers past the end of memory, pipes until
// the kernel refuses, ends of a killed process, a writer whose reader is gone; and
// wait_console and interrupt with bad arguments. Each step
// prints what came back; tests/kernel/CMakeLists.txt (kernel_process_pipe_abuse) checks it.
// Run as "pipe_abuse" (the parent) or "pipe_abuse spin" (a child that loops on nothing).
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "wasmkern.h"

#define MAX_TRIED 512

static void show(const char* what, int value) { printf("pipe_abuse: %s -> %d\n", what, value); }

// Starts "pipe_abuse spin" with `in` and `out` as its fds 0 and 1.
static uint32_t spawn_spinner(int in, int out)
{
    static const char argv[] = "pipe_abuse\0spin";
    uint32_t pid = 0;
    int error = wasmkern_spawn("/bin/pipe_abuse", 15, argv, sizeof argv, "", 0, in, out, 2, &pid);
    if (error)
        show("spawn spinner failed", error);
    return pid;
}

int main(int argc, char** argv)
{
    if (argc == 2 && strcmp(argv[1], "spin") == 0) {
        for (volatile int forever = 1; forever;) {
        }
        return 0;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    show("pipe out of bounds", wasmkern_pipe((int32_t*)0xFFFFFFFCu));

    // Pipes until the kernel says no: ENFILE at its bound (or EMFILE), never a crash.
    static int32_t fds[MAX_TRIED][2];
    int made = 0;
    int refused = 0;
    while (made < MAX_TRIED && !(refused = wasmkern_pipe(fds[made])))
        ++made;
    printf("pipe_abuse: %s after %d pipes\n", refused == ENFILE ? "ENFILE" : refused == EMFILE ? "EMFILE" : "no refusal",
        made);
    for (int i = 0; i < made; ++i) {
        close(fds[i][0]);
        close(fds[i][1]);
    }
    int32_t again[2];
    show("a pipe after closing them all", wasmkern_pipe(again));

    // A writer that is killed: its reader sees end of file (the kill released its end).
    uint32_t status = 0;
    uint32_t writer = spawn_spinner(0, again[1]);
    close(again[1]);
    show("kill the writer", wasmkern_kill(writer));
    char byte;
    show("read after the writer was killed", (int)read(again[0], &byte, 1));
    wasmkern_wait(writer, &status);
    show("writer status", (int)status);
    close(again[0]);

    // A reader that is killed: its writer gets EPIPE, also with the pipe full before.
    int32_t ends[2];
    wasmkern_pipe(ends);
    uint32_t reader = spawn_spinner(ends[0], 1);
    close(ends[0]);
    static char block[16384];
    long written = 0;
    // 48 KiB fit in the 64 KiB buffer without blocking.
    for (int i = 0; i < 3; ++i)
        written += write(ends[1], block, sizeof block);
    show("bytes written before the kill", (int)written);
    show("kill the reader", wasmkern_kill(reader));
    wasmkern_wait(reader, &status);
    show("reader status", (int)status);
    ssize_t result = write(ends[1], block, sizeof block);
    show("write after the reader was killed", result < 0 ? -errno : (int)result);
    close(ends[1]);
    // wait_console and interrupt with hostile arguments, then on a spinner: status 130.
    show("wait_console status out of bounds", wasmkern_wait_console(1, (uint32_t*)0xFFFFFFFEu));
    show("wait_console forged handle", wasmkern_wait_console(999999, &status));
    show("interrupt forged handle", wasmkern_interrupt(999999));
    uint32_t spinner = spawn_spinner(0, 1);
    show("interrupt the spinner", wasmkern_interrupt(spinner));
    show("kill it after", wasmkern_kill(spinner));
    wasmkern_wait_console(spinner, &status);
    show("interrupted status", (int)status);
    // The descriptors of a pipe are not files: no seek.
    wasmkern_pipe(ends);
    show("seek on a pipe", lseek(ends[0], 0, SEEK_SET) < 0 ? -errno : 0);
    return 0;
}
