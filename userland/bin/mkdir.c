// mkdir [-p] DIR...: creates directories; -p creates missing parents too and accepts
// directories that already exist. Relative paths start at $PWD.
#include "wasmkern.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void usage(FILE* out)
{
    fprintf(out, "usage: mkdir [-p] DIR...\n"
                 "Creates each directory. -p also creates missing parent directories and is quiet\n"
                 "about directories that exist. Relative paths start at $PWD.\n");
}

// mkdir that succeeds for an existing directory. 0 or an errno.
static int make_one(const char* path, int existing_ok)
{
    if (mkdir(path, 0777) == 0)
        return 0;
    int error = errno;
    struct stat info;
    if (existing_ok && error == EEXIST && stat(path, &info) == 0 && S_ISDIR(info.st_mode))
        return 0;
    return error;
}

static int make(const char* shown, int parents)
{
    char path[WK_PATH_MAX];
    int error = wk_resolve_path(wk_cwd(), shown, path);
    if (!error && parents) {
        // Each prefix ending before a '/' (after the leading one), then the whole path.
        for (char* slash = strchr(path + 1, '/'); slash && !error; slash = strchr(slash + 1, '/')) {
            *slash = '\0';
            error = make_one(path, 1);
            *slash = '/';
        }
    }
    if (!error)
        error = make_one(path, parents);
    if (error) {
        fprintf(stderr, "mkdir: %s: %s\n", shown, strerror(error));
        return 1;
    }
    return 0;
}

int main(int argc, char** argv)
{
    int parents = 0;
    int first = 1;
    for (; first < argc && argv[first][0] == '-'; ++first) {
        if (strcmp(argv[first], "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[first], "-p") == 0) {
            parents = 1;
        } else if (strcmp(argv[first], "--") == 0) {
            ++first;
            break;
        } else {
            fprintf(stderr, "mkdir: unknown option %s\n", argv[first]);
            usage(stderr);
            return 2;
        }
    }
    if (first == argc) {
        fprintf(stderr, "mkdir: missing directory name\n");
        usage(stderr);
        return 2;
    }
    int status = 0;
    for (int i = first; i < argc; ++i)
        status |= make(argv[i], parents);
    return status;
}
