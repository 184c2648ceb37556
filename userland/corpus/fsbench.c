// fsbench DIR [MIB] [FILES]: file system throughput. Writes a MIB MiB file in 1 MiB calls and
// fsyncs it, reads it back and compares, then creates FILES small files (100 bytes each) and
// fsyncs the directory, then removes them. Prints MB/s and creates/s (monotonic clock).
// The MB/s figures time the write, fsync and read calls only: filling the block and comparing
// what was read are outside the clock (under an emulator, a byte-wise memcmp of wasi-libc
// took longer than the reads it checked).
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int fail(const char* what)
{
    perror(what);
    return 1;
}

int main(int argc, char** argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: fsbench DIR [MIB] [FILES]\n");
        return 2;
    }
    const char* dir = argv[1];
    long mib = argc > 2 ? atol(argv[2]) : 32;
    long files = argc > 3 ? atol(argv[3]) : 500;
    static char block[1 << 20];
    static char back[1 << 20];
    char path[512];
    snprintf(path, sizeof path, "%s/fsbench.dat", dir);

    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return fail("open for writing");
    double wrote = 0;
    for (long i = 0; i < mib; ++i) {
        memset(block, (int)('a' + i % 26), sizeof block);
        double start = now_seconds();
        if (write(fd, block, sizeof block) != (ssize_t)sizeof block)
            return fail("write");
        wrote += now_seconds() - start;
    }
    double start = now_seconds();
    if (fsync(fd) != 0)
        return fail("fsync");
    wrote += now_seconds() - start;
    close(fd);

    fd = open(path, O_RDONLY);
    if (fd < 0)
        return fail("open for reading");
    long differ = 0;
    double read_time = 0;
    for (long i = 0; i < mib; ++i) {
        start = now_seconds();
        if (read(fd, back, sizeof back) != (ssize_t)sizeof back)
            return fail("read");
        read_time += now_seconds() - start;
        memset(block, (int)('a' + i % 26), sizeof block);
        differ += memcmp(block, back, sizeof back) != 0;
    }
    close(fd);
    unlink(path);

    start = now_seconds();
    char text[100];
    memset(text, 'f', sizeof text);
    for (long i = 0; i < files; ++i) {
        snprintf(path, sizeof path, "%s/small-%ld", dir, i);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || write(fd, text, sizeof text) != (ssize_t)sizeof text)
            return fail("small file");
        close(fd);
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    double created = now_seconds() - start;
    for (long i = 0; i < files; ++i) {
        snprintf(path, sizeof path, "%s/small-%ld", dir, i);
        unlink(path);
    }
    double mb = (double)mib * 1048576.0 / 1e6;
    printf("fsbench: %ld MiB write+fsync %.0f ms (%.1f MB/s), read %.0f ms (%.1f MB/s), %ld MiB differ; "
           "%ld files created+fsync %.0f ms (%.0f creates/s)\n",
           mib, wrote * 1e3, mb / wrote, read_time * 1e3, mb / read_time, differ, files, created * 1e3,
           (double)files / created);
    return differ ? 1 : 0;
}
