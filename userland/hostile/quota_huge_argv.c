// Spawns with argv and environment buffers far beyond the kernel's bound (256 KiB of strings):
// the kernel must refuse with E2BIG before copying anything, and still spawn with a large but
// allowed argv. Prints one line per attempt.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasmkern.h"

// `count` strings of `length` 'a's each, NUL-terminated, after "exit_code\0".
static char* strings(size_t count, size_t length, size_t* size)
{
    static const char first[] = "exit_code";
    *size = sizeof(first) + count * (length + 1);
    char* buffer = malloc(*size);
    if (!buffer)
        return NULL;
    memcpy(buffer, first, sizeof(first));
    char* at = buffer + sizeof(first);
    for (size_t i = 0; i < count; ++i) {
        memset(at, 'a', length);
        at[length] = 0;
        at += length + 1;
    }
    return buffer;
}

static void attempt(const char* what, const char* argv, size_t argv_size, const char* env, size_t env_size)
{
    static const char path[] = "/bin/exit_code";
    uint32_t pid = 0;
    int error = wasmkern_spawn(path, sizeof(path) - 1, argv, (uint32_t)argv_size, env, (uint32_t)env_size, 0, 1, 2, &pid);
    uint32_t status = 0;
    if (error == 0)
        wasmkern_wait(pid, &status);
    printf("quota_huge_argv: %s -> errno %d (%s)%s\n", what, error, error ? strerror(error) : "spawned",
           error == 0 && status != 0 ? " with a bad status" : "");
}

int main(void)
{
    size_t big_size = 0, env_size = 0, allowed_size = 0;
    // 1000 arguments of 4 KiB: 4 MiB (the count is below the 4096-string bound).
    char* big = strings(1000, 4095, &big_size);
    char* env = strings(1000, 4095, &env_size);
    char* allowed = strings(100, 1023, &allowed_size); // 100 KiB
    if (!big || !env || !allowed) {
        printf("quota_huge_argv: out of memory\n");
        return 1;
    }
    attempt("4 MiB argv", big, big_size, "", 0);
    attempt("4 MiB environment", "exit_code", sizeof("exit_code"), env, env_size);
    attempt("100 KiB argv", allowed, allowed_size, "", 0);
    return 0;
}
