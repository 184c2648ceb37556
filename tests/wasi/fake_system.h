#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/runtime/vm.h"
#include "engine/wasi/wasi_context.h"
#include "engine/wasi/wasi_system.h"

namespace wk::engine::wasi::testing {

// A system whose operations all succeed in a trivial way and are logged, so that tests
// can see whether a call reached the backend. Names decide types: "d..." is a directory,
// "l..." a symlink (target from `links`), anything else a regular file.
class FakeSystem final : public WasiSystem {
public:
    std::vector<std::string> calls;
    std::map<HostHandle, std::string> written;
    std::map<std::string, std::string> links;
    std::set<HostHandle> open_handles;
    HostHandle next_handle { 100 };

    HostHandle make_handle()
    {
        HostHandle handle = next_handle++;
        open_handles.insert(handle);
        return handle;
    }

    Expected<void> close(HostHandle) override;
    Expected<usize> read(HostHandle, Span<const IoSlice>) override;
    Expected<usize> pread(HostHandle, Span<const IoSlice>, u64) override;
    Expected<usize> write(HostHandle, Span<const ConstIoSlice>) override;
    Expected<usize> pwrite(HostHandle, Span<const ConstIoSlice>, u64) override;
    Expected<u64> seek(HostHandle, i64, Whence) override;
    Expected<u16> get_fdflags(HostHandle) override;
    Expected<void> set_fdflags(HostHandle, u16) override;
    Expected<FileStat> stat(HostHandle) override;
    Expected<void> set_size(HostHandle, u64) override;
    Expected<void> set_times(HostHandle, TimeUpdate, TimeUpdate) override;
    Expected<void> sync(HostHandle) override;
    Expected<void> datasync(HostHandle) override;
    Expected<void> advise(HostHandle, u64, u64, Advice) override;
    Expected<void> allocate(HostHandle, u64, u64) override;
    Expected<void> read_directory(HostHandle, u64 cookie, DirectorySink&) override;
    Expected<HostHandle> open_at(HostHandle, StringView, const OpenRequest&) override;
    Expected<FileStat> stat_at(HostHandle, StringView) override;
    Expected<void> set_times_at(HostHandle, StringView, TimeUpdate, TimeUpdate) override;
    Expected<void> create_directory_at(HostHandle, StringView) override;
    Expected<void> remove_directory_at(HostHandle, StringView) override;
    Expected<void> unlink_file_at(HostHandle, StringView) override;
    Expected<void> rename_at(HostHandle, StringView, HostHandle, StringView) override;
    Expected<void> link_at(HostHandle, StringView, HostHandle, StringView) override;
    Expected<void> symlink_at(StringView, HostHandle, StringView) override;
    Expected<String> readlink_at(HostHandle, StringView) override;
    Expected<u64> clock_time(ClockId) override;
    Expected<u64> clock_resolution(ClockId) override;
    Expected<void> random(Bytes) override;
    // What cancelled() answers (the kernel: the process is being killed).
    bool cancel { false };
    bool cancelled() override { return cancel; }
    void yield() override;
    void sleep(u64) override;
    Expected<void> poll(Span<PollRequest>, std::optional<u64>) override;
    // Sockets: accept makes a handle, receive/send are read/write logged under their names.
    Expected<HostHandle> accept(HostHandle, u16) override;
    Expected<usize> receive(HostHandle, Span<const IoSlice>, u16) override;
    Expected<usize> send(HostHandle, Span<const ConstIoSlice>) override;
    Expected<void> shutdown(HostHandle, u8) override;
    u16 last_flags { 0 }; // of the last accept or receive
    // Outbound (wasmkern.sock_connect, udp_*): logged as "connect ADDRESS PORT", "udp_bind
    // PORT", "udp_send ADDRESS PORT BYTES"; connect fails with `connect_error` unless Success,
    // a receive gives "echo" from 10.0.2.2:53.
    Errno connect_error { Errno::Success };
    Expected<HostHandle> connect_tcp(u32, u16) override;
    Expected<HostHandle> udp_bind(u16) override;
    Expected<usize> udp_send_to(HostHandle, u32, u16, ReadonlyBytes) override;
    Expected<usize> udp_receive_from(HostHandle, Bytes, Datagram&) override;
};

// A WasiContext over a FakeSystem and a 64 KiB guest memory, with stdio as handles
// 0-2 and one preopen "/sandbox" at fd 3.
struct Guest {
    static constexpr u32 kMemorySize = 65536;

    FakeSystem system;
    std::vector<u8> bytes = std::vector<u8>(kMemorySize);
    runtime::VMMemory vm;
    WasiContext context { system };

    Guest();

    // Places `text` at `address` and returns the address.
    u32 put(u32 address, std::string_view text);
    u32 put_u32(u32 address, u32 value);
    u32 get_u32(u32 address) const;
    u64 get_u64(u32 address) const;
    // One iovec {buffer, length} at `address`.
    u32 put_iovec(u32 address, u32 buffer, u32 length);
};

} // namespace wk::engine::wasi::testing
