// touch [-c] [-d @SECONDS] FILE...: sets each FILE's access and modification times to now (or
// to SECONDS since 1970 UTC), creating missing files empty unless -c. Relative paths start at
// $PWD.
#include "wasmkern.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE* out)
{
    fprintf(out, "usage: touch [-c] [-d @SECONDS] FILE...\n"
                 "Sets the access and modification times of each FILE to now (or SECONDS since\n"
                 "1970-01-01 UTC), creating it empty if it does not exist (not with -c).\n");
}

int main(int argc, char** argv)
{
    int no_create = 0;
    const struct timespec* times = NULL; // NULL: now
    struct timespec given[2];
    struct WkOptions options = WK_OPTIONS("touch", argc, argv, usage);
    for (const char* arg; (arg = wk_next_option(&options));) {
        if (strcmp(arg, "-c") == 0) {
            no_create = 1;
        } else if (strcmp(arg, "-d") == 0 && options.next < argc) {
            const char* value = wk_option_value(&options);
            unsigned long long seconds;
            if (value[0] != '@' || wk_parse_count(value + 1, &seconds) != 0 || seconds > (unsigned long long)INT64_MAX) {
                fprintf(stderr, "touch: invalid date: %s (only @SECONDS)\n", value);
                return 2;
            }
            given[0].tv_sec = given[1].tv_sec = (time_t)seconds;
            given[0].tv_nsec = given[1].tv_nsec = 0;
            times = given;
        } else {
            return wk_usage_error(&options, "unknown option %s", arg);
        }
    }
    if (options.next >= argc)
        return wk_usage_error(&options, "missing file operand");
    int status = 0;
    for (int i = options.next; i < argc; ++i) {
        char path[WK_PATH_MAX];
        int error = wk_resolve_path(wk_cwd(), argv[i], path);
        struct stat info;
        if (!error && stat(path, &info) != 0) {
            error = errno;
            if (error == ENOENT && no_create)
                continue;
            if (error == ENOENT) {
                int fd = open(path, O_WRONLY | O_CREAT, 0666);
                error = fd < 0 ? errno : 0;
                if (fd >= 0)
                    close(fd);
            }
        }
        if (!error && utimensat(AT_FDCWD, path, times, 0) != 0)
            error = errno;
        if (error) {
            fprintf(stderr, "touch: %s: %s\n", argv[i], strerror(error));
            status = 1;
        }
    }
    return status;
}
