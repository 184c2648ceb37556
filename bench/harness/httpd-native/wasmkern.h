// What userland/bin/httpd.c takes from userland/include/wasmkern.h, for building it natively
// on Linux for the benchmark's httpd table (bench/harness/httpd.py); with wasi/api.h beside it,
// the whole shim. The rest of httpd.c is POSIX and compiles as it is.
#pragma once

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define WK_PATH_MAX 1024

static inline const char* wk_cwd(void) { return "."; }

// The absolute path of `path` (relative to the working directory): 0, or an errno.
static inline int wk_resolve_path(const char* cwd, const char* path, char out[WK_PATH_MAX])
{
    (void)cwd;
    char resolved[PATH_MAX];
    if (!realpath(path, resolved))
        return errno;
    if (strlen(resolved) >= WK_PATH_MAX)
        return ENAMETOOLONG;
    strcpy(out, resolved);
    return 0;
}
