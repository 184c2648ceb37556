// dbtest: a tiny transactional key-value store, as a database commits.
//   dbtest commit DIR N   commits transactions 1..N (or continues after the last committed)
//   dbtest loop DIR       commits transactions until killed
//   dbtest check DIR      verifies the store: every committed transaction is intact
// A transaction appends one record to DIR/log and fsyncs it, then writes DIR/index.new
// ("count=C bytes=B\n": C records in the first B bytes of the log), fsyncs it, renames it
// over DIR/index and fsyncs the directory. "committed C" is printed only after all that,
// so every printed transaction must survive a crash.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_path[512];

static const char* join(const char* dir, const char* name)
{
    snprintf(g_path, sizeof g_path, "%s/%s", dir, name);
    return g_path;
}

// The record of transaction `n`: its length varies so that records cross block boundaries.
static int record(long n, char* out, size_t size)
{
    char pad[200];
    int pad_length = (int)(n * 37 % 150);
    for (int i = 0; i < pad_length; ++i)
        pad[i] = (char)('a' + (n + i) % 26);
    pad[pad_length] = '\0';
    return snprintf(out, size, "key=k%ld value=v%ld-%s\n", n, n, pad);
}

static int die(const char* what)
{
    printf("dbtest: %s: %s\n", what, strerror(errno));
    return 1;
}

static int read_index(const char* dir, long* count, long* bytes)
{
    *count = 0;
    *bytes = 0;
    FILE* index = fopen(join(dir, "index"), "r");
    if (!index)
        return errno == ENOENT ? 0 : -1;
    int fields = fscanf(index, "count=%ld bytes=%ld", count, bytes);
    fclose(index);
    return fields == 2 ? 0 : -2;
}

static int sync_directory(const char* dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int result = fsync(fd);
    close(fd);
    return result;
}

static int commit(const char* dir, long n, long* bytes)
{
    char line[300];
    int length = record(n, line, sizeof line);
    int log = open(join(dir, "log"), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (log < 0)
        return die("open log");
    // Drop what a crashed commit appended after the last committed record.
    if (ftruncate(log, *bytes) != 0)
        return die("truncate log");
    if (write(log, line, (size_t)length) != length)
        return die("write log");
    if (fsync(log) != 0)
        return die("fsync log");
    close(log);
    *bytes += length;
    int index = open(join(dir, "index.new"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (index < 0)
        return die("open index.new");
    int text = snprintf(line, sizeof line, "count=%ld bytes=%ld\n", n, *bytes);
    if (write(index, line, (size_t)text) != text)
        return die("write index.new");
    if (fsync(index) != 0)
        return die("fsync index.new");
    close(index);
    char from[512];
    snprintf(from, sizeof from, "%s/index.new", dir);
    if (rename(from, join(dir, "index")) != 0)
        return die("rename index.new");
    if (sync_directory(dir) != 0)
        return die("fsync directory");
    printf("committed %ld\n", n);
    fflush(stdout);
    return 0;
}

static int check(const char* dir)
{
    long count = 0;
    long bytes = 0;
    if (read_index(dir, &count, &bytes) != 0) {
        printf("check FAILED: unreadable index\n");
        return 1;
    }
    FILE* log = fopen(join(dir, "log"), "r");
    if (!log && count > 0) {
        printf("check FAILED: no log\n");
        return 1;
    }
    long at = 0;
    char expected[300];
    char got[300];
    for (long n = 1; n <= count; ++n) {
        int length = record(n, expected, sizeof expected);
        if (fread(got, 1, (size_t)length, log) != (size_t)length || memcmp(got, expected, (size_t)length) != 0) {
            printf("check FAILED: transaction %ld at byte %ld\n", n, at);
            return 1;
        }
        at += length;
    }
    if (log)
        fclose(log);
    if (at != bytes) {
        printf("check FAILED: index says %ld bytes, records hold %ld\n", bytes, at);
        return 1;
    }
    printf("check ok: %ld transactions, %ld bytes\n", count, bytes);
    return 0;
}

int main(int argc, char** argv)
{
    if (argc < 3) {
        printf("usage: dbtest commit DIR N | loop DIR | check DIR\n");
        return 2;
    }
    const char* dir = argv[2];
    if (strcmp(argv[1], "check") == 0)
        return check(dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return die("mkdir");
    long count = 0;
    long bytes = 0;
    if (read_index(dir, &count, &bytes) != 0) {
        printf("dbtest: unreadable index\n");
        return 1;
    }
    long last = strcmp(argv[1], "loop") == 0 ? -1 : (argc > 3 ? atol(argv[3]) : 0);
    for (long n = count + 1; last < 0 || n <= last; ++n) {
        if (commit(dir, n, &bytes) != 0)
            return 1;
    }
    return 0;
}
