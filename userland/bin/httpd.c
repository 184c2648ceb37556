// httpd [-q] [DIR]: serves the files under DIR (default: the working directory) over HTTP/1.1
// on the listening socket it was handed (`wasmkern run --tcplisten ADDRESS:PORT`, or the
// shell's `--tcplisten PORT` in the OS; docs/networking.md, "Sockets for programs"). GET and
// HEAD of regular files with Content-Length and a Content-Type by extension, index.html for
// a directory, keep-alive (HTTP/1.1 unless "Connection: close"; HTTP/1.0 when asked), 404,
// 405 for other methods, 403 for a path with a ".." component, 400 for a malformed request,
// 431 for headers over 8 KiB, 408 when a request stays incomplete for 60 s. Up to 64
// connections at once, served in turn from one poll() loop with non-blocking sockets, so a
// slow or hostile client holds only its own connection.
#include "wasmkern.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wasi/api.h>

#define MAX_CONNECTIONS 64
#define REQUEST_BYTES 8192
#define SEND_BYTES 65536
// Apache's default Timeout. NOTE: a client whose connection reached the server before its
// request may wait long for it: when a listen backlog overflows (QEMU's hostfwd listens with a
// backlog of 1), Linux drops the handshake's last ACK and the client's request is sent again
// only on its retransmission timer, doubling each time (seen: over 30 s under `ab -c 32`).
#define IDLE_MS 60000

#define DRAIN_MS 2000
#define DRAIN_BYTES (1024 * 1024)

// DRAINING: answered and shut down for writing; what the client still sends is read and
// dropped until it closes (at most DRAIN_BYTES or DRAIN_MS), so that closing with unread
// bytes does not reset the connection before the client has read the answer.
enum state { READING, SENDING, DRAINING };

struct connection {
    int fd; // -1: a free slot
    enum state state;
    int keep_alive;
    long long last_active_ms;
    char request[REQUEST_BYTES];
    size_t request_length;
    size_t head_length; // of the request being answered
    char* out; // SEND_BYTES: the response head, then file data
    size_t out_length, out_offset;
    int file; // the body still to send from here, or -1
    long long file_left;
    size_t drained;
};

static struct connection connections[MAX_CONNECTIONS];
static char root[WK_PATH_MAX];
static int quiet;

static long long now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

// The listening socket the runner handed over: the first descriptor that is a stream socket
// with the accept right (after stdio and the preopened directories).
static int find_listener(void)
{
    for (int fd = 3; fd < 1024; ++fd) {
        __wasi_fdstat_t status;
        if (__wasi_fd_fdstat_get((__wasi_fd_t)fd, &status) != 0)
            continue;
        if (status.fs_filetype == __WASI_FILETYPE_SOCKET_STREAM && (status.fs_rights_base & __WASI_RIGHTS_SOCK_ACCEPT))
            return fd;
    }
    return -1;
}

static const char* content_type(const char* path)
{
    static const char* const types[][2] = {
        { "html", "text/html; charset=utf-8" }, { "htm", "text/html; charset=utf-8" },
        { "txt", "text/plain; charset=utf-8" }, { "css", "text/css" },
        { "js", "text/javascript" },            { "json", "application/json" },
        { "png", "image/png" },                 { "jpg", "image/jpeg" },
        { "jpeg", "image/jpeg" },               { "gif", "image/gif" },
        { "svg", "image/svg+xml" },             { "ico", "image/x-icon" },
        { "wasm", "application/wasm" },         { "pdf", "application/pdf" },
        { "xml", "application/xml" },           { "md", "text/markdown; charset=utf-8" },
    };
    const char* slash = strrchr(path, '/');
    const char* dot = strrchr(slash ? slash : path, '.');
    if (dot) {
        for (size_t i = 0; i < sizeof types / sizeof types[0]; ++i) {
            if (strcasecmp(dot + 1, types[i][0]) == 0)
                return types[i][1];
        }
    }
    return "application/octet-stream";
}

static void close_connection(struct connection* c)
{
    if (c->file >= 0)
        close(c->file);
    close(c->fd);
    c->fd = -1;
    c->file = -1;
}

// Queues the head of a response (and `body` unless `head_only`); the body of a file follows
// from c->file.
static void queue_head(struct connection* c, int status, const char* reason, const char* type, long long length,
                       const char* extra)
{
    int written = snprintf(c->out, SEND_BYTES,
                           "HTTP/1.1 %d %s\r\nServer: wasmkern-httpd\r\nContent-Type: %s\r\nContent-Length: %lld\r\n%s"
                           "Connection: %s\r\n\r\n",
                           status, reason, type, length, extra, c->keep_alive ? "keep-alive" : "close");
    c->out_length = (size_t)written;
    c->out_offset = 0;
    c->state = SENDING;
}

static void respond_error(struct connection* c, int status, const char* reason, int head_only, const char* extra)
{
    char body[160];
    int length = snprintf(body, sizeof body, "<html><body><h1>%d %s</h1></body></html>\n", status, reason);
    queue_head(c, status, reason, "text/html; charset=utf-8", length, extra);
    if (!head_only) {
        memcpy(c->out + c->out_length, body, (size_t)length);
        c->out_length += (size_t)length;
    }
}

// Decodes %XX escapes of the path in place and checks it: 0, or the status to answer (400 for
// a bad escape or a NUL, 403 for a ".." component).
static int decode_path(char* path)
{
    char* out = path;
    for (char* in = path; *in; ++in) {
        if (*in == '%') {
            char digits[3] = { in[1], in[1] ? in[2] : 0, 0 };
            char* end;
            long value = strtol(digits, &end, 16);
            if (!digits[0] || !digits[1] || *end || value == 0)
                return 400;
            *out++ = (char)value;
            in += 2;
        } else {
            *out++ = *in;
        }
    }
    *out = 0;
    for (char* segment = path; segment;) {
        char* next = strchr(segment, '/');
        size_t length = next ? (size_t)(next - segment) : strlen(segment);
        if (length == 2 && segment[0] == '.' && segment[1] == '.')
            return 403;
        segment = next ? next + 1 : NULL;
    }
    return 0;
}

// The value of header `name` in the header block `headers` (lines ending in \n), or NULL.
static const char* header_value(const char* headers, const char* name, size_t* length)
{
    size_t name_length = strlen(name);
    for (const char* line = headers; line && *line;) {
        const char* end = strchr(line, '\n');
        if (strncasecmp(line, name, name_length) == 0 && line[name_length] == ':') {
            const char* value = line + name_length + 1;
            while (*value == ' ' || *value == '\t')
                ++value;
            size_t value_length = (size_t)((end ? end : value + strlen(value)) - value);
            while (value_length > 0 && (value[value_length - 1] == '\r' || value[value_length - 1] == ' '))
                --value_length;
            *length = value_length;
            return value;
        }
        line = end ? end + 1 : NULL;
    }
    return NULL;
}

static int header_is(const char* headers, const char* name, const char* word)
{
    size_t length;
    const char* value = header_value(headers, name, &length);
    return value && length == strlen(word) && strncasecmp(value, word, length) == 0;
}

static void open_target(struct connection* c, char* target, int head_only)
{
    char* query = strpbrk(target, "?#");
    if (query)
        *query = 0;
    int refused = target[0] != '/' ? 400 : decode_path(target);
    if (refused) {
        respond_error(c, refused, refused == 403 ? "Forbidden" : "Bad Request", head_only, "");
        return;
    }
    char path[WK_PATH_MAX + 16];
    int length = snprintf(path, WK_PATH_MAX, "%s%s", root, target);
    if (length >= WK_PATH_MAX) {
        respond_error(c, 414, "URI Too Long", head_only, "");
        return;
    }
    struct stat info;
    if (stat(path, &info) == 0 && S_ISDIR(info.st_mode)) {
        strcat(path, path[length - 1] == '/' ? "index.html" : "/index.html");
        if (stat(path, &info) != 0)
            info.st_mode = 0;
    }
    int file = -1;
    if (stat(path, &info) == 0 && S_ISREG(info.st_mode))
        file = open(path, O_RDONLY);
    if (file < 0) {
        respond_error(c, 404, "Not Found", head_only, "");
        return;
    }
    queue_head(c, 200, "OK", content_type(path), (long long)info.st_size, "");
    if (head_only || info.st_size == 0) {
        close(file);
        return;
    }
    c->file = file;
    c->file_left = (long long)info.st_size;
}

// Answers the complete request at the start of c->request (its head is `head_length` bytes).
static void handle_request(struct connection* c, size_t head_length)
{
    char* head = c->request;
    c->head_length = head_length;
    head[head_length - 1] = 0;
    char* line_end = strchr(head, '\n');
    c->keep_alive = 0;
    if (!line_end) { // a NUL in the request line
        respond_error(c, 400, "Bad Request", 0, "");
        return;
    }
    *line_end = 0;
    char* headers = line_end + 1;
    char method[16], target[4096], version[16];
    char extra;
    int fields = sscanf(head, "%15s %4095s %15s %c", method, target, version, &extra);
    if (fields != 3 || strncmp(version, "HTTP/1.", 7) != 0 || (version[7] != '0' && version[7] != '1') || version[8]) {
        respond_error(c, 400, "Bad Request", 0, "");
        return;
    }
    int http11 = version[7] == '1';
    c->keep_alive = http11 ? !header_is(headers, "Connection", "close") : header_is(headers, "Connection", "keep-alive");
    // A request body is not read: a request that has one ends the connection after the answer.
    size_t length;
    const char* body = header_value(headers, "Content-Length", &length);
    if ((body && !(length == 1 && body[0] == '0')) || header_value(headers, "Transfer-Encoding", &length))
        c->keep_alive = 0;
    int head_only = strcmp(method, "HEAD") == 0;
    if (!head_only && strcmp(method, "GET") != 0) {
        respond_error(c, 405, "Method Not Allowed", 0, "Allow: GET, HEAD\r\n");
        return;
    }
    open_target(c, target, head_only);
    if (!quiet) {
        printf("httpd: %s %s\n", method, target);
        fflush(stdout);
    }
}

// Looks for a complete request head in what was read; answers it, or a header block too large.
static void try_request(struct connection* c)
{
    for (size_t i = 0; i < c->request_length; ++i) {
        if (c->request[i] != '\n')
            continue;
        if (i + 1 < c->request_length && c->request[i + 1] == '\n') {
            handle_request(c, i + 2);
            return;
        }
        if (i + 2 < c->request_length && c->request[i + 1] == '\r' && c->request[i + 2] == '\n') {
            handle_request(c, i + 3);
            return;
        }
    }
    if (c->request_length == REQUEST_BYTES) {
        c->keep_alive = 0;
        c->head_length = c->request_length;
        respond_error(c, 431, "Request Header Fields Too Large", 0, "");
    }
}

// Drops the request just answered, keeping what the client sent after it (pipelining).
static void finish_request(struct connection* c)
{
    memmove(c->request, c->request + c->head_length, c->request_length - c->head_length);
    c->request_length -= c->head_length;
    c->head_length = 0;
    c->state = READING;
}

// Sends what is queued, refilling from the file; on a full socket returns to wait for POLLOUT.
// -1 when the connection is to be closed.
static int send_some(struct connection* c)
{
    for (;;) {
        // Tops the buffer up from the file, so that a head and a small body leave in one write:
        // two small writes would wait on the client's delayed ACK (Nagle; WASI has no NODELAY).
        if (c->file >= 0 && c->file_left > 0 && c->out_length - c->out_offset < SEND_BYTES / 2) {
            memmove(c->out, c->out + c->out_offset, c->out_length - c->out_offset);
            c->out_length -= c->out_offset;
            c->out_offset = 0;
            size_t room = SEND_BYTES - c->out_length;
            ssize_t count = read(c->file, c->out + c->out_length, room);
            if (count <= 0) { // the file shrank or failed: the length we promised cannot be kept
                fprintf(stderr, "httpd: read: %s\n", count < 0 ? strerror(errno) : "file shrank");
                return -1;
            }
            if (count > c->file_left)
                count = (ssize_t)c->file_left;
            c->file_left -= count;
            c->out_length += (size_t)count;
        }
        if (c->out_offset == c->out_length)
            break;
        ssize_t sent = write(c->fd, c->out + c->out_offset, c->out_length - c->out_offset);
        if (sent < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return 0;
            return -1; // the peer went away (EPIPE, ECONNRESET)
        }
        c->out_offset += (size_t)sent;
        c->last_active_ms = now_ms();
    }
    if (c->file >= 0) {
        close(c->file);
        c->file = -1;
    }
    if (!c->keep_alive) {
        shutdown(c->fd, SHUT_WR);
        c->state = DRAINING;
        c->drained = 0;
        return 0;
    }
    finish_request(c);
    try_request(c); // a pipelined request already read
    return 0;
}

// Reads and drops what arrives after the answer. -1 when the connection is to be closed.
static int drain_some(struct connection* c)
{
    static char scratch[16384];
    ssize_t count = read(c->fd, scratch, sizeof scratch);
    if (count < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -1;
    c->drained += (size_t)count;
    return count == 0 || c->drained > DRAIN_BYTES ? -1 : 0;
}

// Reads what arrived and answers a complete request. -1 when the connection is to be closed.
static int receive_some(struct connection* c)
{
    ssize_t count = read(c->fd, c->request + c->request_length, REQUEST_BYTES - c->request_length);
    if (count < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -1;
    if (count == 0)
        return -1; // the client closed (mid-request or between requests)
    c->request_length += (size_t)count;
    c->last_active_ms = now_ms();
    try_request(c);
    return 0;
}

static void accept_connection(int listener)
{
    // NOTE: Debian's wasi-libc (2022-05-10) clears *addrlen bytes at addr without a NULL check,
    // so both must point somewhere; preview1 reports no peer address (the family is AF_UNSPEC).
    struct sockaddr_storage peer;
    socklen_t peer_length = sizeof peer;
    int fd = accept4(listener, (struct sockaddr*)&peer, &peer_length, SOCK_NONBLOCK);
    if (fd < 0) {
        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
            fprintf(stderr, "httpd: accept: %s\n", strerror(errno));
        return;
    }
    for (int i = 0; i < MAX_CONNECTIONS; ++i) {
        struct connection* c = &connections[i];
        if (c->fd >= 0)
            continue;
        c->fd = fd;
        c->state = READING;
        c->request_length = 0;
        c->head_length = 0;
        c->file = -1;
        c->out_length = c->out_offset = 0;
        c->last_active_ms = now_ms();
        return;
    }
    close(fd); // not reached: the listener is not polled while every slot is taken
}

// A connection silent for IDLE_MS: 408 when it was inside a request, closed either way.
static void expire_idle(long long now)
{
    for (int i = 0; i < MAX_CONNECTIONS; ++i) {
        struct connection* c = &connections[i];
        if (c->fd < 0 || now - c->last_active_ms < (c->state == DRAINING ? DRAIN_MS : IDLE_MS))
            continue;
        if (c->state == READING && c->request_length > 0) {
            c->keep_alive = 0;
            respond_error(c, 408, "Request Timeout", 0, "");
            (void)send_some(c);
        }
        close_connection(c);
    }
}

static void serve(int listener)
{
    struct pollfd fds[MAX_CONNECTIONS + 1];
    int slot_of[MAX_CONNECTIONS + 1];
    for (;;) {
        int count = 0, in_use = 0;
        for (int i = 0; i < MAX_CONNECTIONS; ++i) {
            struct connection* c = &connections[i];
            if (c->fd < 0)
                continue;
            ++in_use;
            fds[count] = (struct pollfd) { c->fd, c->state == SENDING ? POLLOUT : POLLIN, 0 };
            slot_of[count++] = i;
        }
        if (in_use < MAX_CONNECTIONS) {
            fds[count] = (struct pollfd) { listener, POLLIN, 0 };
            slot_of[count++] = -1;
        }
        int ready = poll(fds, (nfds_t)count, 1000);
        if (ready < 0 && errno != EINTR) {
            fprintf(stderr, "httpd: poll: %s\n", strerror(errno));
            return;
        }
        for (int i = 0; i < count && ready > 0; ++i) {
            if (!fds[i].revents)
                continue;
            if (slot_of[i] < 0) {
                accept_connection(listener);
                continue;
            }
            struct connection* c = &connections[slot_of[i]];
            int result = c->state == SENDING ? send_some(c) : c->state == DRAINING ? drain_some(c) : receive_some(c);
            if (result == 0 && c->state == SENDING)
                result = send_some(c); // answer at once rather than after another poll
            if (result < 0)
                close_connection(c);
        }
        expire_idle(now_ms());
    }
}

int main(int argc, char** argv)
{
    const char* directory = ".";
    int arg = 1;
    for (; arg < argc && argv[arg][0] == '-'; ++arg) {
        if (strcmp(argv[arg], "--help") == 0) {
            printf("usage: httpd [-q] [DIR]\n"
                   "Serves the files under DIR (default: the working directory) over HTTP/1.1 on\n"
                   "the listening socket it was given: `wasmkern run --tcplisten ADDRESS:PORT\n"
                   "--dir DIR httpd.wasm DIR` on Linux, `--tcplisten PORT httpd DIR` in the shell.\n"
                   "GET and HEAD only (405 otherwise), keep-alive, index.html for a directory,\n"
                   "404 for what is missing, 403 for a path with a '..' component.\n"
                   "  -q  do not print a line per request\n");
            return 0;
        }
        if (strcmp(argv[arg], "-q") == 0) {
            quiet = 1;
            continue;
        }
        fprintf(stderr, "httpd: unknown option '%s' (see --help)\n", argv[arg]);
        return 2;
    }
    if (arg < argc)
        directory = argv[arg++];
    if (arg < argc) {
        fprintf(stderr, "usage: httpd [-q] [DIR]\n");
        return 2;
    }
    int error = wk_resolve_path(wk_cwd(), directory, root);
    struct stat info;
    if (error || stat(root, &info) != 0 || !S_ISDIR(info.st_mode)) {
        fprintf(stderr, "httpd: %s: %s\n", directory, error ? strerror(error) : "not a directory");
        return 1;
    }
    size_t root_length = strlen(root);
    if (root_length > 1 && root[root_length - 1] == '/')
        root[root_length - 1] = 0;
    else if (root_length == 1)
        root[0] = 0; // "/": targets start with '/' already
    int listener = find_listener();
    if (listener < 0) {
        fprintf(stderr, "httpd: no listening socket was handed over (--tcplisten)\n");
        return 1;
    }
    for (int i = 0; i < MAX_CONNECTIONS; ++i) {
        connections[i].fd = -1;
        connections[i].file = -1;
        connections[i].out = malloc(SEND_BYTES);
        if (!connections[i].out) {
            fprintf(stderr, "httpd: out of memory\n");
            return 1;
        }
    }
    printf("httpd: serving %s on descriptor %d\n", root[0] ? root : "/", listener);
    fflush(stdout);
    serve(listener);
    return 1;
}
