// mv SOURCE TARGET, mv SOURCE... DIRECTORY: renames files and directories; into DIRECTORY when
// the target is one. Only a rename: Wasmkern's processes see one file system (the "/"
// preopen), so there is no copy across file systems. Relative paths start at $PWD.
#include "wasmkern.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void usage(FILE* out)
{
    fprintf(out, "usage: mv SOURCE TARGET\n"
                 "       mv SOURCE... DIRECTORY\n"
                 "Renames SOURCE to TARGET, or moves each SOURCE into DIRECTORY. An existing file\n"
                 "TARGET is replaced. Relative paths start at $PWD.\n");
}

static int report(const char* shown, int error)
{
    fprintf(stderr, "mv: %s: %s\n", shown, strerror(error));
    return 1;
}

static int move(const char* shown, const char* source, const char* target)
{
    struct stat from, to;
    if (lstat(source, &from) != 0)
        return report(shown, errno);
    if (lstat(target, &to) == 0 && to.st_dev == from.st_dev && to.st_ino == from.st_ino) {
        fprintf(stderr, "mv: %s and %s are the same file\n", source, target);
        return 1;
    }
    size_t length = strlen(source);
    if (S_ISDIR(from.st_mode) && strncmp(target, source, length) == 0 && (target[length] == '/' || length == 1)) {
        fprintf(stderr, "mv: cannot move a directory, %s, into itself, %s\n", source, target);
        return 1;
    }
    if (rename(source, target) != 0)
        return report(shown, errno);
    return 0;
}

int main(int argc, char** argv)
{
    int first = 1;
    if (first < argc && strcmp(argv[first], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (first < argc && strcmp(argv[first], "--") == 0)
        ++first;
    else if (first < argc && argv[first][0] == '-' && argv[first][1] != '\0') {
        fprintf(stderr, "mv: unknown option %s\n", argv[first]);
        usage(stderr);
        return 2;
    }
    if (argc - first < 2) {
        fprintf(stderr, "mv: missing %s\n", argc == first ? "source and target" : "target");
        usage(stderr);
        return 2;
    }
    const char* cwd = wk_cwd();
    char target[WK_PATH_MAX];
    if (wk_resolve_path(cwd, argv[argc - 1], target) != 0)
        return report(argv[argc - 1], ENAMETOOLONG);
    struct stat info;
    int into_directory = stat(target, &info) == 0 && S_ISDIR(info.st_mode);
    // NOTE: resolving drops a trailing '/', which still promises a directory.
    const char* last = argv[argc - 1];
    if ((argc - first > 2 || last[strlen(last) - 1] == '/') && !into_directory)
        return report(last, ENOTDIR);
    int status = 0;
    for (int i = first; i < argc - 1; ++i) {
        char source[WK_PATH_MAX], destination[WK_PATH_MAX];
        if (wk_resolve_path(cwd, argv[i], source) != 0) {
            status |= report(argv[i], ENAMETOOLONG);
            continue;
        }
        if (strcmp(source, "/") == 0) {
            status |= report(argv[i], EBUSY);
            continue;
        }
        if (into_directory) {
            const char* name = strrchr(source, '/') + 1;
            if ((size_t)snprintf(destination, sizeof destination, "%s/%s", strcmp(target, "/") ? target : "", name)
                >= sizeof destination) {
                status |= report(argv[i], ENAMETOOLONG);
                continue;
            }
        } else {
            memcpy(destination, target, sizeof target);
        }
        status |= move(argv[i], source, destination);
    }
    return status;
}
