// The kernel's `wasmkern` import module and the small helpers the programs in userland/bin
// share (userland/lib/wasmkern.c). Every import but poweroff returns a WASI errno (0 = success);
// wasi-libc's errno values are the WASI ones, so strerror() names them. Pointers are into memory 0; every
// parameter and result is an i32 (docs/userland.md, "The wasmkern imports").
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define WK_IMPORT(name) __attribute__((import_module("wasmkern"), import_name(name)))

// Handles (docs/process-abi.md, "Handles"; docs/kernel-objects.md): a process reaches kernel
// objects only through handles, u32 values that are meaningless outside its own table. Errors
// of every call that takes one: EBADF not a live handle of the caller (forged, stale, closed),
// EINVAL a handle of another type, ENOTCAPABLE a right missing.
#define WK_OBJECT_PROCESS 1u
#define WK_OBJECT_RESOURCE 2u
#define WK_OBJECT_CHANNEL 3u
#define WK_OBJECT_CALL 4u
#define WK_OBJECT_EVENT 5u
#define WK_OBJECT_TIMER 6u
#define WK_OBJECT_PORT 7u

#define WK_RIGHT_DUPLICATE (1u << 0)
#define WK_RIGHT_TRANSFER (1u << 1)
#define WK_RIGHT_READ (1u << 2)
#define WK_RIGHT_WRITE (1u << 3)
#define WK_RIGHT_WAIT (1u << 4)
#define WK_RIGHT_SIGNAL (1u << 5)
#define WK_RIGHT_KILL (1u << 6)
#define WK_RIGHT_INSPECT (1u << 7)
#define WK_RIGHT_POWER (1u << 8)
#define WK_RIGHT_MANAGE (1u << 9)
#define WK_RIGHT_CALL (1u << 10)
#define WK_RIGHT_NET (1u << 11)
#define WK_RIGHTS_ALL ((1u << 12) - 1)

// Starts the program at the absolute `path`. `argv` and `env` are byte buffers of
// NUL-terminated strings (argv[0] first); the caller's WASI fds stdin_fd/stdout_fd/stderr_fd
// become the child's 0/1/2. The child's working directory is the PWD entry of `env` (the
// kernel does not read it; lib/start_in_pwd.c chdir()s to it before main). *handle_out: a
// handle to the child with the rights duplicate, transfer, wait, kill and inspect. Errors:
// ENOENT missing file, ENOEXEC not a valid module, EAGAIN process limit, ENOMEM, EMFILE the
// caller's handle table is full.
WK_IMPORT("spawn")
int32_t wasmkern_spawn(const char* path, uint32_t path_len, const char* argv, uint32_t argv_len,
    const char* env, uint32_t env_len, int32_t stdin_fd, int32_t stdout_fd, int32_t stderr_fd,
    uint32_t* handle_out);

// One handle handed to a child at spawn: the caller's handle (which needs the duplicate
// right) and the rights the child's handle gets (only those the caller's handle has).
struct WkHandleGrant {
    uint32_t handle;
    uint32_t rights;
};

// spawn with `count` (at most 64) handles for the child, found with wasmkern_handles there,
// and a stack size as spawn_with_stack.
WK_IMPORT("spawn_with_handles")
int32_t wasmkern_spawn_with_handles(const char* path, uint32_t path_len, const char* argv, uint32_t argv_len,
    const char* env, uint32_t env_len, int32_t stdin_fd, int32_t stdout_fd, int32_t stderr_fd,
    const struct WkHandleGrant* handles, uint32_t count, uint32_t stack_bytes, uint32_t* handle_out);

// spawn_with_handles, and the child gets a socket listening on TCP `port` (1..65535) of the
// kernel's stack at its descriptor 4, after the preopened "/" (wasmtime's --tcplisten; the
// child accepts with accept(2)). ENETDOWN without a network, EADDRINUSE when the port is
// listened on, ENFILE when the stack's 4 listeners are in use, EINVAL for port 0 or > 65535.
WK_IMPORT("spawn_listening")
int32_t wasmkern_spawn_listening(const char* path, uint32_t path_len, const char* argv, uint32_t argv_len,
    const char* env, uint32_t env_len, int32_t stdin_fd, int32_t stdout_fd, int32_t stderr_fd,
    const struct WkHandleGrant* handles, uint32_t count, uint32_t stack_bytes, uint32_t port, uint32_t* handle_out);

// spawn, with the size of the stack the child's wasm frames may use: 0 is the default (8 MiB),
// otherwise 64 KiB .. 256 MiB (rounded up to 4 KiB); outside that EINVAL. The stack is mapped
// as the child's recursion grows it; deeper recursion ends the child with "call stack
// exhausted" (status 134).
WK_IMPORT("spawn_with_stack")
int32_t wasmkern_spawn_with_stack(const char* path, uint32_t path_len, const char* argv, uint32_t argv_len,
    const char* env, uint32_t env_len, int32_t stdin_fd, int32_t stdout_fd, int32_t stderr_fd,
    uint32_t* handle_out, uint32_t stack_bytes);

// ---- network (docs/networking.md, "Outbound"; helpers in userland/lib/net.c) -------------
// Each needs the root resource with the net right (the shell grants it unless started with
// `--nonet`; `wasmkern run --net` on Linux): EBADF or ENOTCAPABLE without it, before anything
// is sent.

// A TCP connection to the IPv4 address of `addr_len` (4) bytes at `addr` (network order) and
// `port`, established; its WASI fd (read, write, send, recv, shutdown, poll, close) to
// *fd_out. Waits for the handshake (about 31 s at most in the OS). ECONNREFUSED (nothing
// listens), ETIMEDOUT, ENETDOWN (no network or no address yet), EINVAL (address 0,
// broadcast, multicast, port 0 or > 65535, addr_len not 4), EAFNOSUPPORT (addr_len 16),
// ENFILE (8 outbound connections in the whole system, or the stack's table full).
WK_IMPORT("sock_connect")
int32_t wasmkern_sock_connect(uint32_t resource, const uint8_t* addr, uint32_t addr_len, uint32_t port, int32_t* fd_out);

// The IPv4 address of `name` (`name_len` bytes, no NUL: letters, digits, '-', '_', dots), as
// 4 bytes in network order at `addr_out`: a query (type A) to the DNS server DHCP gave, 3
// tries 2 s apart. ENOENT (no such name, or no IPv4 address), ETIMEDOUT, EIO (the server
// failed), EBADMSG (a malformed answer), EINVAL (a malformed name), ENETDOWN.
WK_IMPORT("resolve")
int32_t wasmkern_resolve(uint32_t resource, const char* name, uint32_t name_len, uint8_t* addr_out);

// One ICMP echo request (56 bytes of data) to the IPv4 address at `addr` (4 bytes, network
// order) with `sequence` (0..65535); waits up to `timeout_ms` (1..60000) for its reply and
// writes a WkPingInfo to info_out. ETIMEDOUT without a reply, ENETUNREACH, ENETDOWN, EINVAL.
// Not under `wasmkern run` (ENOTSUP).
struct WkPingInfo {
    uint32_t rtt_us;
    uint32_t ttl;
    uint32_t bytes; // of the reply's ICMP message
    uint32_t reserved;
};
WK_IMPORT("ping")
int32_t wasmkern_ping(uint32_t resource, const uint8_t* addr, uint32_t addr_len, uint32_t sequence, uint32_t timeout_ms,
    struct WkPingInfo* info_out);

// The network interface's status (needs no right): a WkNetStatus to buf, buf_len at least its
// 96 bytes (else EINVAL). ENETDOWN without a network device; ENOTSUP under `wasmkern run`.
// Addresses in host order, 0 while DHCP has given none.
struct WkNetStatus {
    uint8_t mac[6];
    uint8_t link_up;
    uint8_t reserved0;
    uint32_t address, netmask, gateway, dns;
    uint32_t tcp_connections;
    uint32_t reserved1;
    uint64_t frames_in, frames_out, frames_send_failed, ipv4_in, udp_in, icmp_in, tcp_segments_in, tcp_segments_out;
};
WK_IMPORT("net_status")
int32_t wasmkern_net_status(struct WkNetStatus* buf, uint32_t buf_len);

// UDP: a socket bound to local `port` (0: an ephemeral one) as a WASI fd (poll, fcntl
// O_NONBLOCK, close; read takes a datagram's payload, write is EDESTADDRREQ). Needs the net
// right. EADDRINUSE, ENFILE (4 programs' UDP sockets in the system in the OS), ENETDOWN.
WK_IMPORT("udp_bind")
int32_t wasmkern_udp_bind(uint32_t resource, uint32_t port, int32_t* fd_out);
// One datagram of `len` bytes (at most 1472) to the IPv4 address at `addr` (4 bytes, network
// order) and `port`; *sent_out the bytes sent. EMSGSIZE, EINVAL (address 0, broadcast,
// multicast, port 0), ENETUNREACH.
WK_IMPORT("udp_send_to")
int32_t wasmkern_udp_send_to(int32_t fd, const uint8_t* addr, uint32_t addr_len, uint32_t port, const void* buf,
    uint32_t len, uint32_t* sent_out);
// The oldest datagram received into buf (cut to len) and its WkDatagramInfo; waits for one
// unless the fd is non-blocking (EAGAIN).
struct WkDatagramInfo {
    uint32_t copied;
    uint32_t length; // of the whole datagram
    uint8_t from[4]; // network order
    uint16_t port;
    uint16_t reserved;
};
WK_IMPORT("udp_recv_from")
int32_t wasmkern_udp_recv_from(int32_t fd, void* buf, uint32_t len, struct WkDatagramInfo* info_out);

// The caller's handle with the net right: 0, or ENOTCAPABLE when it holds none.
int wk_net_handle(uint32_t* handle);
// Parses dotted-quad IPv4 ("10.0.2.2") into host order. 0 or EINVAL.
int wk_parse_ipv4(const char* text, uint32_t* address);
// wasmkern_sock_connect to `address` (host order), with the caller's net handle.
int wk_connect(uint32_t address, uint32_t port, int* fd);
// wasmkern_resolve of the NUL-terminated `name` into *address (host order).
int wk_resolve(const char* name, uint32_t* address);
// Formats `address` (host order) as dotted quad into text (16 bytes).
void wk_format_ipv4(uint32_t address, char text[16]);

// Blocks until the process exits (needs the wait right); *status_out: its proc_exit code, 134
// after a trap, 137 when killed; the handle is then closed. ECHILD: another holder of a
// handle to it has waited already.
WK_IMPORT("wait")
int32_t wasmkern_wait(uint32_t process, uint32_t* status_out);

// Ends the process (needs the kill right); success when it has already exited.
WK_IMPORT("kill")
int32_t wasmkern_kill(uint32_t process);

// One record per process, as many as fit in buf; *count_out is the total number. Needs the
// root resource with the inspect right.
WK_IMPORT("ps")
int32_t wasmkern_ps(uint32_t resource, void* buf, uint32_t buf_len, uint32_t* count_out);

// Writes a WkMemoryRecord (the kernel's physical memory and heap) to buf; buf_len must be at
// least its 32 bytes (else EINVAL).
WK_IMPORT("meminfo")
int32_t wasmkern_meminfo(void* buf, uint32_t buf_len);

// Copies the newest min(buf_len, held) bytes of the kernel log ring (64 KiB; oldest first) to
// buf and a WkLogInfo to info_out. EFAULT: buf or info_out not wholly inside memory (nothing
// written).
WK_IMPORT("dmesg")
int32_t wasmkern_dmesg(void* buf, uint32_t buf_len, void* info_out);

// Stops the machine; QEMU exits with `status`. Needs the root resource with the power right;
// returns only with the error that says why not.
WK_IMPORT("poweroff")
int32_t wasmkern_poweroff(uint32_t resource, int32_t status);

// Creates a pipe (docs/process-abi.md, "Pipes"): fds[0] reads, fds[1] writes; both are
// ordinary WASI fds (fd_read, fd_write, fd_close, and spawn's stdio). ENFILE when the
// kernel's pipes are all in use, EMFILE, ENOMEM.
WK_IMPORT("pipe")
int32_t wasmkern_pipe(int32_t fds[2]);

// Like wait, and while the child runs a Ctrl-C typed on the serial console ends the wait
// with ECANCELED (the child runs on; the caller decides what to stop).
WK_IMPORT("wait_console")
int32_t wasmkern_wait_console(uint32_t process, uint32_t* status_out);

// Like kill, but the process ends with status 130 (WK_STATUS_INTERRUPTED), as after Ctrl-C.
WK_IMPORT("interrupt")
int32_t wasmkern_interrupt(uint32_t process);

// Closes a handle; the object goes when its last handle does (a process whose last handle
// closes while it runs becomes an orphan).
WK_IMPORT("handle_close")
int32_t wasmkern_handle_close(uint32_t handle);

// A new handle to the same object with `rights` (only those the handle has); needs the
// duplicate right. EMFILE when the caller has 1024 handles.
WK_IMPORT("handle_duplicate")
int32_t wasmkern_handle_duplicate(uint32_t handle, uint32_t rights, uint32_t* handle_out);

// The caller's handles, one WkHandleRecord each, as many as fit; *count_out is the total.
WK_IMPORT("handles")
int32_t wasmkern_handles(void* buf, uint32_t buf_len, uint32_t* count_out);

// The WkProcessRecord of the process behind the handle (needs the inspect right); buf_len at
// least 64. ESRCH when another holder has waited for it.
WK_IMPORT("process_info")
int32_t wasmkern_process_info(uint32_t process, void* buf, uint32_t buf_len);

// A handle (rights kill, inspect, duplicate, transfer) to the process with this pid; needs
// the root resource with the manage right. ESRCH: no such process.
WK_IMPORT("process_by_pid")
int32_t wasmkern_process_by_pid(uint32_t resource, uint32_t pid, uint32_t* handle_out);

// Channels (docs/process-abi.md, "Channels"): two endpoints; what is written on one is read
// on the other. A new pair: handles[0] and handles[1] (rights duplicate, transfer, read,
// write, wait). ENFILE when 128 channels exist, EMFILE.
WK_IMPORT("channel_create")
int32_t wasmkern_channel_create(uint32_t handles[2]);

// Queues a message (at most 16 KiB of bytes and 16 handles, each a WkHandleGrant: the handle,
// which needs the transfer right and leaves the caller, and the rights it arrives with) on the
// peer. EPIPE the peer is gone, EAGAIN its queue is full (32 messages or 32 KiB), EINVAL a
// handle listed twice or one of this channel's endpoints; nothing is moved on error.
WK_IMPORT("channel_write")
int32_t wasmkern_channel_write(uint32_t channel, const void* bytes, uint32_t length,
    const struct WkHandleGrant* handles, uint32_t count);

// Takes the first queued message: its bytes to `bytes`, the new handles' values to `handles`,
// their counts to actual[0] and actual[1]. EAGAIN none queued, EPIPE none queued and the peer
// gone, EMSGSIZE it does not fit (actual says what it needs; it stays queued), EMFILE no room
// for its handles.
WK_IMPORT("channel_read")
int32_t wasmkern_channel_read(uint32_t channel, void* bytes, uint32_t capacity, uint32_t* handles,
    uint32_t handle_capacity, uint32_t actual[2]);

#define WK_SIGNAL_READABLE (1u << 0)
#define WK_SIGNAL_WRITABLE (1u << 1)
#define WK_SIGNAL_PEER_CLOSED (1u << 2)
#define WK_SIGNAL_EXITED (1u << 3)
#define WK_SIGNAL_TIMER_FIRED (1u << 4)
// Eight bits an event's holders set and clear (event_signal): WK_SIGNAL_USER(0..7).
#define WK_SIGNAL_USER(n) (1u << (24 + (n)))
#define WK_SIGNAL_USER_ALL (0xFFu << 24)

struct WkWaitItem {
    uint32_t handle; // needs the wait right
    uint32_t wanted; // WK_SIGNAL_*
    uint32_t observed; // written back
};

// Blocks until one of `count` (1..64) items has a wanted signal, or `timeout_ms` passed
// (ETIMEDOUT; 0xFFFFFFFF: no timeout); writes every item's observed signals. Any object type
// with the wait right: processes, channels, events, timers, ports. EINTR when the caller is
// killed, ECANCELED when one of the handles is closed during the wait (items not written).
WK_IMPORT("wait_many")
int32_t wasmkern_wait_many(struct WkWaitItem* items, uint32_t count, uint32_t timeout_ms);
WK_IMPORT("wait_many_until")
int32_t wasmkern_wait_many_until_halves(struct WkWaitItem* items, uint32_t count, uint32_t deadline_low,
    uint32_t deadline_high);
// wait_many with an absolute deadline: nanoseconds of the monotonic clock
// (clock_gettime(CLOCK_MONOTONIC)); 0 or a past deadline polls, UINT64_MAX waits without one.
// A loop of waits keeps one deadline instead of shortening a timeout by hand.
static inline int32_t wasmkern_wait_many_until(struct WkWaitItem* items, uint32_t count, uint64_t deadline_ns)
{
    return wasmkern_wait_many_until_halves(items, count, (uint32_t)deadline_ns, (uint32_t)(deadline_ns >> 32));
}

// Events, timers and ports (docs/process-abi.md, "Events, timers and ports"). Deadlines are
// nanoseconds of the monotonic clock (clock_gettime(CLOCK_MONOTONIC)); UINT64_MAX is none.
//
// A new event (rights duplicate, transfer, wait, signal), no bit set. EMFILE, ENOMEM.
WK_IMPORT("event_create")
int32_t wasmkern_event_create(uint32_t* handle_out);
// Clears `clear_mask`, then sets `set_mask` (needs the signal right); both only
// WK_SIGNAL_USER_ALL bits, else EINVAL and nothing changes. Waiters on the event wake.
WK_IMPORT("event_signal")
int32_t wasmkern_event_signal(uint32_t event, uint32_t set_mask, uint32_t clear_mask);
// A new timer (rights duplicate, transfer, wait, write), not armed. EMFILE, ENOMEM.
WK_IMPORT("timer_create")
int32_t wasmkern_timer_create(uint32_t* handle_out);
WK_IMPORT("timer_set")
int32_t wasmkern_timer_set_halves(uint32_t timer, uint32_t deadline_low, uint32_t deadline_high);
// Arms the timer (needs the write right): WK_SIGNAL_TIMER_FIRED from `deadline_ns` on (0 or a
// past deadline: at once; UINT64_MAX: never) until it is set again or cancelled.
static inline int32_t wasmkern_timer_set(uint32_t timer, uint64_t deadline_ns)
{
    return wasmkern_timer_set_halves(timer, (uint32_t)deadline_ns, (uint32_t)(deadline_ns >> 32));
}
WK_IMPORT("timer_set_slack")
int32_t wasmkern_timer_set_slack_halves(uint32_t timer, uint32_t deadline_low, uint32_t deadline_high,
    uint32_t slack_ns);
// timer_set with slack: WK_SIGNAL_TIMER_FIRED from `deadline_ns` on as with timer_set, but a
// waiter is woken for it by `deadline_ns + slack_ns` at the latest, so the kernel can serve it
// with a wake-up it makes anyway (another timer's, a message's): waits on it end somewhere in
// [deadline, deadline + slack]. timer_set is slack 0.
static inline int32_t wasmkern_timer_set_slack(uint32_t timer, uint64_t deadline_ns, uint32_t slack_ns)
{
    return wasmkern_timer_set_slack_halves(timer, (uint32_t)deadline_ns, (uint32_t)(deadline_ns >> 32), slack_ns);
}
// Disarms the timer and clears WK_SIGNAL_TIMER_FIRED (needs the write right).
WK_IMPORT("timer_cancel")
int32_t wasmkern_timer_cancel(uint32_t timer);

// A port: a wait-set (rights duplicate, wait, read, write; no transfer: a port never goes
// through a channel). EMFILE, ENOMEM.
WK_IMPORT("port_create")
int32_t wasmkern_port_create(uint32_t* handle_out);
// Registers the object behind `handle` (which needs the wait right) under `key` for the
// signals `wanted` (needs the write right on the port). The registration holds the object:
// closing `handle` afterwards does not end it. EINVAL wanted is 0 or the object is a port,
// EEXIST the key is registered, ENOSPC the port has 64 registrations.
WK_IMPORT("port_add")
int32_t wasmkern_port_add(uint32_t port, uint32_t handle, uint32_t key, uint32_t wanted);
// Ends the registration of `key` (write right). ENOENT none.
WK_IMPORT("port_remove")
int32_t wasmkern_port_remove(uint32_t port, uint32_t key);
// Queues a packet (key, signals) of the caller's own (write right); returned once, before the
// registrations' packets. EAGAIN when 32 are queued.
WK_IMPORT("port_queue")
int32_t wasmkern_port_queue(uint32_t port, uint32_t key, uint32_t signals);

struct WkPortPacket {
    uint32_t key;
    uint32_t signals; // the registration's wanted signals the object has (queued: as queued)
};

WK_IMPORT("port_wait")
int32_t wasmkern_port_wait_halves(uint32_t port, uint32_t deadline_low, uint32_t deadline_high,
    struct WkPortPacket* packets, uint32_t capacity, uint32_t* count_out);
// Blocks until a packet is ready or `deadline_ns` passed (ETIMEDOUT; 0 polls), then writes up
// to `capacity` (1..64, else EINVAL) packets and their number (needs the read right). A
// registration reports again on every wait while its signals hold (level-triggered). EINTR
// when the caller is killed.
static inline int32_t wasmkern_port_wait(uint32_t port, uint64_t deadline_ns, struct WkPortPacket* packets,
    uint32_t capacity, uint32_t* count_out)
{
    return wasmkern_port_wait_halves(port, (uint32_t)deadline_ns, (uint32_t)(deadline_ns >> 32), packets, capacity,
        count_out);
}

// Direct calls (docs/process-abi.md, "Direct calls"): a service offers functions of its own;
// a client holding a call handle runs one on its own thread with the service's instance.
//
// Service side. A handle (rights duplicate, transfer, call) for the function `function` points
// at (an index into the module's function table: `(uint32_t)(uintptr_t)&f`); its parameters and
// results must be numbers (i32, i64, f32, f64), at most 8 each. EINVAL otherwise.
WK_IMPORT("call_offer")
int32_t wasmkern_call_offer(uint32_t function, uint32_t* handle_out);
// Lets calls in, one at a time, until the caller is killed (EINTR) or no call handle of it
// is left anywhere (EPIPE). Calls can only enter while the service's thread is in here.
WK_IMPORT("call_serve")
int32_t wasmkern_call_serve(void);
// Inside a call: copy between the caller's window (call's window_ptr/len) and this memory.
// EINVAL outside a call, EFAULT when a range does not fit the window or this memory.
WK_IMPORT("call_window_read")
int32_t wasmkern_call_window_read(uint32_t window_offset, void* bytes, uint32_t length);
WK_IMPORT("call_window_write")
int32_t wasmkern_call_window_write(uint32_t window_offset, const void* bytes, uint32_t length);
//
// Client side. Arguments and results are 8-byte slots (i32 and f32 in the low 4 bytes);
// args_count must be the function's parameter count, results_count at least its result
// count. `window` (may be empty) is what the service can copy from and to during the call.
// Errors: EBADF/EINVAL/ENOTCAPABLE (the handle, right call), EINVAL (counts), EFAULT,
// EDEADLK (a call from inside a call, into oneself, or closing a cycle of waiting services),
// EPIPE (the service is gone), ECONNABORTED (the service trapped, exited or was killed during
// the call: it is gone), EINTR (the caller is being killed).
WK_IMPORT("call")
int32_t wasmkern_call(uint32_t handle, const uint64_t* args, uint32_t args_count, uint64_t* results,
    uint32_t results_count, void* window, uint32_t window_len);

// A handles record: 16 bytes, little-endian.
struct WkHandleRecord {
    uint32_t handle;
    uint32_t type; // WK_OBJECT_*
    uint32_t rights; // WK_RIGHT_*
    uint32_t reserved;
};
_Static_assert(sizeof(struct WkHandleRecord) == 16, "handles records are 16 bytes");

enum WkProcessState {
    WK_PROCESS_RUNNING = 0,
    WK_PROCESS_BLOCKED = 1,
    WK_PROCESS_EXITED = 2, // exited, not yet waited for
};

// A ps record: 64 bytes, little-endian, as the kernel writes it.
struct WkProcessRecord {
    uint32_t pid;
    uint32_t parent_pid;
    uint32_t state;
    uint32_t reserved;
    uint64_t memory_bytes;
    uint64_t cpu_time_ns;
    char name[32]; // NUL-padded, not always NUL-terminated
};
_Static_assert(sizeof(struct WkProcessRecord) == 64, "ps records are 64 bytes");

// A meminfo record: 32 bytes, little-endian. Heap pages are part of the used memory.
struct WkMemoryRecord {
    uint64_t total_bytes; // physical memory the frame allocator manages
    uint64_t free_bytes; // of which free
    uint64_t heap_used_bytes; // kernel heap: allocated
    uint64_t heap_held_bytes; // kernel heap: pages it holds
};
_Static_assert(sizeof(struct WkMemoryRecord) == 32, "meminfo records are 32 bytes");

// What dmesg reports beside the text: 16 bytes, little-endian.
struct WkLogInfo {
    uint32_t copied; // bytes written to buf
    uint32_t held; // bytes the ring holds (at most 65536)
    uint64_t dropped; // older bytes overwritten since boot
};
_Static_assert(sizeof(struct WkLogInfo) == 16, "dmesg info records are 16 bytes");

// Exit statuses the kernel gives a child that did not call proc_exit.
#define WK_STATUS_TRAPPED 134
#define WK_STATUS_KILLED 137
#define WK_STATUS_INTERRUPTED 130

// The longest path the helpers build (including the NUL).
#define WK_PATH_MAX 1024

// ---- helpers (userland/lib/wasmkern.c) ----------------------------------------------------

// A growable byte buffer for spawn's argv and env: strings packed with their NULs.
struct WkStrings {
    char* data;
    size_t length;
    size_t capacity;
};
// Appends `text` and its NUL. 0, or ENOMEM.
int wk_strings_append(struct WkStrings*, const char* text);
void wk_strings_free(struct WkStrings*);

// Spawns `path` with argv[0..argc) and the NULL-terminated `envp` (NULL: no environment),
// the child's stdio being the caller's fds 0, 1 and 2. *process: the handle to the child.
// Returns 0 or an errno.
int wk_spawn(const char* path, int argc, char* const argv[], char* const envp[], uint32_t* process);
// The same with the caller's fds[0], fds[1], fds[2] as the child's stdio.
int wk_spawn_with_fds(const char* path, int argc, char* const argv[], char* const envp[], const int32_t fds[3],
    uint32_t* process);
// The same with `count` handles handed to the child.
// wk_spawn_with_handles with a listening socket on TCP `port` for the child (0: none).
int wk_spawn_listening(const char* path, int argc, char* const argv[], char* const envp[], const int32_t fds[3],
    const struct WkHandleGrant* handles, uint32_t count, uint32_t port, uint32_t* process);
int wk_spawn_with_handles(const char* path, int argc, char* const argv[], char* const envp[], const int32_t fds[3],
    const struct WkHandleGrant* handles, uint32_t count, uint32_t* process);

// The first of the caller's handles of object type `type` that has every right of `rights`:
// 0, or ENOENT when there is none (e.g. the root resource for a program the shell did not
// hand it to).
int wk_find_handle(uint32_t type, uint32_t rights, uint32_t* handle);
// The pid of the process behind a handle with the inspect right, or 0.
uint32_t wk_process_pid(uint32_t process);

// `environ` with PWD replaced by (or extended with) PWD=cwd, NULL-terminated, in one
// allocation to release with free(). NULL when out of memory.
char** wk_environment_with_pwd(const char* cwd);

// The normalised absolute form of `path`: relative paths start at `cwd`; ".", "" and ".."
// components are resolved by name (".." of "/" is "/"). 0, or ENAMETOOLONG.
int wk_resolve_path(const char* cwd, const char* path, char out[WK_PATH_MAX]);

// The directory relative paths start at: $PWD when it is an absolute path, "/" otherwise.
const char* wk_cwd(void);

// The absolute path of the program a command word names: a word containing '/' is a path
// (resolved against cwd), any other word is /bin/WORD. 0, ENAMETOOLONG, or ENOENT for "".
int wk_program_path(const char* cwd, const char* word, char out[WK_PATH_MAX]);

// ---- helpers for the text and file programs (userland/lib/operands.c) ---------------------

// Opens an input operand for reading: "-" is standard input, any other name is resolved
// against wk_cwd(). A directory is EISDIR. On failure prints "program: shown: reason" on
// stderr and returns NULL.
FILE* wk_open_input(const char* program, const char* shown);
// Closes what wk_open_input returned (standard input stays open). A read error seen on the
// stream is reported as "program: shown: reason"; returns 0, or 1 after such an error.
int wk_close_input(const char* program, const char* shown, FILE* file);

// Parses a decimal count (digits only, no sign) into *out. 0, EINVAL or ERANGE.
int wk_parse_count(const char* text, unsigned long long* out);

// Option scanning: argv[next] is the next argument to look at (start at 1); what follows
// the options is argv[next..argc). usage(out) prints the program's usage text.
struct WkOptions {
    const char* program;
    int argc;
    char** argv;
    int next;
    void (*usage)(FILE* out);
};
#define WK_OPTIONS(program, argc, argv, usage) { (program), (argc), (argv), 1, (usage) }

// The next option argument ("-x..."), consumed; NULL when the operands start: at the end, at
// a word not starting with '-', at "-" (an operand), or after "--" (consumed). "--help"
// prints usage on stdout and exits 0.
const char* wk_next_option(struct WkOptions* options);
// The value of the option just returned: the next argument, consumed; NULL if none is left.
const char* wk_option_value(struct WkOptions* options);
// Prints "program: MESSAGE" (printf format) and the usage on stderr. Returns 2.
int wk_usage_error(const struct WkOptions* options, const char* format, ...)
    __attribute__((format(printf, 2, 3)));
// Sets *flags[i] to 1 for each letter of the option cluster arg ("-ab") that is letters[i].
// 0, or an unknown letter's usage error (2).
int wk_flag_cluster(const struct WkOptions* options, const char* arg, const char* letters, int* const flags[]);
// head and tail's count options: -n N, -nN, -c N, -cN (bytes) or -N, into *count and
// *by_lines. With from_start, a leading '+' is allowed and sets *from_start (else clears it).
// 0, or 2 after printing the error.
int wk_count_option(struct WkOptions* options, const char* arg, unsigned long long* count, int* by_lines,
    int* from_start);
// The input operands after the options, or just "-" (standard input) when there are none:
// points *names at them and returns how many.
int wk_input_operands(const struct WkOptions* options, char*** names);
// For "PROGRAM SOURCE TARGET" and "PROGRAM SOURCE... DIRECTORY" (cp, mv): resolves the last
// operand into target; *into_directory says it is an existing directory. 0; 2 after a usage
// error for missing operands; 1 after "program: TARGET: reason" (unresolvable, or not a
// directory although several sources or a trailing '/' need one).
int wk_transfer_target(const struct WkOptions* options, char target[WK_PATH_MAX], int* into_directory);
// Where the absolute path source goes: target, or with into_directory target/NAME, NAME being
// source's last component. 0 or ENAMETOOLONG.
int wk_transfer_destination(const char* target, int into_directory, const char* source, char out[WK_PATH_MAX]);

// Flushes stdout and reports a failed write as "program: write error: reason". 0 or 1.
int wk_finish_output(const char* program);
