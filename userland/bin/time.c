// time COMMAND [ARG...]: runs COMMAND (found like the shell finds it), then prints its wall
// time on stderr as `real 0.012s` and exits with its status.
#include "wasmkern.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned long long now_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (unsigned long long)now.tv_sec * 1000000000ull + (unsigned long long)now.tv_nsec;
}

int main(int argc, char** argv)
{
    if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: time COMMAND [ARG...]\n"
               "Runs COMMAND (/bin/COMMAND, or a path when it contains '/'), then prints the wall\n"
               "time it took on standard error as `real 0.012s`. Exits with COMMAND's status.\n");
        return 0;
    }
    if (argc < 2) {
        fprintf(stderr, "time: missing command\nusage: time COMMAND [ARG...]\n");
        return 2;
    }
    const char* cwd = wk_cwd();
    char path[WK_PATH_MAX];
    int error = wk_program_path(cwd, argv[1], path);
    char** environment = error ? NULL : wk_environment_with_pwd(cwd);
    if (!error && !environment)
        error = ENOMEM;
    unsigned long long start = now_ns();
    uint32_t pid = 0;
    if (!error)
        error = wk_spawn(path, argc - 1, argv + 1, environment, &pid);
    free(environment);
    if (error) {
        if (error == ENOENT)
            fprintf(stderr, "time: %s: command not found\n", argv[1]);
        else if (error == ENOEXEC)
            fprintf(stderr, "time: %s: not a valid program\n", argv[1]);
        else if (error == EAGAIN)
            fprintf(stderr, "time: %s: too many processes (the kernel's limit)\n", argv[1]);
        else
            fprintf(stderr, "time: %s: %s\n", argv[1], strerror(error));
        return error == ENOENT ? 127 : 126;
    }
    uint32_t status = 0;
    error = wasmkern_wait(pid, &status);
    unsigned long long elapsed = now_ns() - start;
    if (error) {
        fprintf(stderr, "time: wait for %s: %s\n", argv[1], strerror(error));
        return 1;
    }
    fprintf(stderr, "real %llu.%03llus\n", elapsed / 1000000000ull, elapsed / 1000000ull % 1000ull);
    return (int)(status & 0xff);
}
