// Shows where a program starts (tests/userland/boot-cwd.sh): $PWD, $HOME, getcwd(), and each
// PATH operand opened, stat'ed and (for a directory) read with plain libc calls, not the
// userland helpers' resolution, so relative operands prove wasi-libc resolves them against
// the directory the program was started in.
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char* or_unset(const char* value) { return value ? value : "(unset)"; }

static int probe(const char* path)
{
    struct stat info;
    if (stat(path, &info) != 0) {
        printf("%s: stat: %s\n", path, strerror(errno));
        return 1;
    }
    if (S_ISDIR(info.st_mode)) {
        DIR* dir = opendir(path);
        if (!dir) {
            printf("%s: opendir: %s\n", path, strerror(errno));
            return 1;
        }
        int names = 0;
        for (struct dirent* entry; (entry = readdir(dir));)
            names += entry->d_name[0] != '.';
        closedir(dir);
        printf("%s: directory, %d names\n", path, names);
        return 0;
    }
    FILE* file = fopen(path, "r");
    if (!file) {
        printf("%s: open: %s\n", path, strerror(errno));
        return 1;
    }
    char line[256] = "";
    if (!fgets(line, sizeof line, file))
        line[0] = '\0';
    fclose(file);
    line[strcspn(line, "\n")] = '\0';
    printf("%s: %lld bytes: %s\n", path, (long long)info.st_size, line);
    return 0;
}

int main(int argc, char** argv)
{
    char cwd[1024];
    printf("PWD=%s HOME=%s getcwd=%s\n", or_unset(getenv("PWD")), or_unset(getenv("HOME")),
        getcwd(cwd, sizeof cwd) ? cwd : strerror(errno));
    int status = 0;
    for (int i = 1; i < argc; ++i)
        status |= probe(argv[i]);
    return status;
}
