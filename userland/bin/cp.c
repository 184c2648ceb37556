// cp [-r] SOURCE TARGET, cp [-r] SOURCE... DIRECTORY: copies files (contents only: WASI has
// no owners or modes); into DIRECTORY when the target is one. -r copies directories with their
// contents (symbolic links inside them as links). Relative paths start at $PWD.
#include "wasmkern.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int g_recursive;

static void usage(FILE* out)
{
    fprintf(out, "usage: cp [-r] SOURCE TARGET\n"
                 "       cp [-r] SOURCE... DIRECTORY\n"
                 "Copies each SOURCE to TARGET, or into DIRECTORY. -r copies directories and their\n"
                 "contents. Relative paths start at $PWD.\n");
}

static int report(const char* shown, int error)
{
    fprintf(stderr, "cp: %s: %s\n", shown, strerror(error));
    return 1;
}

static int copy_contents(const char* source, const char* target)
{
    int in = open(source, O_RDONLY);
    if (in < 0)
        return report(source, errno);
    int out = open(target, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (out < 0) {
        int error = errno;
        close(in);
        return report(target, error);
    }
    static char buffer[65536];
    int status = 0;
    for (;;) {
        ssize_t size = read(in, buffer, sizeof buffer);
        if (size == 0)
            break;
        if (size < 0) {
            status = report(source, errno);
            break;
        }
        for (ssize_t done = 0; done < size;) {
            ssize_t written = write(out, buffer + done, (size_t)(size - done));
            if (written < 0) {
                status = report(target, errno);
                break;
            }
            done += written;
        }
        if (status)
            break;
    }
    close(in);
    if (close(out) != 0 && !status)
        status = report(target, errno);
    return status;
}

static int copy_path(const char* source, const char* target, int top);

// Copies the entries of directory `source` into the directory `target` (created if missing).
static int copy_directory(const char* source, const char* target)
{
    size_t source_length = strlen(source);
    if (strncmp(target, source, source_length) == 0 && (target[source_length] == '/' || source_length == 1)) {
        fprintf(stderr, "cp: cannot copy a directory, %s, into itself, %s\n", source, target);
        return 1;
    }
    if (mkdir(target, 0777) != 0 && errno != EEXIST)
        return report(target, errno);
    DIR* dir = opendir(source);
    if (!dir)
        return report(source, errno);
    // The names first: the copies may add entries to a directory being read (cp -r d d/sub).
    struct WkStrings names = { 0 };
    int status = 0;
    struct dirent* entry;
    while ((errno = 0, entry = readdir(dir))) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        if (wk_strings_append(&names, entry->d_name) != 0) {
            status = report(source, ENOMEM);
            break;
        }
    }
    if (errno && !status)
        status = report(source, errno);
    closedir(dir);
    for (size_t at = 0; at < names.length; at += strlen(names.data + at) + 1) {
        char from[WK_PATH_MAX], to[WK_PATH_MAX];
        const char* name = names.data + at;
        if ((size_t)snprintf(from, sizeof from, "%s/%s", strcmp(source, "/") ? source : "", name) >= sizeof from
            || (size_t)snprintf(to, sizeof to, "%s/%s", target, name) >= sizeof to) {
            status |= report(name, ENAMETOOLONG);
            continue;
        }
        status |= copy_path(from, to, 0);
    }
    wk_strings_free(&names);
    return status;
}

// Copies source to target (both absolute). `top`: an operand (links followed), not an entry
// found while copying a directory (links copied as links).
static int copy_path(const char* source, const char* target, int top)
{
    struct stat from;
    if ((top ? stat(source, &from) : lstat(source, &from)) != 0)
        return report(source, errno);
    struct stat to;
    if (stat(target, &to) == 0 && to.st_dev == from.st_dev && to.st_ino == from.st_ino) {
        fprintf(stderr, "cp: %s and %s are the same file\n", source, target);
        return 1;
    }
    if (S_ISDIR(from.st_mode)) {
        if (!g_recursive) {
            fprintf(stderr, "cp: %s: is a directory (not copied; use -r)\n", source);
            return 1;
        }
        return copy_directory(source, target);
    }
    if (S_ISLNK(from.st_mode)) {
        char link[WK_PATH_MAX];
        ssize_t length = readlink(source, link, sizeof link - 1);
        if (length < 0)
            return report(source, errno);
        link[length] = '\0';
        return symlink(link, target) == 0 ? 0 : report(target, errno);
    }
    return copy_contents(source, target);
}

int main(int argc, char** argv)
{
    struct WkOptions options = WK_OPTIONS("cp", argc, argv, usage);
    int* const flags[] = { &g_recursive, &g_recursive };
    for (const char* arg; (arg = wk_next_option(&options));) {
        if (wk_flag_cluster(&options, arg, "rR", flags) != 0)
            return 2;
    }
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
        struct stat info;
        if (stat(source, &info) != 0) {
            status |= report(argv[i], errno);
            continue;
        }
        if (wk_transfer_destination(target, into_directory, source, destination) != 0) {
            status |= report(argv[i], ENAMETOOLONG);
            continue;
        }
        status |= copy_path(source, destination, 1);
    }
    return status;
}
