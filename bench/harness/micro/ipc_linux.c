/* ipc_linux: the Linux side of the IPC table (bench/harness/ipc.py, bench/README.md "IPC"),
 * built statically so that the same binary runs on the host and as the program of a small
 * Linux guest under QEMU. One line per case, in the format of userland/hostile/ipcbench.c:
 *   ipc: KEY COUNT NS_EACH
 * kernel_call: syscall(SYS_getpid); channel_8 / channel_4k: a pipe ping-pong of 8 bytes / 4 KiB
 * between two processes (a pipe each way); channel_8_handle: 8 bytes and one descriptor
 * (SCM_RIGHTS) each way over a Unix socket pair; spawn: posix_spawn + waitpid of CHILD.
 * Ends with "ipc: done"; exit status 1 after an "ipc: error" line, 2 for usage. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

static char g_buffer[4096];

static unsigned long long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (unsigned long long)t.tv_sec * 1000000000ull + (unsigned long long)t.tv_nsec;
}

static int fail(char const* what)
{
    printf("ipc: error: %s: %s\n", what, strerror(errno ? errno : EPROTO));
    return 1;
}

static void report(char const* key, long count, unsigned long long start)
{
    printf("ipc: %s %ld %llu\n", key, count, (now_ns() - start) / (unsigned long long)count);
    fflush(stdout);
}

/* All `length` bytes, or -1. */
static int read_all(int fd, char* bytes, size_t length)
{
    while (length > 0) {
        ssize_t got = read(fd, bytes, length);
        if (got <= 0)
            return -1;
        bytes += got;
        length -= (size_t)got;
    }
    return 0;
}

static int write_all(int fd, char const* bytes, size_t length)
{
    while (length > 0) {
        ssize_t put = write(fd, bytes, length);
        if (put <= 0)
            return -1;
        bytes += put;
        length -= (size_t)put;
    }
    return 0;
}

/* A ping-pong of `bytes` bytes with a forked echo process, a pipe each way. */
static int pipes(char const* key, long trips, size_t bytes)
{
    int to_child[2], to_parent[2];
    if (pipe(to_child) || pipe(to_parent))
        return fail("pipe");
    pid_t child = fork();
    if (child < 0)
        return fail("fork");
    if (child == 0) {
        close(to_child[1]);
        close(to_parent[0]);
        while (read_all(to_child[0], g_buffer, bytes) == 0)
            if (write_all(to_parent[1], g_buffer, bytes))
                _exit(1);
        _exit(0);
    }
    close(to_child[0]);
    close(to_parent[1]);
    unsigned long long start = 0;
    for (long i = -trips / 10 - 1; i < trips; ++i) { /* i < 0: warm-up */
        if (i == 0)
            start = now_ns();
        if (write_all(to_child[1], g_buffer, bytes) || read_all(to_parent[0], g_buffer, bytes))
            return fail(key);
    }
    report(key, trips, start);
    close(to_child[1]);
    int status = 0;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return fail("the echo process's exit");
    close(to_parent[0]);
    return 0;
}

/* Sends 8 bytes and descriptor `fd`. */
static int send_fd(int socket, int fd)
{
    char control[CMSG_SPACE(sizeof(int))];
    memset(control, 0, sizeof control);
    struct iovec io = { g_buffer, 8 };
    struct msghdr message = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
    struct cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(header), &fd, sizeof fd);
    return sendmsg(socket, &message, 0) == 8 ? 0 : -1;
}

/* Receives 8 bytes and one descriptor: the descriptor, or -1. */
static int receive_fd(int socket)
{
    char control[CMSG_SPACE(sizeof(int))];
    struct iovec io = { g_buffer, 8 };
    struct msghdr message = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
    if (recvmsg(socket, &message, MSG_WAITALL) != 8)
        return -1;
    struct cmsghdr* header = CMSG_FIRSTHDR(&message);
    if (!header || header->cmsg_type != SCM_RIGHTS || header->cmsg_len != CMSG_LEN(sizeof(int)))
        return -1;
    int fd;
    memcpy(&fd, CMSG_DATA(header), sizeof fd);
    return fd;
}

/* 8 bytes and a descriptor each way; each side closes the descriptor it passed on, as a
 * wasmkern handle moves with its message. */
static int descriptors(long trips)
{
    int pair[2], carried[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) || pipe(carried))
        return fail("socketpair");
    pid_t child = fork();
    if (child < 0)
        return fail("fork");
    if (child == 0) {
        close(pair[0]);
        int fd;
        while ((fd = receive_fd(pair[1])) >= 0) {
            if (send_fd(pair[1], fd))
                _exit(1);
            close(fd);
        }
        _exit(0);
    }
    close(pair[1]);
    int fd = carried[0];
    unsigned long long start = 0;
    for (long i = -trips / 10 - 1; i < trips; ++i) {
        if (i == 0)
            start = now_ns();
        if (send_fd(pair[0], fd))
            return fail("sendmsg");
        close(fd);
        if ((fd = receive_fd(pair[0])) < 0)
            return fail("recvmsg");
    }
    report("channel_8_handle", trips, start);
    close(pair[0]);
    int status = 0;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return fail("the descriptor echo's exit");
    return 0;
}

static int spawns(char* child, long count)
{
    char* argv[] = { child, NULL };
    unsigned long long start = 0;
    for (long i = -1; i < count; ++i) {
        if (i == 0)
            start = now_ns();
        pid_t pid;
        int error = posix_spawn(&pid, child, NULL, NULL, argv, environ);
        if (error) {
            errno = error;
            return fail("posix_spawn");
        }
        int status;
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            return fail("the spawned child's exit");
    }
    report("spawn", count, start);
    return 0;
}

static long count_arg(char const* text)
{
    char* end = NULL;
    long value = strtol(text, &end, 10);
    return *end == 0 && value > 0 && value <= 100000000 ? value : 0;
}

int main(int argc, char** argv)
{
    static char const usage[] = "usage: ipc_linux CHILD TRIPS SPAWNS CALLS  (counts 1..100000000)\n"
                                "  prints 'ipc: KEY COUNT NS_EACH' for kernel_call (getpid), channel_8 and\n"
                                "  channel_4k (pipe ping-pong), channel_8_handle (SCM_RIGHTS) and spawn\n"
                                "  (posix_spawn + waitpid of CHILD), then 'ipc: done'\n";
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    long trips = argc == 5 ? count_arg(argv[2]) : 0, spawn_count = argc == 5 ? count_arg(argv[3]) : 0,
         calls = argc == 5 ? count_arg(argv[4]) : 0;
    if (!trips || !spawn_count || !calls) {
        fputs(usage, stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    long sink = 0;
    unsigned long long start = now_ns();
    for (long i = 0; i < calls; ++i)
        sink += syscall(SYS_getpid);
    report("kernel_call", calls, start);
    if (sink == 0 || pipes("channel_8", trips, 8) || pipes("channel_4k", trips, sizeof g_buffer) || descriptors(trips) || spawns(argv[1], spawn_count))
        return 1;
    printf("ipc: done\n");
    return 0;
}
