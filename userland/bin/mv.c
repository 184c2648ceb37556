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
    struct WkOptions options = WK_OPTIONS("mv", argc, argv, usage);
    const char* arg = wk_next_option(&options);
    if (arg)
        return wk_usage_error(&options, "unknown option %s", arg);
    char target[WK_PATH_MAX];
    int into_directory;
    int error = wk_transfer_target(&options, target, &into_directory);
    if (error)
        return error;
    int status = 0;
    for (int i = options.next; i < argc - 1; ++i) {
        char source[WK_PATH_MAX], destination[WK_PATH_MAX];
        if (wk_resolve_path(wk_cwd(), argv[i], source) != 0) {
            status |= report(argv[i], ENAMETOOLONG);
            continue;
        }
        if (strcmp(source, "/") == 0) {
            status |= report(argv[i], EBUSY);
            continue;
        }
        if (wk_transfer_destination(target, into_directory, source, destination) != 0) {
            status |= report(argv[i], ENAMETOOLONG);
            continue;
        }
        status |= move(argv[i], source, destination);
    }
    return status;
}
