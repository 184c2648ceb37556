// cat [FILE...]: writes each file to stdout in turn; no FILE, or "-", reads stdin. Relative
// paths start at $PWD. A file that cannot be read is reported and skipped (status 1).
#include "wasmkern.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_all(const char* data, size_t size)
{
    while (size > 0) {
        ssize_t written = write(STDOUT_FILENO, data, size);
        if (written < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += written;
        size -= (size_t)written;
    }
    return 0;
}

// Copies fd to stdout. 0, or the errno of the failed read (reported by the caller) or -1 for
// a failed write (reported here: it ends the program).
static int copy(int fd)
{
    static char buffer[16384];
    for (;;) {
        ssize_t count = read(fd, buffer, sizeof buffer);
        if (count == 0)
            return 0;
        if (count < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (write_all(buffer, (size_t)count) != 0) {
            perror("cat: write");
            return -1;
        }
    }
}

static int cat_path(const char* shown)
{
    char path[WK_PATH_MAX];
    int error = wk_resolve_path(wk_cwd(), shown, path);
    int fd = -1;
    if (!error) {
        fd = open(path, O_RDONLY);
        if (fd < 0)
            error = errno;
    }
    struct stat info;
    if (!error && fstat(fd, &info) == 0 && S_ISDIR(info.st_mode))
        error = EISDIR;
    if (!error)
        error = copy(fd);
    if (fd >= 0)
        close(fd);
    if (error > 0)
        fprintf(stderr, "cat: %s: %s\n", shown, strerror(error));
    return error;
}

int main(int argc, char** argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: cat [FILE...]\n"
               "Writes the files to standard output one after the other; with no FILE, or for \"-\",\n"
               "reads standard input. Relative paths start at $PWD.\n");
        return 0;
    }
    static char* const standard_input[] = { "cat", "-" };
    if (argc == 1) {
        argc = 2;
        argv = (char**)standard_input;
    }
    int status = 0;
    for (int i = 1; i < argc; ++i) {
        int error;
        if (strcmp(argv[i], "-") == 0) {
            error = copy(STDIN_FILENO);
            if (error > 0)
                fprintf(stderr, "cat: standard input: %s\n", strerror(error));
        } else {
            error = cat_path(argv[i]);
        }
        if (error < 0)
            return 1;
        if (error > 0)
            status = 1;
    }
    return status;
}
