// ls [-a] [-l] [PATH...]: lists directories (names sorted bytewise, directories with a
// trailing '/'), or names a file given as PATH. Relative paths start at $PWD.
#include "wasmkern.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int g_all;  // -a: names starting with '.' too
static int g_long; // -l: type and size before each name

static void usage(FILE* out)
{
    fprintf(out, "usage: ls [-a] [-l] [PATH...]\n"
                 "Lists each directory's entries sorted by name (directories end in '/'), or names a\n"
                 "file. Without PATH lists $PWD. -a includes names starting with '.' (but not . and ..);\n"
                 "-l shows the type and a file's size in bytes. Relative paths start at $PWD.\n");
}

// A name as printed: control bytes become '?', so a name cannot drive the terminal.
static void print_name(const char* name)
{
    for (const char* c = name; *c; ++c)
        putchar(((unsigned char)*c < 0x20 || *c == 0x7f) ? '?' : *c);
}

static void print_entry(const char* name, const struct stat* info)
{
    if (g_long) {
        const char* type = S_ISDIR(info->st_mode) ? "dir" : S_ISREG(info->st_mode) ? "file"
            : S_ISLNK(info->st_mode)                                             ? "link"
                                                                                 : "other";
        // A directory's size is whatever the file system keeps; only a file's says something.
        if (S_ISDIR(info->st_mode))
            printf("%-5s %10s  ", type, "-");
        else
            printf("%-5s %10llu  ", type, (unsigned long long)info->st_size);
    }
    print_name(name);
    if (S_ISDIR(info->st_mode))
        putchar('/');
    putchar('\n');
}

static int compare_names(const void* a, const void* b)
{
    return strcmp(*(char* const*)a, *(char* const*)b);
}

// Lists the directory at `path` (absolute); errors are reported with `shown`. 0 or 1.
static int list_directory(const char* shown, const char* path)
{
    DIR* dir = opendir(path);
    if (!dir) {
        fprintf(stderr, "ls: %s: %s\n", shown, strerror(errno));
        return 1;
    }
    char** names = NULL;
    size_t count = 0, capacity = 0;
    int status = 0;
    for (;;) {
        errno = 0;
        struct dirent* entry = readdir(dir);
        if (!entry) {
            if (errno) {
                fprintf(stderr, "ls: %s: %s\n", shown, strerror(errno));
                status = 1;
            }
            break;
        }
        const char* name = entry->d_name;
        // "." and ".." are left out even with -a: not every file system reports them.
        if (name[0] == '.' && (!g_all || name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
            continue;
        if (count == capacity) {
            capacity = capacity ? capacity * 2 : 64;
            char** grown = realloc(names, capacity * sizeof *names);
            if (!grown) {
                fprintf(stderr, "ls: %s: out of memory\n", shown);
                status = 1;
                break;
            }
            names = grown;
        }
        names[count] = strdup(name);
        if (!names[count]) {
            fprintf(stderr, "ls: %s: out of memory\n", shown);
            status = 1;
            break;
        }
        ++count;
    }
    closedir(dir);
    qsort(names, count, sizeof *names, compare_names);
    for (size_t i = 0; i < count; ++i) {
        char full[WK_PATH_MAX];
        struct stat info;
        int written = snprintf(full, sizeof full, "%s/%s", strcmp(path, "/") == 0 ? "" : path, names[i]);
        if (written < 0 || (size_t)written >= sizeof full) {
            fprintf(stderr, "ls: %s/%s: %s\n", shown, names[i], strerror(ENAMETOOLONG));
            status = 1;
        } else if (lstat(full, &info) != 0) {
            fprintf(stderr, "ls: %s/%s: %s\n", shown, names[i], strerror(errno));
            status = 1;
        } else {
            print_entry(names[i], &info);
        }
        free(names[i]);
    }
    free(names);
    return status;
}

static int list(const char* shown, int with_header, int first)
{
    char path[WK_PATH_MAX];
    int error = wk_resolve_path(wk_cwd(), shown, path);
    struct stat info;
    if (!error && stat(path, &info) != 0)
        error = errno;
    if (error) {
        fprintf(stderr, "ls: %s: %s\n", shown, strerror(error));
        return 1;
    }
    if (!S_ISDIR(info.st_mode)) {
        print_entry(shown, &info);
        return 0;
    }
    if (with_header) {
        if (!first)
            putchar('\n');
        print_name(shown);
        printf(":\n");
    }
    return list_directory(shown, path);
}

int main(int argc, char** argv)
{
    int first_path = 1;
    for (; first_path < argc && argv[first_path][0] == '-' && argv[first_path][1]; ++first_path) {
        const char* option = argv[first_path];
        if (strcmp(option, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(option, "--") == 0) {
            ++first_path;
            break;
        }
        for (const char* flag = option + 1; *flag; ++flag) {
            if (*flag == 'a')
                g_all = 1;
            else if (*flag == 'l')
                g_long = 1;
            else {
                fprintf(stderr, "ls: unknown option -%c\n", *flag);
                usage(stderr);
                return 2;
            }
        }
    }
    int status = 0;
    if (first_path == argc)
        status = list(".", 0, 1);
    for (int i = first_path; i < argc; ++i)
        status |= list(argv[i], argc - first_path > 1, i == first_path);
    if (fflush(stdout) != 0) {
        perror("ls: write");
        return 1;
    }
    return status;
}
