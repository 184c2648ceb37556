// Directories: mkdir (nested), readdir, rmdir, chdir with relative paths, errors.
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures = 0;

static void check(int condition, const char* what)
{
    printf("%s: %s\n", condition ? "ok" : "FAIL", what);
    if (!condition)
        ++failures;
}

static int compare(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

// Prints the sorted entries of a directory, without "." and "..".
static void list(const char* path)
{
    DIR* dir = opendir(path);
    if (!dir) {
        printf("opendir %s failed: %s\n", path, strerror(errno));
        ++failures;
        return;
    }
    char* names[256];
    int count = 0;
    struct dirent* entry;
    while ((entry = readdir(dir)) != NULL && count < 256) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        names[count++] = strdup(entry->d_name);
    }
    closedir(dir);
    qsort(names, (size_t)count, sizeof(char*), compare);
    printf("%s:", path);
    for (int i = 0; i < count; ++i) {
        char full[512];
        snprintf(full, sizeof full, "%s/%s", path, names[i]);
        struct stat st;
        int is_dir = stat(full, &st) == 0 && S_ISDIR(st.st_mode);
        printf(" %s%s", names[i], is_dir ? "/" : "");
        free(names[i]);
    }
    printf("\n");
}

static void touch(const char* path, const char* text)
{
    FILE* f = fopen(path, "w");
    if (!f) {
        printf("cannot create %s\n", path);
        ++failures;
        return;
    }
    fputs(text, f);
    fclose(f);
}

int main(void)
{
    check(mkdir("/sandbox/a", 0755) == 0, "mkdir a");
    check(mkdir("/sandbox/a/b", 0755) == 0, "mkdir a/b");
    check(mkdir("/sandbox/a/b/c", 0755) == 0, "mkdir a/b/c");
    check(mkdir("/sandbox/a", 0755) == -1 && errno == EEXIST, "mkdir existing is EEXIST");
    check(mkdir("/sandbox/x/y", 0755) == -1 && errno == ENOENT, "mkdir under missing is ENOENT");
    for (int i = 0; i < 20; ++i) {
        char path[64];
        snprintf(path, sizeof path, "/sandbox/a/b/file%02d.txt", i);
        touch(path, "content\n");
    }
    list("/sandbox");
    list("/sandbox/a");
    list("/sandbox/a/b");

    struct stat st;
    check(stat("/sandbox/a/b/c", &st) == 0 && S_ISDIR(st.st_mode), "stat a directory");
    check(stat("/sandbox/a/b/c/../file05.txt", &st) == 0 && S_ISREG(st.st_mode), "path through ..");

    check(rmdir("/sandbox/a/b") == -1 && errno == ENOTEMPTY, "rmdir non-empty is ENOTEMPTY");
    check(rmdir("/sandbox/a/b/file00.txt") == -1 && errno == ENOTDIR, "rmdir a file is ENOTDIR");
    check(rmdir("/sandbox/a/b/c") == 0, "rmdir empty");
    check(opendir("/sandbox/nowhere") == NULL && errno == ENOENT, "opendir missing is ENOENT");

    check(chdir("/sandbox/a") == 0, "chdir");
    char cwd[256];
    check(getcwd(cwd, sizeof cwd) != NULL && strcmp(cwd, "/sandbox/a") == 0, "getcwd");
    touch("relative.txt", "made relative to the cwd\n");
    check(access("/sandbox/a/relative.txt", F_OK) == 0, "relative create landed in the cwd");
    check(rename("b/file19.txt", "moved.txt") == 0, "relative rename");
    list(".");

    for (int i = 0; i < 19; ++i) {
        char path[64];
        snprintf(path, sizeof path, "b/file%02d.txt", i);
        if (unlink(path) != 0)
            ++failures;
    }
    check(rmdir("b") == 0, "rmdir after emptying");
    list("/sandbox/a");
    check(mkdir("/sandbox/empty", 0755) == 0, "mkdir empty (left behind)");

    printf("%d failures\n", failures);
    return failures ? 1 : 0;
}
