// fetch [-o FILE] [-v] URL: an HTTP/1.1 GET of http://HOST[:PORT][/PATH] over an outbound
// TCP connection (wasmkern.sock_connect, docs/networking.md "Outbound"); the body goes to
// standard output or FILE. A status other than 200 is an error (exit 1, the body is not
// written); so are a connection that fails or ends before the body does. Bodies with
// Content-Length, chunked ones and ones that end with the connection are all read.
#include "wasmkern.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define HEAD_BYTES 16384
#define BUFFER_BYTES 65536

static const char* g_url;
static int g_socket = -1;
static char g_buffer[BUFFER_BYTES];
static size_t g_start, g_end; // unread bytes of the response in g_buffer

static void usage(FILE* out)
{
    fprintf(out, "usage: fetch [-o FILE] [-v] URL\n"
                 "HTTP/1.1 GET of URL (http://HOST[:PORT][/PATH]; HOST an IPv4 address or a name); the\n"
                 "body goes to standard output, or to FILE with -o. A status other than 200, a refused\n"
                 "or timed-out connection, or a body cut short is an error (exit 1).\n"
                 "  -o FILE   write the body to FILE (created or truncated) instead\n"
                 "  -v        report the status, the bytes received and the time taken on stderr\n"
                 "Needs the network right (the shell grants it unless the command starts with --nonet).\n");
}

static int fail(const char* what, const char* reason)
{
    fprintf(stderr, "fetch: %s: %s\n", what, reason);
    return 1;
}

static long long now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

struct url {
    char host[256];
    unsigned port;
    const char* path;
};

static int parse_url(const char* text, struct url* url)
{
    if (strncmp(text, "http://", 7) != 0)
        return fail(text, "only http:// URLs are supported");
    const char* host = text + 7;
    size_t length = strcspn(host, ":/");
    if (length == 0 || length >= sizeof url->host)
        return fail(text, "no host, or a host name over 255 characters");
    memcpy(url->host, host, length);
    url->host[length] = 0;
    const char* rest = host + length;
    url->port = 80;
    if (*rest == ':') {
        char* end;
        unsigned long port = strtoul(rest + 1, &end, 10);
        if (end == rest + 1 || port == 0 || port > 65535 || (*end && *end != '/'))
            return fail(text, "the port must be 1..65535");
        url->port = (unsigned)port;
        rest = end;
    }
    url->path = *rest ? rest : "/";
    for (const char* c = url->path; *c; ++c) {
        if ((unsigned char)*c <= ' ' || *c == 0x7f)
            return fail(text, "spaces and control characters must be %-escaped");
    }
    return 0;
}

static int write_all(int fd, const char* data, size_t length)
{
    while (length > 0) {
        ssize_t written = write(fd, data, length);
        if (written < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        data += written;
        length -= (size_t)written;
    }
    return 0;
}

// More response bytes into g_buffer: the count read, 0 at the end of the stream, -1 with
// errno on an error.
static ssize_t fill(void)
{
    if (g_start == g_end)
        g_start = g_end = 0;
    if (g_end == sizeof g_buffer) {
        memmove(g_buffer, g_buffer + g_start, g_end - g_start);
        g_end -= g_start;
        g_start = 0;
    }
    for (;;) {
        ssize_t count = read(g_socket, g_buffer + g_end, sizeof g_buffer - g_end);
        if (count < 0 && errno == EINTR)
            continue;
        if (count > 0)
            g_end += (size_t)count;
        return count;
    }
}

// Copies `length` bytes of body (or all until the end when length < 0) to `out`.
static int copy_body(int out, long long length, long long* copied)
{
    while (length < 0 || *copied < length) {
        if (g_start == g_end) {
            ssize_t count = fill();
            if (count < 0)
                return fail(g_url, strerror(errno));
            if (count == 0) {
                if (length < 0)
                    return 0;
                char message[96];
                snprintf(message, sizeof message, "the connection ended after %lld of %lld bytes", *copied, length);
                return fail(g_url, message);
            }
        }
        size_t take = g_end - g_start;
        if (length >= 0 && (long long)take > length - *copied)
            take = (size_t)(length - *copied);
        if (write_all(out, g_buffer + g_start, take) != 0)
            return fail("writing the body", strerror(errno));
        g_start += take;
        *copied += (long long)take;
    }
    return 0;
}

// One CRLF-terminated line of the response (at most 256 bytes) into `line`.
static int read_line(char* line, size_t capacity)
{
    for (;;) {
        char* end = memchr(g_buffer + g_start, '\n', g_end - g_start);
        if (end) {
            size_t length = (size_t)(end - (g_buffer + g_start));
            if (length >= capacity)
                return fail(g_url, "a chunk-size line is too long");
            memcpy(line, g_buffer + g_start, length);
            line[length] = 0;
            if (length > 0 && line[length - 1] == '\r')
                line[length - 1] = 0;
            g_start += length + 1;
            return 0;
        }
        if (g_end - g_start >= capacity)
            return fail(g_url, "a chunk-size line is too long");
        ssize_t count = fill();
        if (count <= 0)
            return fail(g_url, count < 0 ? strerror(errno) : "the connection ended inside a chunked body");
    }
}

static int copy_chunked(int out, long long* copied)
{
    char line[256];
    for (;;) {
        if (read_line(line, sizeof line))
            return 1;
        char* end;
        errno = 0;
        long long size = strtoll(line, &end, 16);
        if (end == line || size < 0 || errno || (*end && *end != ';' && *end != ' '))
            return fail(g_url, "a malformed chunk size");
        if (size == 0)
            return 0; // trailers, if any, are not needed
        long long done = 0;
        if (copy_body(out, size, &done))
            return 1;
        *copied += done;
        if (read_line(line, sizeof line) || line[0])
            return line[0] ? fail(g_url, "a chunk not followed by CRLF") : 1;
    }
}

// Finds header `name` in the head (lines after the status line); its value, or NULL.
static const char* header(const char* head, const char* name, char* value, size_t capacity)
{
    size_t length = strlen(name);
    for (const char* line = strstr(head, "\r\n"); line && line[2]; line = strstr(line + 2, "\r\n")) {
        const char* at = line + 2;
        if (strncasecmp(at, name, length) == 0 && at[length] == ':') {
            at += length + 1;
            while (*at == ' ' || *at == '\t')
                ++at;
            size_t n = strcspn(at, "\r");
            if (n >= capacity)
                n = capacity - 1;
            memcpy(value, at, n);
            value[n] = 0;
            return value;
        }
    }
    return NULL;
}

static int connect_to(const struct url* url)
{
    uint32_t address;
    int error = wk_parse_ipv4(url->host, &address);
    if (error)
        error = wk_resolve(url->host, &address);
    if (error) {
        char message[320];
        snprintf(message, sizeof message, "cannot resolve %s: %s", url->host, strerror(error));
        return fail(g_url, message);
    }
    error = wk_connect(address, url->port, &g_socket);
    if (error == ENOTCAPABLE || error == EBADF)
        return fail(g_url, "no network right (the shell withholds it with --nonet; wasmkern run grants it with --net)");
    if (error) {
        char message[96];
        snprintf(message, sizeof message, "connect to %u.%u.%u.%u:%u: %s", address >> 24, (address >> 16) & 255,
            (address >> 8) & 255, address & 255, url->port, strerror(error));
        return fail(g_url, message);
    }
    return 0;
}

// The response head into g_buffer[0..head): its status code, or -1 after reporting.
static int read_head(size_t* head_length)
{
    for (;;) {
        g_buffer[g_end < sizeof g_buffer ? g_end : sizeof g_buffer - 1] = 0;
        char* end = strstr(g_buffer, "\r\n\r\n");
        if (end) {
            *head_length = (size_t)(end - g_buffer) + 4;
            break;
        }
        if (g_end >= HEAD_BYTES)
            return fail(g_url, "the response head is over 16 KiB"), -1;
        ssize_t count = read(g_socket, g_buffer + g_end, HEAD_BYTES - g_end);
        if (count < 0 && errno == EINTR)
            continue;
        if (count <= 0)
            return fail(g_url, count < 0 ? strerror(errno) : "the connection ended before the response head"), -1;
        g_end += (size_t)count;
    }
    unsigned status = 0;
    char space = 0;
    if (strncmp(g_buffer, "HTTP/1.", 7) != 0 || sscanf(g_buffer + 8, "%c%3u", &space, &status) != 2 || space != ' '
        || status < 100 || status > 999)
        return fail(g_url, "not an HTTP/1.x response"), -1;
    return (int)status;
}

static int fetch(const char* output, int verbose)
{
    struct url url;
    if (parse_url(g_url, &url) || connect_to(&url))
        return 1;
    long long started = now_ms();
    char request[1024];
    int length = snprintf(request, sizeof request,
        "GET %s HTTP/1.1\r\nHost: %s:%u\r\nUser-Agent: wasmkern-fetch\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        url.path, url.host, url.port);
    if (length < 0 || (size_t)length >= sizeof request)
        return fail(g_url, "the URL is too long");
    if (write_all(g_socket, request, (size_t)length) != 0)
        return fail(g_url, strerror(errno));
    size_t head_length;
    int status = read_head(&head_length);
    if (status < 0)
        return 1;
    char head[HEAD_BYTES + 1];
    memcpy(head, g_buffer, head_length);
    head[head_length] = 0;
    g_start = head_length;
    if (status != 200) {
        size_t line = strcspn(head, "\r");
        fprintf(stderr, "fetch: %s: %.*s\n", g_url, (int)line, head);
        return 1;
    }
    char value[64];
    long long content_length = -1;
    if (header(head, "Content-Length", value, sizeof value)) {
        char* end;
        content_length = strtoll(value, &end, 10);
        if (end == value || *end || content_length < 0)
            return fail(g_url, "a malformed Content-Length");
    }
    int chunked = header(head, "Transfer-Encoding", value, sizeof value) && strcasecmp(value, "chunked") == 0;
    int out = 1;
    if (output) {
        out = open(output, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (out < 0)
            return fail(output, strerror(errno));
    }
    long long copied = 0;
    int result = chunked ? copy_chunked(out, &copied) : copy_body(out, content_length, &copied);
    if (output && close(out) != 0 && !result)
        result = fail(output, strerror(errno));
    if (verbose && !result) {
        long long ms = now_ms() - started;
        fprintf(stderr, "fetch: %s: 200, %lld bytes in %lld ms (%lld KB/s)\n", g_url, copied, ms,
            ms > 0 ? copied / ms : copied);
    }
    return result;
}

int main(int argc, char** argv)
{
    const char* output = NULL;
    int verbose = 0;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; ++i) {
        if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            output = argv[++i];
        } else if (strcmp(argv[i], "-v") == 0) {
            verbose = 1;
        } else {
            fprintf(stderr, "fetch: unknown option or missing value: %s\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (i + 1 != argc) {
        usage(stderr);
        return 2;
    }
    g_url = argv[i];
    int result = fetch(output, verbose);
    if (g_socket >= 0)
        close(g_socket);
    return result;
}
