#pragma once

#include <dirent.h>
#include <string>
#include <unordered_map>

#include "base/result.h"
#include "engine/wasi/wasi_context.h"
#include "engine/wasi/wasi_system.h"

namespace wk::hosted {

// The WASI system over POSIX: a HostHandle is a file descriptor (close-on-exec), every
// `_at` call is the *at(2) call on one component with O_NOFOLLOW /
// AT_SYMLINK_NOFOLLOW, so a symlink is never followed here (the marshalling layer
// expands them within the preopen).
class PosixWasiSystem final : public engine::wasi::WasiSystem {
public:
    using Expected0 = engine::wasi::Expected<void>;
    template<typename T>
    using Expected = engine::wasi::Expected<T>;
    using HostHandle = engine::wasi::HostHandle;

    // A directory of the host file system to hand to the guest as a preopen.
    static Result<HostHandle> open_directory(const char* host_path);
    // Opens /dev/null on whichever of fds 0-2 this process was started without, and
    // remembers which: call first thing in main(), so that no descriptor opened later
    // (a guest's file) can become the tool's stderr and receive its diagnostics.
    // False when /dev/null cannot be opened (the caller should then stop).
    static bool reserve_standard_descriptors();
    // A duplicate of the process's descriptor `fd` (0, 1, 2) with the filetype wasmtime
    // reports for stdio (a terminal is a character device, anything else unknown), for
    // WasiContext::set_stdio_stream (the context closes the duplicate).
    static Result<HostHandle> duplicate_stdio(int fd, engine::wasi::Filetype& filetype);
    // Sets fds 0-2 of `context` to streams over duplicates of this process's stdio; one
    // the process was started without stays closed for the guest.
    static Result<void> install_stdio(engine::wasi::WasiContext& context);

    // A listening TCP socket on "ADDRESS:PORT" (a name or a numeric IPv4/IPv6 address,
    // "[V6]:PORT" too), for WasiContext::add_listening_socket. On failure `error` says why.
    static Result<HostHandle> open_listener(const char* address_and_port, std::string& error);

    Expected0 close(HostHandle) override;
    Expected<usize> read(HostHandle, Span<const engine::wasi::IoSlice>) override;
    Expected<usize> pread(HostHandle, Span<const engine::wasi::IoSlice>, u64 offset) override;
    Expected<usize> write(HostHandle, Span<const engine::wasi::ConstIoSlice>) override;
    Expected<usize> pwrite(HostHandle, Span<const engine::wasi::ConstIoSlice>, u64 offset) override;
    Expected<u64> seek(HostHandle, i64 offset, engine::wasi::Whence) override;
    Expected<u16> get_fdflags(HostHandle) override;
    Expected0 set_fdflags(HostHandle, u16 fdflags) override;
    Expected<engine::wasi::FileStat> stat(HostHandle) override;
    Expected0 set_size(HostHandle, u64 size) override;
    Expected0 set_times(HostHandle, engine::wasi::TimeUpdate access, engine::wasi::TimeUpdate modify) override;
    Expected0 sync(HostHandle) override;
    Expected0 datasync(HostHandle) override;
    Expected0 advise(HostHandle, u64 offset, u64 length, engine::wasi::Advice) override;
    Expected0 allocate(HostHandle, u64 offset, u64 length) override;
    Expected0 read_directory(HostHandle, u64 cookie, engine::wasi::DirectorySink&) override;

    Expected<HostHandle> open_at(HostHandle directory, StringView name, const engine::wasi::OpenRequest&) override;
    Expected<engine::wasi::FileStat> stat_at(HostHandle directory, StringView name) override;
    Expected0 set_times_at(HostHandle directory, StringView name, engine::wasi::TimeUpdate access,
                           engine::wasi::TimeUpdate modify) override;
    Expected0 create_directory_at(HostHandle directory, StringView name) override;
    Expected0 remove_directory_at(HostHandle directory, StringView name) override;
    Expected0 unlink_file_at(HostHandle directory, StringView name) override;
    Expected0 rename_at(HostHandle from_directory, StringView from, HostHandle to_directory, StringView to) override;
    Expected0 link_at(HostHandle from_directory, StringView from, HostHandle to_directory, StringView to) override;
    Expected0 symlink_at(StringView target, HostHandle directory, StringView name) override;
    Expected<String> readlink_at(HostHandle directory, StringView name) override;

    Expected<u64> clock_time(engine::wasi::ClockId) override;
    Expected<u64> clock_resolution(engine::wasi::ClockId) override;
    Expected0 random(Bytes) override;
    void yield() override;
    void sleep(u64 nanoseconds) override;
    Expected0 poll(Span<engine::wasi::PollRequest>, std::optional<u64> timeout_nanoseconds) override;

    Expected<HostHandle> accept(HostHandle listener, u16 fdflags) override;
    Expected<HostHandle> connect_tcp(u32 address, u16 port) override;
    Expected<HostHandle> udp_bind(u16 port) override;
    Expected<usize> udp_send_to(HostHandle, u32 address, u16 port, ReadonlyBytes) override;
    Expected<usize> udp_receive_from(HostHandle, Bytes, Datagram&) override;
    Expected<usize> receive(HostHandle, Span<const engine::wasi::IoSlice>, u16 riflags) override;
    Expected<usize> send(HostHandle, Span<const engine::wasi::ConstIoSlice>) override;
    Expected0 shutdown(HostHandle, u8 how) override;

    PosixWasiSystem() = default;
    ~PosixWasiSystem() override;
    PosixWasiSystem(const PosixWasiSystem&) = delete;
    PosixWasiSystem& operator=(const PosixWasiSystem&) = delete;

    // readdir(3) calls so far: reading a directory in buffer-sized pieces with cookies
    // costs one per entry (plus one per piece), not a re-read from the start.
    u64 directory_entries_read() const { return m_directory_entries_read; }

private:
    // A directory stream kept open per directory handle between fd_readdir calls, and
    // the cookie of the entry its next readdir() returns.
    struct DirectoryStream {
        DIR* stream { nullptr };
        u64 next_cookie { 0 };
    };
    Expected<DirectoryStream*> directory_stream(HostHandle);
    void forget_directory_stream(HostHandle);

    std::unordered_map<HostHandle, DirectoryStream> m_directory_streams;
    u64 m_directory_entries_read { 0 };
};

// The WASI errno for a POSIX errno value.
engine::wasi::Errno errno_from_posix(int error);

} // namespace wk::hosted
