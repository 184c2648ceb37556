// The module-cache pinning attack (issue 12, hole 3): writes a copy of itself padded with a
// 40 MiB custom section under a new name, spawns it (the child exits at once), deletes it, and
// repeats. Before the fix each compiled copy stayed cached with all its bytes after the file
// was gone (11 rounds pinned about 440 MiB); now the padding is never kept and a deleted file's
// module leaves the cache, so memory returns to what it was.
//   quota_cache_pin ROUNDS   the attack
//   quota_cache_pin child    a copy: exits 0
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wasmkern.h"

enum { kPadMiB = 40 };

static unsigned char g_chunk[1 << 16];

// A custom section header: id 0, a 5-byte LEB size (the name and the padding), name "pad".
static size_t custom_header(unsigned char* out, uint32_t padding)
{
    uint32_t size = 1 + 3 + padding;
    out[0] = 0;
    for (int i = 0; i < 5; ++i)
        out[1 + i] = (unsigned char)(((size >> (7 * i)) & 0x7f) | (i < 4 ? 0x80 : 0));
    out[6] = 3;
    memcpy(out + 7, "pad", 3);
    return 10;
}

static int write_all(int fd, const void* data, size_t length)
{
    const unsigned char* bytes = data;
    while (length > 0) {
        ssize_t written = write(fd, bytes, length);
        if (written <= 0)
            return -1;
        bytes += written;
        length -= (size_t)written;
    }
    return 0;
}

// Copies /bin/quota_cache_pin to `path` with the padding appended.
static int write_padded_copy(const char* path)
{
    int in = open("/bin/quota_cache_pin", O_RDONLY);
    int out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0)
        return errno;
    ssize_t got;
    while ((got = read(in, g_chunk, sizeof(g_chunk))) > 0) {
        if (write_all(out, g_chunk, (size_t)got) != 0)
            return errno;
    }
    close(in);
    unsigned char header[10];
    uint32_t padding = (uint32_t)kPadMiB << 20;
    if (write_all(out, header, custom_header(header, padding)) != 0)
        return errno;
    memset(g_chunk, 0, sizeof(g_chunk));
    for (uint32_t done = 0; done < padding; done += sizeof(g_chunk)) {
        if (write_all(out, g_chunk, sizeof(g_chunk)) != 0)
            return errno;
    }
    close(out);
    return 0;
}

int main(int argc, char** argv)
{
    if (argc > 1 && strcmp(argv[1], "child") == 0)
        return 0;
    int rounds = argc > 1 ? atoi(argv[1]) : 11;
    int spawned = 0;
    for (int round = 0; round < rounds; ++round) {
        char path[64];
        snprintf(path, sizeof(path), "/quota_cache_pin.%d", round);
        int error = write_padded_copy(path);
        if (error) {
            printf("quota_cache_pin: round %d: writing %s: %s\n", round, path, strerror(error));
            unlink(path);
            continue;
        }
        static const char child_argv[] = "quota_cache_pin\0child";
        uint32_t pid = 0;
        error = wasmkern_spawn(path, (uint32_t)strlen(path), child_argv, sizeof(child_argv), "", 0, 0, 1, 2, &pid);
        uint32_t status = 1;
        if (error == 0 && wasmkern_wait(pid, &status) == 0 && status == 0)
            ++spawned;
        else
            printf("quota_cache_pin: round %d: spawn: errno %d, status %u\n", round, error, status);
        unlink(path);
    }
    printf("quota_cache_pin: %d of %d padded copies ran\n", spawned, rounds);
    return spawned == rounds ? 0 : 1;
}
