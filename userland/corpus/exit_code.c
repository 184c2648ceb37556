// Exit statuses: exit(N) from argv[1], returning from main, atexit handlers, _Exit,
// and traps (abort, a store outside linear memory) that end the program with no status.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void handler_one(void) { printf("atexit handler one\n"); }
static void handler_two(void) { printf("atexit handler two\n"); }

int main(int argc, char** argv)
{
    atexit(handler_one);
    atexit(handler_two);
    const char* mode = argc > 1 ? argv[1] : "return";
    int status = argc > 2 ? atoi(argv[2]) : 0;
    printf("mode=%s status=%d\n", mode, status);
    if (strcmp(mode, "exit") == 0)
        exit(status);
    if (strcmp(mode, "_Exit") == 0) {
        printf("not flushed by _Exit? flushed explicitly\n");
        fflush(stdout);
        _Exit(status);
    }
    if (strcmp(mode, "deep") == 0) {
        // exit from inside nested calls unwinds everything.
        struct { int depth; } frame = { 0 };
        for (frame.depth = 0; frame.depth < 3; ++frame.depth)
            printf("depth %d\n", frame.depth);
        exit(status);
    }
    if (strcmp(mode, "abort") == 0) {
        fflush(stdout);
        abort();
    }
    if (strcmp(mode, "store") == 0) {
        // The address comes from the command line, so the compiler cannot see it.
        fflush(stdout);
        volatile uint32_t* far = (volatile uint32_t*)(uintptr_t)strtoul(argv[2], NULL, 0);
        *far = 1;
        printf("the store did not trap\n");
    }
    return status;
}
