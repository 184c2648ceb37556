// Files in the preopened directory /sandbox: create, write, read, seek, truncate,
// append, rename, unlink, stat, pread/pwrite, and the errors for missing and
// existing names. The resulting directory is part of what the harness compares.
#include <errno.h>
#include <fcntl.h>
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

static long file_size(const char* path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return (long)st.st_size;
}

int main(void)
{
    // stdio streams.
    FILE* f = fopen("/sandbox/notes.txt", "w");
    check(f != NULL, "fopen for writing");
    for (int i = 0; i < 100; ++i)
        fprintf(f, "line %03d: %-4s\n", i, i % 2 ? "odd" : "even");
    check(fclose(f) == 0, "fclose");
    check(file_size("/sandbox/notes.txt") == 100 * 15, "size after writing");

    f = fopen("/sandbox/notes.txt", "r");
    char line[64];
    int count = 0;
    while (fgets(line, sizeof line, f))
        ++count;
    check(count == 100, "100 lines read back");
    check(fseek(f, 15 * 10, SEEK_SET) == 0, "fseek");
    check(fgets(line, sizeof line, f) && strcmp(line, "line 010: even\n") == 0, "line after fseek");
    check(ftell(f) == 15 * 11, "ftell");
    check(fseek(f, -15, SEEK_END) == 0 && fgets(line, sizeof line, f) && strncmp(line, "line 099", 8) == 0,
          "fseek from the end");
    fclose(f);

    f = fopen("/sandbox/notes.txt", "a");
    fputs("appended\n", f);
    fclose(f);
    check(file_size("/sandbox/notes.txt") == 100 * 15 + 9, "append mode");

    // POSIX descriptors.
    int fd = open("/sandbox/data.bin", O_CREAT | O_RDWR | O_TRUNC, 0644);
    check(fd >= 0, "open O_CREAT");
    unsigned char block[4096];
    for (int i = 0; i < 4096; ++i)
        block[i] = (unsigned char)(i * 7);
    check(write(fd, block, sizeof block) == 4096, "write 4096 bytes");
    check(lseek(fd, 0, SEEK_CUR) == 4096, "position after write");
    check(lseek(fd, 1000, SEEK_SET) == 1000, "lseek");
    unsigned char byte = 0;
    check(read(fd, &byte, 1) == 1 && byte == (unsigned char)(1000 * 7), "read at 1000");
    check(pwrite(fd, "XYZ", 3, 10) == 3, "pwrite");
    char three[4] = { 0 };
    check(pread(fd, three, 3, 10) == 3 && memcmp(three, "XYZ", 3) == 0, "pread");
    check(lseek(fd, 0, SEEK_CUR) == 1001, "pread/pwrite keep the position");
    check(ftruncate(fd, 100) == 0 && file_size("/sandbox/data.bin") == 100, "ftruncate");
    check(lseek(fd, 0, SEEK_END) == 100, "SEEK_END after truncate");
    check(read(fd, block, 10) == 0, "read at end of file");
    struct stat st;
    check(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 100, "fstat");
    check(close(fd) == 0, "close");
    check(close(fd) == -1 && errno == EBADF, "double close is EBADF");

    // Names.
    check(open("/sandbox/missing.txt", O_RDONLY) == -1 && errno == ENOENT, "missing file is ENOENT");
    printf("strerror(ENOENT)=%s\n", strerror(ENOENT));
    check(open("/sandbox/data.bin", O_CREAT | O_EXCL | O_WRONLY, 0644) == -1 && errno == EEXIST, "O_EXCL on existing");
    check(rename("/sandbox/data.bin", "/sandbox/renamed.bin") == 0, "rename");
    check(access("/sandbox/data.bin", F_OK) == -1 && errno == ENOENT, "old name gone");
    check(file_size("/sandbox/renamed.bin") == 100, "new name has the data");
    f = fopen("/sandbox/doomed.txt", "w");
    fputs("short-lived\n", f);
    fclose(f);
    check(unlink("/sandbox/doomed.txt") == 0, "unlink");
    check(unlink("/sandbox/doomed.txt") == -1 && errno == ENOENT, "unlink again is ENOENT");

    // The fixture file given by the harness.
    f = fopen("/sandbox/input.txt", "r");
    check(f != NULL, "fixture present");
    if (f) {
        long sum = 0;
        int c;
        while ((c = fgetc(f)) != EOF)
            sum += c;
        fclose(f);
        printf("fixture checksum %ld\n", sum);
    }

    printf("%d failures\n", failures);
    return failures ? 1 : 0;
}
