// Spends its whole life in WASI calls whose work the caller sizes, so that timer ticks
// almost never find it in wasm code (docs/boot-and-machine-state.md, "Long calls"):
//   long_call pread    fd_pread of 1023 iovecs (the most whose total fits the u32 count), all
//                      on one 4 MiB buffer, from a sparse file of 1 TiB: almost 4 GiB of
//                      zeroing per call, free for the RAM file system.
//   long_call console  fd_write to the console of 1024 iovecs on one 64 KiB buffer of
//                      newlines (64 MiB per call; blank lines keep the transcript readable).
//   long_call random   random_get into a 16 MiB buffer, again and again.
// Each loops forever: only kill ends it. Right before its loop each appends one byte to
// /long_call-MODE, so the file's size counts the runs that got that far (tests read it with
// ls: the console's own echo may cut into what the program prints). The kernel must keep other processes running on
// time meanwhile and end this one within milliseconds of the kill.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

#define IOVECS 1024

static __wasi_iovec_t g_iovecs[IOVECS];

static void mark_started(const char* mode)
{
    char path[64];
    snprintf(path, sizeof(path), "/long_call-%s", mode);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        (void)write(fd, "x", 1);
        close(fd);
    }
}

static int attack_pread(void)
{
    const size_t buffer_size = 4u << 20;
    unsigned char* buffer = malloc(buffer_size);
    int fd = open("/long_call.sparse", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (!buffer || fd < 0) {
        perror("long_call: pread setup");
        return 1;
    }
    if (ftruncate(fd, (off_t)1 << 40) != 0) {
        perror("long_call: ftruncate to 1 TiB");
        return 1;
    }
    const int iovecs = IOVECS - 1;
    for (int i = 0; i < iovecs; ++i) {
        g_iovecs[i].buf = buffer;
        g_iovecs[i].buf_len = buffer_size;
    }
    printf("long_call: pread of %d x %zu bytes per call\n", iovecs, buffer_size);
    fflush(stdout);
    mark_started("pread");
    for (__wasi_filesize_t offset = 0;; offset += 4096) {
        __wasi_size_t count = 0;
        __wasi_errno_t error = __wasi_fd_pread(fd, g_iovecs, iovecs, offset % ((__wasi_filesize_t)1 << 39), &count);
        if (error != 0) {
            printf("long_call: fd_pread -> %d\n", error);
            return 1;
        }
    }
}

static int attack_console(void)
{
    const size_t buffer_size = 64u << 10;
    unsigned char* buffer = malloc(buffer_size);
    if (!buffer)
        return 1;
    memset(buffer, '\n', buffer_size);
    __wasi_ciovec_t* iovecs = (__wasi_ciovec_t*)g_iovecs;
    for (int i = 0; i < IOVECS; ++i) {
        iovecs[i].buf = buffer;
        iovecs[i].buf_len = buffer_size;
    }
    printf("long_call: console write of %d x %zu bytes per call\n", IOVECS, buffer_size);
    fflush(stdout);
    mark_started("console");
    for (;;) {
        __wasi_size_t count = 0;
        __wasi_errno_t error = __wasi_fd_write(1, iovecs, IOVECS, &count);
        if (error != 0)
            return 1;
    }
}

static int attack_random(void)
{
    const size_t buffer_size = 16u << 20;
    unsigned char* buffer = malloc(buffer_size);
    if (!buffer) {
        printf("long_call: no memory for the random buffer\n");
        return 1;
    }
    printf("long_call: random_get of %zu bytes per call\n", buffer_size);
    fflush(stdout);
    mark_started("random");
    for (;;) {
        __wasi_errno_t error = __wasi_random_get(buffer, buffer_size);
        if (error != 0) {
            printf("long_call: random_get -> %d\n", error);
            return 1;
        }
    }
}

int main(int argc, char** argv)
{
    const char* mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "pread") == 0)
        return attack_pread();
    if (strcmp(mode, "console") == 0)
        return attack_console();
    if (strcmp(mode, "random") == 0)
        return attack_random();
    fprintf(stderr, "usage: long_call pread|console|random\n");
    return 2;
}
