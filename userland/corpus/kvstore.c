// A log-structured key-value store in /sandbox/kv: every put and delete appends a
// checksummed record to the log; an in-memory hash index maps keys to record offsets
// (read back with pread); compaction writes the live records to a new log, fsyncs it
// and renames it over the old one; reopening rebuilds the index by scanning the log and
// stops at a torn tail. The files left behind are part of the comparison.
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

// Record: u32 checksum, u16 key length, u16 value length (0xFFFF = deleted), key, value.
enum { kHeader = 8, kBuckets = 4096, kDeleted = 0xFFFF };

struct Entry {
    char* key;
    off_t offset;
    struct Entry* next;
};

struct Store {
    int fd;
    off_t end;
    struct Entry* buckets[kBuckets];
    int live;
};

static uint32_t crc(const unsigned char* data, size_t n, uint32_t seed)
{
    uint32_t h = ~seed;
    for (size_t i = 0; i < n; ++i) {
        h ^= data[i];
        for (int k = 0; k < 8; ++k)
            h = (h >> 1) ^ (0xEDB88320u & (0u - (h & 1)));
    }
    return ~h;
}

static unsigned bucket_of(const char* key)
{
    unsigned h = 5381;
    while (*key)
        h = h * 33 + (unsigned char)*key++;
    return h % kBuckets;
}

static struct Entry** find(struct Store* s, const char* key)
{
    struct Entry** at = &s->buckets[bucket_of(key)];
    while (*at && strcmp((*at)->key, key) != 0)
        at = &(*at)->next;
    return at;
}

static void index_set(struct Store* s, const char* key, off_t offset, int deleted)
{
    struct Entry** at = find(s, key);
    if (deleted) {
        if (*at) {
            struct Entry* gone = *at;
            *at = gone->next;
            free(gone->key);
            free(gone);
            --s->live;
        }
        return;
    }
    if (!*at) {
        *at = calloc(1, sizeof(struct Entry));
        (*at)->key = strdup(key);
        ++s->live;
    }
    (*at)->offset = offset;
}

static int append(struct Store* s, const char* key, const char* value)
{
    size_t klen = strlen(key), vlen = value ? strlen(value) : 0;
    unsigned char record[kHeader + 512];
    uint16_t k16 = (uint16_t)klen, v16 = value ? (uint16_t)vlen : kDeleted;
    memcpy(record + 4, &k16, 2);
    memcpy(record + 6, &v16, 2);
    memcpy(record + kHeader, key, klen);
    if (value)
        memcpy(record + kHeader + klen, value, vlen);
    uint32_t sum = crc(record + 4, kHeader - 4 + klen + vlen, 0);
    memcpy(record, &sum, 4);
    size_t size = kHeader + klen + vlen;
    if (pwrite(s->fd, record, size, s->end) != (ssize_t)size)
        return -1;
    index_set(s, key, s->end, value == NULL);
    s->end += (off_t)size;
    return 0;
}

// The value at `offset` into `out`, or -1.
static int read_value(struct Store* s, off_t offset, char* out, size_t capacity)
{
    unsigned char header[kHeader];
    if (pread(s->fd, header, kHeader, offset) != kHeader)
        return -1;
    uint16_t klen, vlen;
    memcpy(&klen, header + 4, 2);
    memcpy(&vlen, header + 6, 2);
    if (vlen == kDeleted || vlen + 1u > capacity)
        return -1;
    if (pread(s->fd, out, vlen, offset + kHeader + klen) != vlen)
        return -1;
    out[vlen] = 0;
    return 0;
}

static const char* get(struct Store* s, const char* key, char* out, size_t capacity)
{
    struct Entry* e = *find(s, key);
    return e && read_value(s, e->offset, out, capacity) == 0 ? out : NULL;
}

static void release(struct Store* s)
{
    for (int b = 0; b < kBuckets; ++b) {
        while (s->buckets[b]) {
            struct Entry* e = s->buckets[b];
            s->buckets[b] = e->next;
            free(e->key);
            free(e);
        }
    }
    close(s->fd);
    memset(s, 0, sizeof *s);
}

// Opens the log and rebuilds the index; returns how many records were valid.
static int open_store(struct Store* s, const char* path)
{
    memset(s, 0, sizeof *s);
    s->fd = open(path, O_RDWR | O_CREAT, 0644);
    if (s->fd < 0)
        return -1;
    int records = 0;
    for (;;) {
        unsigned char record[kHeader + 1024];
        ssize_t got = pread(s->fd, record, kHeader, s->end);
        if (got != kHeader)
            break;
        uint16_t klen, vlen;
        memcpy(&klen, record + 4, 2);
        memcpy(&vlen, record + 6, 2);
        size_t body = klen + (vlen == kDeleted ? 0 : vlen);
        if (body > 1024 || pread(s->fd, record + kHeader, body, s->end + kHeader) != (ssize_t)body)
            break;
        uint32_t sum;
        memcpy(&sum, record, 4);
        if (sum != crc(record + 4, kHeader - 4 + body, 0))
            break;
        char key[256];
        memcpy(key, record + kHeader, klen);
        key[klen] = 0;
        index_set(s, key, s->end, vlen == kDeleted);
        s->end += (off_t)(kHeader + body);
        ++records;
    }
    return records;
}

static int compact(struct Store* s, const char* path)
{
    char temporary[256];
    snprintf(temporary, sizeof temporary, "%s.compact", path);
    struct Store fresh;
    memset(&fresh, 0, sizeof fresh);
    fresh.fd = open(temporary, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fresh.fd < 0)
        return -1;
    // Keys in sorted order, so the compacted file is the same whatever the hash order.
    char** keys = malloc(sizeof(char*) * (size_t)(s->live + 1));
    int n = 0;
    for (int b = 0; b < kBuckets; ++b)
        for (struct Entry* e = s->buckets[b]; e; e = e->next)
            keys[n++] = e->key;
    for (int i = 1; i < n; ++i)
        for (int j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; --j) {
            char* t = keys[j];
            keys[j] = keys[j - 1];
            keys[j - 1] = t;
        }
    char value[600];
    for (int i = 0; i < n; ++i)
        if (get(s, keys[i], value, sizeof value))
            append(&fresh, keys[i], value);
    free(keys);
    if (fsync(fresh.fd) != 0)
        return -1;
    release(&fresh);
    release(s);
    if (rename(temporary, path) != 0)
        return -1;
    return open_store(s, path);
}

static long size_of(const char* path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

int main(void)
{
    const char* path = "/sandbox/kv/data.log";
    if (mkdir("/sandbox/kv", 0755) != 0 && errno != EEXIST) {
        printf("mkdir failed\n");
        return 1;
    }
    struct Store s;
    printf("fresh store: %d records\n", open_store(&s, path));
    char key[64], value[600], out[600];
    for (int i = 0; i < 3000; ++i) {
        snprintf(key, sizeof key, "user:%04d", i % 700);
        snprintf(value, sizeof value, "name-%d-visits-%d", i % 700, i);
        append(&s, key, value);
    }
    for (int i = 0; i < 700; i += 3) {
        snprintf(key, sizeof key, "user:%04d", i);
        append(&s, key, NULL);
    }
    printf("after 3000 puts and %d deletes: %d live keys, log %ld bytes\n", (700 + 2) / 3, s.live, size_of(path));
    printf("user:0001 = %s\n", get(&s, "user:0001", out, sizeof out) ? out : "(none)");
    printf("user:0003 = %s\n", get(&s, "user:0003", out, sizeof out) ? out : "(none)");
    printf("user:0699 = %s\n", get(&s, "user:0699", out, sizeof out) ? out : "(none)");

    int before = s.live;
    printf("compaction: %d records\n", compact(&s, path));
    printf("after compaction: %d live keys (was %d), log %ld bytes, temporary %s\n", s.live, before, size_of(path),
           access("/sandbox/kv/data.log.compact", F_OK) == 0 ? "left behind" : "gone");
    printf("user:0001 = %s\n", get(&s, "user:0001", out, sizeof out) ? out : "(none)");

    // A torn write: half a record at the end is ignored when reopening.
    append(&s, "user:9999", "complete");
    off_t good_end = s.end;
    append(&s, "user:torn", "this record will be cut in half");
    release(&s);
    truncate(path, (off_t)good_end + 10);
    int records = open_store(&s, path);
    printf("reopened after a torn tail: %d records, user:9999 = %s, user:torn = %s\n", records,
           get(&s, "user:9999", out, sizeof out) ? out : "(none)", get(&s, "user:torn", out, sizeof out) ? out : "(none)");
    // Writing continues over the torn tail.
    ftruncate(s.fd, s.end);
    append(&s, "user:after", "tail repaired");
    release(&s);
    records = open_store(&s, path);
    printf("final: %d records, %d live keys, user:after = %s\n", records, s.live,
           get(&s, "user:after", out, sizeof out) ? out : "(none)");
    release(&s);
    return 0;
}
