#pragma once

#include <optional>

#include "base/span.h"
#include "base/string.h"
#include "base/string_view.h"
#include "base/types.h"
#include "engine/wasi/wasi_types.h"

namespace wk::engine::wasi {

// A backend object (open file, directory, stream) as the system names it: a POSIX
// descriptor hosted, a handle in the kernel. Opaque to the marshalling layer.
using HostHandle = i64;

struct IoSlice {
    u8* data;
    usize length;
};
struct ConstIoSlice {
    const u8* data;
    usize length;
};

struct FileStat {
    u64 device { 0 };
    u64 inode { 0 };
    Filetype filetype { Filetype::Unknown };
    u64 link_count { 0 };
    u64 size { 0 };
    u64 access_time { 0 }; // nanoseconds since the epoch
    u64 modify_time { 0 };
    u64 change_time { 0 };
};

struct OpenRequest {
    bool read { false };
    bool write { false };
    bool create { false };
    bool exclusive { false };
    bool truncate { false };
    bool directory { false }; // fail with NotDir unless the object is a directory
    u16 fdflags { 0 };        // append, dsync, nonblock, rsync, sync
};

// The times of fd/path_filestat_set_times: each either left alone, set to now or set
// to a value (fstflags decoded and checked by the caller).
struct TimeUpdate {
    enum class Kind : u8 { Omit, Now, Set };
    Kind kind { Kind::Omit };
    u64 nanoseconds { 0 };
};

// Receives directory entries in order; returns false to stop early. `cookie` is the
// position after this entry (what the next read starts from).
class DirectorySink {
public:
    virtual bool entry(u64 cookie, u64 inode, Filetype type, StringView name) = 0;

protected:
    ~DirectorySink() = default;
};

struct PollRequest {
    HostHandle handle;
    bool want_read;
    bool want_write;
    // Filled by poll(): ready for what was asked, or hung up.
    bool ready { false };
    bool hangup { false };
    u64 available_bytes { 0 };
};

// What the marshalling layer needs from an operating system. Every `_at` operation
// takes a directory handle and ONE path component (never empty, never containing '/',
// never ".."; "." names the directory itself), and must not follow a symbolic link in
// that component: the
// marshalling layer resolves paths and symlinks itself, so that containment in a
// preopen does not depend on the backend. Errors are WASI errno values.
//
// NOTE: not thread-safe by contract; one WasiContext drives its system from the thread
// running the instance.
class WasiSystem {
public:
    virtual ~WasiSystem() = default;

    // ---- descriptors -----------------------------------------------------------
    virtual Expected<void> close(HostHandle) = 0;
    virtual Expected<usize> read(HostHandle, Span<const IoSlice>) = 0;
    virtual Expected<usize> pread(HostHandle, Span<const IoSlice>, u64 offset) = 0;
    virtual Expected<usize> write(HostHandle, Span<const ConstIoSlice>) = 0;
    virtual Expected<usize> pwrite(HostHandle, Span<const ConstIoSlice>, u64 offset) = 0;
    virtual Expected<u64> seek(HostHandle, i64 offset, Whence) = 0;
    virtual Expected<u16> get_fdflags(HostHandle) = 0;
    virtual Expected<void> set_fdflags(HostHandle, u16 fdflags) = 0;
    virtual Expected<FileStat> stat(HostHandle) = 0;
    virtual Expected<void> set_size(HostHandle, u64 size) = 0;
    virtual Expected<void> set_times(HostHandle, TimeUpdate access, TimeUpdate modify) = 0;
    virtual Expected<void> sync(HostHandle) = 0;
    virtual Expected<void> datasync(HostHandle) = 0;
    virtual Expected<void> advise(HostHandle, u64 offset, u64 length, Advice) = 0;
    virtual Expected<void> allocate(HostHandle, u64 offset, u64 length) = 0;
    // Entries from position `cookie` (0 = the start), in a stable order.
    virtual Expected<void> read_directory(HostHandle, u64 cookie, DirectorySink&) = 0;

    // ---- one component relative to a directory, never following a symlink ----
    virtual Expected<HostHandle> open_at(HostHandle directory, StringView name, const OpenRequest&) = 0;
    virtual Expected<FileStat> stat_at(HostHandle directory, StringView name) = 0;
    virtual Expected<void> set_times_at(HostHandle directory, StringView name, TimeUpdate access, TimeUpdate modify) = 0;
    virtual Expected<void> create_directory_at(HostHandle directory, StringView name) = 0;
    virtual Expected<void> remove_directory_at(HostHandle directory, StringView name) = 0;
    virtual Expected<void> unlink_file_at(HostHandle directory, StringView name) = 0;
    virtual Expected<void> rename_at(HostHandle from_directory, StringView from, HostHandle to_directory, StringView to) = 0;
    virtual Expected<void> link_at(HostHandle from_directory, StringView from, HostHandle to_directory, StringView to) = 0;
    virtual Expected<void> symlink_at(StringView target, HostHandle directory, StringView name) = 0;
    // The link's target text; Errno::Inval when `name` is not a symbolic link.
    virtual Expected<String> readlink_at(HostHandle directory, StringView name) = 0;

    // ---- clocks, randomness, scheduling ---------------------------------------
    virtual Expected<u64> clock_time(ClockId) = 0;
    virtual Expected<u64> clock_resolution(ClockId) = 0;
    virtual Expected<void> random(Bytes) = 0;
    virtual void yield() = 0;
    virtual void sleep(u64 nanoseconds) = 0;
    // Waits until some request is ready or `timeout_nanoseconds` passed (nullopt: no
    // limit), then marks the ready ones.
    virtual Expected<void> poll(Span<PollRequest>, std::optional<u64> timeout_nanoseconds) = 0;

    // ---- sockets (docs/wasi.md, "Sockets") ----------------------------------------
    // The next connection of the listening socket `listener`, as a new handle with
    // `fdflags` (only fdflags::kNonblock). Waits for one unless the listener is
    // non-blocking (then Again). A system without sockets never hands one out: NotSock.
    virtual Expected<HostHandle> accept(HostHandle, u16) { return Errno::NotSock; }
    // sock_recv and sock_send on a connected stream socket: read() and write() with the
    // preview1 flags (riflags: kPeek, kWaitall; siflags: none are defined).
    virtual Expected<usize> receive(HostHandle, Span<const IoSlice>, u16) { return Errno::NotSock; }
    virtual Expected<usize> send(HostHandle, Span<const ConstIoSlice>) { return Errno::NotSock; }
    // Shuts down the receive (sdflags::kRead) and/or send (sdflags::kWrite) side.
    virtual Expected<void> shutdown(HostHandle, u8) { return Errno::NotSock; }
    // Outbound (the `wasmkern` imports, docs/networking.md; preview1 has no connect): a TCP
    // connection to IPv4 `address` (host order) and `port`, established, as a new handle.
    // Waits for the handshake. ConnRefused, TimedOut, NetUnreach, Intr; a system without a
    // network: NotSup.
    virtual Expected<HostHandle> connect_tcp(u32, u16) { return Errno::NotSup; }
    // UDP (the same imports): a socket bound to local `port` (0: an ephemeral one) as a new
    // handle; a datagram to IPv4 `address`:`port` (MsgSize beyond one unfragmented datagram);
    // the oldest datagram received, cut to `out` (waits unless the handle is non-blocking:
    // Again), its sender and its whole length in `from`.
    struct Datagram {
        u32 address { 0 };
        u16 port { 0 };
        usize length { 0 };
    };
    virtual Expected<HostHandle> udp_bind(u16) { return Errno::NotSup; }
    virtual Expected<usize> udp_send_to(HostHandle, u32, u16, ReadonlyBytes) { return Errno::NotSock; }
    virtual Expected<usize> udp_receive_from(HostHandle, Bytes, Datagram&) { return Errno::NotSock; }

    // ---- cancellation ------------------------------------------------------------
    // True when the embedder wants the guest to stop (the kernel killed the process). Long
    // calls return early (a short count, or Errno::Intr) once this holds; after every call
    // the context asks again and unwinds out of the guest (WasiContext::end_call).
    virtual bool cancelled() { return false; }
};

} // namespace wk::engine::wasi
