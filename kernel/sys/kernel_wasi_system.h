#pragma once

#include "base/ref_ptr.h"
#include "base/vector.h"
#include "engine/wasi/wasi_system.h"
#include "kernel/fs/file_system.h"
#include "kernel/fs/open_file.h"
#include "kernel/sys/pipe.h"
#include "kernel/sys/socket_quota.h"
#include "kernel/sys/stream.h"
#include "kernel/sys/tcp_socket.h"
#include "kernel/sys/udp_socket.h"

namespace wk::kernel::sys {

// The kernel's WASI backend (engine/wasi/wasi_system.h) over kernel/fs and the console.
//
// A HostHandle is an index into this system's handle table; each slot holds an open file
// description (`fs::OpenFile`: file or directory) or a stdio stream. The file system and the
// WASI layer share one error type (base/errno.h), so errors pass through unchanged. Every file system call, and every drop of an
// OpenFile reference, happens under the root file system's FsGuard.
//
// Clocks: realtime is the CMOS RTC read at boot plus the time since (kernel/time/rtc.h);
// monotonic counts from boot, the CPU time clocks too (one process per CPU for now). Randomness: the kernel's ChaCha20
// generator, seeded from RDSEED/RDRAND, TSC jitter and the CMOS clock (x86_64::fill_random).
//
// Ownership: the streams and the FileSystem must outlive the system. One WasiContext drives
// it from one thread (as the interface says).
class KernelWasiSystem final : public engine::wasi::WasiSystem {
public:
    using HostHandle = engine::wasi::HostHandle;
    template<typename T>
    using Expected = engine::wasi::Expected<T>;

    static constexpr usize kMaxHandles = 4096;
    // st_dev of the RAM file system's inodes and of streams (a mounted disk's inodes report
    // their Backend's: /data is 2).
    static constexpr u64 kDevice = 1;

    explicit KernelWasiSystem(fs::FileSystem&);
    ~KernelWasiSystem() override;
    KernelWasiSystem(const KernelWasiSystem&) = delete;
    KernelWasiSystem& operator=(const KernelWasiSystem&) = delete;

    // A directory handle for `path` (resolved from the root, symlinks followed): a preopen.
    Expected<HostHandle> open_directory(StringView path);
    // A handle on a stream, for stdio (WasiContext::set_stdio).
    Expected<HostHandle> open_stream(Stream&);
    // A new pipe (docs/process-abi.md, "Pipes"): handles on its read and its write end.
    // NFile beyond Pipe::kMaxPipes or kMaxHandles, NoMem.
    struct PipeHandles {
        HostHandle read_end { -1 };
        HostHandle write_end { -1 };
    };
    Expected<PipeHandles> open_pipe();
    // A socket listening on TCP `port` of the kernel's stack (kernel/sys/tcp_socket.h), for
    // WasiContext::add_listening_socket. TcpSocket::listen's errors, NFile, NoMem.
    Expected<HostHandle> open_tcp_listener(u16 port, u16 backlog);
    // Open handles (for tests and leak checks).
    usize open_handle_count() const;

    // The object behind a handle, to hand to another process (wasmkern spawn's stdio): the
    // new handle in `target` refers to the same open file description or stream (shared
    // position, as after POSIX dup). BadF for a closed handle. `filetype` is what the
    // child's WasiContext reports for it.
    Expected<HostHandle> share_into(HostHandle, KernelWasiSystem& target, engine::wasi::Filetype& filetype);

    Expected<void> close(HostHandle) override;
    Expected<usize> read(HostHandle, Span<const engine::wasi::IoSlice>) override;
    Expected<usize> pread(HostHandle, Span<const engine::wasi::IoSlice>, u64 offset) override;
    Expected<usize> write(HostHandle, Span<const engine::wasi::ConstIoSlice>) override;
    Expected<usize> pwrite(HostHandle, Span<const engine::wasi::ConstIoSlice>, u64 offset) override;
    Expected<u64> seek(HostHandle, i64 offset, engine::wasi::Whence) override;
    Expected<u16> get_fdflags(HostHandle) override;
    Expected<void> set_fdflags(HostHandle, u16 fdflags) override;
    Expected<engine::wasi::FileStat> stat(HostHandle) override;
    Expected<void> set_size(HostHandle, u64 size) override;
    Expected<void> set_times(HostHandle, engine::wasi::TimeUpdate access, engine::wasi::TimeUpdate modify) override;
    Expected<void> sync(HostHandle) override;
    Expected<void> datasync(HostHandle) override;
    Expected<void> advise(HostHandle, u64 offset, u64 length, engine::wasi::Advice) override;
    Expected<void> allocate(HostHandle, u64 offset, u64 length) override;
    Expected<void> read_directory(HostHandle, u64 cookie, engine::wasi::DirectorySink&) override;

    Expected<HostHandle> open_at(HostHandle directory, StringView name, const engine::wasi::OpenRequest&) override;
    Expected<engine::wasi::FileStat> stat_at(HostHandle directory, StringView name) override;
    Expected<void> set_times_at(HostHandle directory, StringView name, engine::wasi::TimeUpdate access,
                                engine::wasi::TimeUpdate modify) override;
    Expected<void> create_directory_at(HostHandle directory, StringView name) override;
    Expected<void> remove_directory_at(HostHandle directory, StringView name) override;
    Expected<void> unlink_file_at(HostHandle directory, StringView name) override;
    Expected<void> rename_at(HostHandle from_directory, StringView from, HostHandle to_directory, StringView to) override;
    Expected<void> link_at(HostHandle from_directory, StringView from, HostHandle to_directory, StringView to) override;
    Expected<void> symlink_at(StringView target, HostHandle directory, StringView name) override;
    Expected<String> readlink_at(HostHandle directory, StringView name) override;

    Expected<u64> clock_time(engine::wasi::ClockId) override;
    Expected<u64> clock_resolution(engine::wasi::ClockId) override;
    Expected<void> random(Bytes) override;
    void yield() override;
    void sleep(u64 nanoseconds) override;
    Expected<void> poll(Span<engine::wasi::PollRequest>, std::optional<u64> timeout_nanoseconds) override;
    Expected<HostHandle> accept(HostHandle listener, u16 fdflags) override;
    Expected<usize> receive(HostHandle, Span<const engine::wasi::IoSlice>, u16 riflags) override;
    Expected<usize> send(HostHandle, Span<const engine::wasi::ConstIoSlice>) override;
    Expected<void> shutdown(HostHandle, u8 how) override;
    Expected<HostHandle> connect_tcp(u32 address, u16 port) override;
    Expected<HostHandle> udp_bind(u16 port) override;
    Expected<usize> udp_send_to(HostHandle, u32 address, u16 port, ReadonlyBytes) override;
    Expected<usize> udp_receive_from(HostHandle, Bytes, Datagram&) override;
    // The calling thread is being killed (sched::Thread::kill_requested).
    bool cancelled() override;

private:
    struct Slot {
        RefPtr<fs::OpenFile> file; // a file or directory
        Stream* stream { nullptr };  // or a stream
        RefPtr<PipeEnd> pipe;        // which, for a pipe end, is this one (the slot owns it)
        RefPtr<TcpSocket> socket;    // or, for a socket, this one
        RefPtr<UdpSocket> udp;       // or, for a datagram socket, this one
        bool counted { false };      // a socket counted in m_quota as `kind`
        SocketKind kind { SocketKind::Listener };
        bool in_use() const { return file || stream; }
    };

    Expected<HostHandle> install(Slot);
    // m_quota (under the FsGuard): counts a socket of `kind` before it is made, or refuses it.
    Expected<void> take_quota(SocketKind);
    void give_back_quota(SocketKind);
    // Installs a socket's slot counted as `kind` (take_quota done); gives the count back on
    // failure. Callers hold the FsGuard.
    Expected<HostHandle> install_socket_locked(Slot, SocketKind);
    // The slot of an open handle, or BadF. Callers hold the FsGuard.
    Expected<Slot*> slot_locked(HostHandle);
    Expected<fs::Directory*> directory_locked(HostHandle);
    Expected<fs::OpenFile*> file_locked(HostHandle);
    // A reference to the socket behind an open handle: BadF, NotSock for anything else.
    Expected<RefPtr<TcpSocket>> socket_of(HostHandle);
    Expected<RefPtr<UdpSocket>> udp_of(HostHandle);

    fs::FileSystem& m_fs;
    Vector<Slot> m_slots;
    SocketQuota m_quota; // under the FsGuard
};

} // namespace wk::kernel::sys
