// The one WASI call userland/bin/httpd.c makes directly, __wasi_fd_fdstat_get to find the
// listening socket it was handed, answered from Linux for the native build of the benchmark's
// httpd table (bench/harness/httpd.py): a listening stream socket reports the accept right.
#pragma once

#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>

typedef int __wasi_fd_t;
typedef struct {
    uint8_t fs_filetype;
    uint64_t fs_rights_base;
} __wasi_fdstat_t;

#define __WASI_FILETYPE_SOCKET_STREAM 6
#define __WASI_RIGHTS_SOCK_ACCEPT ((uint64_t)1 << 29)

static inline int __wasi_fd_fdstat_get(__wasi_fd_t fd, __wasi_fdstat_t* status)
{
    struct stat info;
    if (fstat(fd, &info) != 0)
        return 8; // badf
    int type = 0, listening = 0;
    socklen_t length = sizeof type;
    status->fs_filetype = 0;
    status->fs_rights_base = 0;
    if (S_ISSOCK(info.st_mode) && getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0 && type == SOCK_STREAM) {
        status->fs_filetype = __WASI_FILETYPE_SOCKET_STREAM;
        length = sizeof listening;
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) == 0 && listening)
            status->fs_rights_base = __WASI_RIGHTS_SOCK_ACCEPT;
    }
    return 0;
}
