// rm [-r] [-f] PATH...: removes files; -r removes directories with everything in them;
// -f is quiet about paths that do not exist. Relative paths start at $PWD.
#include "wasmkern.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int g_recursive;
static int g_force;

static void usage(FILE* out)
{
    fprintf(out, "usage: rm [-r] [-f] PATH...\n"
                 "Removes each file. -r removes directories and their contents; -f ignores paths that\n"
                 "do not exist. Relative paths start at $PWD. \"/\" is never removed.\n");
}

static int report(const char* shown, int error)
{
    if (g_force && error == ENOENT)
        return 0;
    fprintf(stderr, "rm: %s: %s\n", shown, strerror(error));
    return 1;
}

// Removes `path` (absolute, `length` bytes, in a WK_PATH_MAX buffer it may extend while
// descending). Errors name the path as resolved below the operand. 0 or 1.
static int remove_path(char* path, size_t length)
{
    struct stat info;
    if (lstat(path, &info) != 0)
        return report(path, errno);
    if (!S_ISDIR(info.st_mode))
        return unlink(path) == 0 ? 0 : report(path, errno);
    if (!g_recursive)
        return report(path, EISDIR);
    // The names first, then the removals: a directory stream need not stay valid while
    // entries are removed under it.
    DIR* dir = opendir(path);
    if (!dir)
        return report(path, errno);
    struct WkStrings names = { 0 };
    int status = 0;
    for (;;) {
        errno = 0;
        struct dirent* entry = readdir(dir);
        if (!entry) {
            if (errno)
                status = report(path, errno);
            break;
        }
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        int error = wk_strings_append(&names, entry->d_name);
        if (error) {
            status = report(path, error);
            break;
        }
    }
    closedir(dir);
    for (size_t offset = 0; offset < names.length;) {
        const char* name = names.data + offset;
        size_t name_length = strlen(name);
        offset += name_length + 1;
        if (length + 1 + name_length + 1 > WK_PATH_MAX) {
            status |= report(path, ENAMETOOLONG);
            continue;
        }
        path[length] = '/';
        memcpy(path + length + 1, name, name_length + 1);
        status |= remove_path(path, length + 1 + name_length);
        path[length] = '\0';
    }
    wk_strings_free(&names);
    if (status)
        return status;
    return rmdir(path) == 0 ? 0 : report(path, errno);
}

static int remove_operand(const char* shown)
{
    char path[WK_PATH_MAX];
    int error = wk_resolve_path(wk_cwd(), shown, path);
    if (error)
        return report(shown, error);
    if (strcmp(path, "/") == 0) {
        fprintf(stderr, "rm: %s: refusing to remove the root directory\n", shown);
        return 1;
    }
    struct stat info;
    if (lstat(path, &info) != 0)
        return report(shown, errno);
    if (S_ISDIR(info.st_mode) && !g_recursive)
        return report(shown, EISDIR);
    return remove_path(path, strlen(path));
}

int main(int argc, char** argv)
{
    int first = 1;
    for (; first < argc && argv[first][0] == '-' && argv[first][1]; ++first) {
        if (strcmp(argv[first], "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[first], "--") == 0) {
            ++first;
            break;
        }
        for (const char* flag = argv[first] + 1; *flag; ++flag) {
            if (*flag == 'r' || *flag == 'R')
                g_recursive = 1;
            else if (*flag == 'f')
                g_force = 1;
            else {
                fprintf(stderr, "rm: unknown option -%c\n", *flag);
                usage(stderr);
                return 2;
            }
        }
    }
    if (first == argc) {
        if (g_force)
            return 0;
        fprintf(stderr, "rm: missing operand\n");
        usage(stderr);
        return 2;
    }
    int status = 0;
    for (int i = first; i < argc; ++i)
        status |= remove_operand(argv[i]);
    return status;
}
