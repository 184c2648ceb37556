// Writes a module of 1,500,000 empty functions (6 MB; compiling it would take about 490 MiB of
// kernel heap, more than a process may use) and spawns it: the kernel must refuse with ENOMEM
// before compiling, saying how much it would need, and keep answering.
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wasmkern.h"

enum { kFunctions = 1500000 };

static size_t put_leb(unsigned char* out, uint32_t value)
{
    size_t length = 0;
    do {
        unsigned char byte = value & 0x7f;
        value >>= 7;
        out[length++] = byte | (value ? 0x80 : 0);
    } while (value);
    return length;
}

int main(void)
{
    size_t capacity = 64 + 2 * 5 + kFunctions * 4;
    unsigned char* module = malloc(capacity);
    if (!module)
        return 1;
    static const unsigned char head[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00,             // type () -> ()
    };
    static const unsigned char exports[] = { 0x07, 0x0a, 0x01, 0x06, '_', 's', 't', 'a', 'r', 't', 0x00, 0x00 };
    size_t at = 0;
    memcpy(module, head, sizeof(head));
    at += sizeof(head);
    unsigned char count[5];
    size_t count_length = put_leb(count, kFunctions);
    module[at++] = 3; // function section: every function has type 0
    at += put_leb(module + at, (uint32_t)(count_length + kFunctions));
    memcpy(module + at, count, count_length);
    at += count_length;
    memset(module + at, 0, kFunctions);
    at += kFunctions;
    memcpy(module + at, exports, sizeof(exports));
    at += sizeof(exports);
    module[at++] = 10; // code section: empty bodies
    at += put_leb(module + at, (uint32_t)(count_length + 3 * kFunctions));
    memcpy(module + at, count, count_length);
    at += count_length;
    for (int i = 0; i < kFunctions; ++i) {
        module[at++] = 0x02;
        module[at++] = 0x00;
        module[at++] = 0x0b;
    }
    static const char path[] = "/quota_compile_bomb.wasm";
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, module, at) != (ssize_t)at) {
        printf("quota_compile_bomb: writing %s: %s\n", path, strerror(errno));
        return 1;
    }
    close(fd);
    static const char argv[] = "bomb";
    uint32_t pid = 0;
    int error = wasmkern_spawn(path, sizeof(path) - 1, argv, sizeof(argv), "", 0, 0, 1, 2, &pid);
    uint32_t status = 0;
    if (error == 0)
        wasmkern_wait(pid, &status);
    printf("quota_compile_bomb: spawn of %zu bytes -> errno %d (%s)\n", at, error, error ? strerror(error) : "spawned");
    unlink(path);
    return 0;
}
