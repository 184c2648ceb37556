#include <gtest/gtest.h>

#include <cstring>

#include "tests/wasi/fake_system.h"

using namespace wk;
using namespace wk::engine::wasi;
using wk::engine::wasi::testing::Guest;

TEST(WasiDescriptors, ArgsAndEnvironLayout)
{
    Guest g;
    ASSERT_EQ(g.context.args_sizes_get(0, 4), Errno::Success);
    EXPECT_EQ(g.get_u32(0), 2u);
    EXPECT_EQ(g.get_u32(4), 13u);
    ASSERT_EQ(g.context.args_get(100, 200), Errno::Success);
    EXPECT_EQ(g.get_u32(100), 200u);
    EXPECT_EQ(g.get_u32(104), 205u);
    EXPECT_STREQ(reinterpret_cast<const char*>(&g.bytes[205]), "arg one");
    ASSERT_EQ(g.context.environ_sizes_get(0, 4), Errno::Success);
    EXPECT_EQ(g.get_u32(0), 1u);
    ASSERT_EQ(g.context.environ_get(100, 300), Errno::Success);
    EXPECT_STREQ(reinterpret_cast<const char*>(&g.bytes[300]), "HOME=/sandbox");
}

TEST(WasiDescriptors, Prestat)
{
    Guest g;
    ASSERT_EQ(g.context.fd_prestat_get(3, 0), Errno::Success);
    EXPECT_EQ(g.bytes[0], 0);
    EXPECT_EQ(g.get_u32(4), 8u);
    EXPECT_EQ(g.context.fd_prestat_dir_name(3, 100, 7), Errno::NameTooLong);
    ASSERT_EQ(g.context.fd_prestat_dir_name(3, 100, 8), Errno::Success);
    EXPECT_EQ(std::memcmp(&g.bytes[100], "/sandbox", 8), 0);
    EXPECT_EQ(g.context.fd_prestat_get(1, 0), Errno::BadF); // open, not a preopen
    EXPECT_EQ(g.context.fd_prestat_get(4, 0), Errno::BadF); // the end of the preopens
    EXPECT_EQ(g.context.fd_prestat_get(0xFFFF'FFFFu, 0), Errno::BadF);
}

TEST(WasiDescriptors, CloseStdioThenUseIt)
{
    Guest g;
    g.put(64, "hi");
    g.put_iovec(0, 64, 2);
    ASSERT_EQ(g.context.fd_close(1), Errno::Success);
    EXPECT_EQ(g.context.fd_write(1, 0, 1, 100), Errno::BadF);
    EXPECT_EQ(g.context.fd_close(1), Errno::BadF);
    EXPECT_EQ(g.context.fd_fdstat_get(1, 200), Errno::BadF);
    // The lowest free descriptor is reused by the next open.
    g.put(300, "file");
    ASSERT_EQ(g.context.path_open(3, 0, 300, 4, oflags::kCreat, rights::kFdWrite, 0, 0, 400), Errno::Success);
    EXPECT_EQ(g.get_u32(400), 1u);
}

TEST(WasiDescriptors, RenumberStdio)
{
    Guest g;
    g.put(64, "to stderr");
    g.put_iovec(0, 64, 9);
    HostHandle stderr_handle = g.context.entry(2)->handle;
    HostHandle stdout_handle = g.context.entry(1)->handle;
    // fd 2 becomes what fd 1 was: the old stderr handle is closed.
    ASSERT_EQ(g.context.fd_renumber(1, 2), Errno::Success);
    EXPECT_EQ(g.context.entry(1), nullptr);
    EXPECT_EQ(g.context.entry(2)->handle, stdout_handle);
    EXPECT_FALSE(g.system.open_handles.contains(stderr_handle));
    ASSERT_EQ(g.context.fd_write(2, 0, 1, 100), Errno::Success);
    EXPECT_EQ(g.system.written[stdout_handle], "to stderr");
    EXPECT_EQ(g.context.fd_renumber(1, 2), Errno::BadF);  // 1 is closed now
    EXPECT_EQ(g.context.fd_renumber(2, 9), Errno::BadF);  // the target must be open
    EXPECT_EQ(g.context.fd_renumber(2, 2), Errno::Success);
    // Renumbering a preopen moves its name too.
    ASSERT_EQ(g.context.fd_renumber(3, 0), Errno::Success);
    ASSERT_EQ(g.context.fd_prestat_get(0, 0), Errno::Success);
    EXPECT_EQ(g.context.fd_prestat_get(3, 0), Errno::BadF);
}

TEST(WasiDescriptors, HugeIovecCounts)
{
    Guest g;
    g.put_iovec(0, 64, 1);
    EXPECT_EQ(g.context.fd_write(1, 0, WasiContext::kMaxIovecs + 1, 100), Errno::Inval);
    EXPECT_EQ(g.context.fd_write(1, 0, 0xFFFF'FFFFu, 100), Errno::Inval);
    EXPECT_EQ(g.context.fd_read(0, 0, 0x2000'0000u, 100), Errno::Inval);
    EXPECT_EQ(g.context.fd_pread(0, 0, 0x8000'0000u, 0, 100), Errno::Inval);
    // The most allowed, but more than the memory holds: Fault.
    EXPECT_EQ(g.context.fd_write(1, 60000, WasiContext::kMaxIovecs, 100), Errno::Fault);
    // Many iovecs naming the same 4 GiB-ish range cannot overflow the u32 count.
    for (u32 i = 0; i < 4; ++i)
        g.put_iovec(1000 + i * 8, 0, Guest::kMemorySize);
    EXPECT_EQ(g.context.fd_write(1, 1000, 4, 100), Errno::Success);
    EXPECT_EQ(g.get_u32(100), 4 * Guest::kMemorySize);
    // Zero iovecs is a valid zero-byte write.
    EXPECT_EQ(g.context.fd_write(1, 0, 0, 100), Errno::Success);
    EXPECT_EQ(g.get_u32(100), 0u);
}

TEST(WasiDescriptors, IovecLengthBeyondMemory)
{
    Guest g;
    g.put_iovec(0, 0, 0xFFFF'FFFFu);
    EXPECT_EQ(g.context.fd_write(1, 0, 1, 100), Errno::Fault);
}

TEST(WasiDescriptors, Rights)
{
    Guest g;
    // Directories cannot be read or written as files.
    g.put_iovec(0, 64, 1);
    EXPECT_EQ(g.context.fd_write(3, 0, 1, 100), Errno::NotCapable);
    EXPECT_EQ(g.context.fd_seek(3, 0, 0, 100), Errno::NotCapable);
    // Rights only shrink.
    EXPECT_EQ(g.context.fd_fdstat_set_rights(1, rights::kFdRead, 0), Errno::Success);
    EXPECT_EQ(g.context.fd_write(1, 0, 1, 100), Errno::NotCapable);
    EXPECT_EQ(g.context.fd_fdstat_set_rights(1, rights::kFdRead | rights::kFdWrite, 0), Errno::NotCapable);
    ASSERT_EQ(g.context.fd_fdstat_get(1, 200), Errno::Success);
    EXPECT_EQ(g.bytes[200], static_cast<u8>(Filetype::CharacterDevice));
    EXPECT_EQ(g.get_u64(208), rights::kFdRead);
    // A file opened from the preopen gets only file rights, even when asking for more.
    g.put(300, "file");
    ASSERT_EQ(g.context.path_open(3, 0, 300, 4, 0, rights::kAll, rights::kAll, 0, 400), Errno::Success);
    u32 fd = g.get_u32(400);
    ASSERT_EQ(g.context.fd_fdstat_get(fd, 200), Errno::Success);
    EXPECT_EQ(g.get_u64(208), rights::kFile);
    // Flags and whence out of range.
    EXPECT_EQ(g.context.fd_fdstat_set_flags(fd, 0x20), Errno::Inval);
    EXPECT_EQ(g.context.fd_seek(fd, 0, 3, 100), Errno::Inval);
    EXPECT_EQ(g.context.fd_advise(fd, 0, 0, 6), Errno::Inval);
    EXPECT_EQ(g.context.fd_filestat_set_times(fd, 0, 0, fstflags::kAtim | fstflags::kAtimNow), Errno::Inval);
    EXPECT_EQ(g.context.clock_time_get(4, 0, 0), Errno::Inval);
}

TEST(WasiDescriptors, Readdir)
{
    Guest g;
    ASSERT_EQ(g.context.fd_readdir(3, 1000, 4096, 0, 0), Errno::Success);
    // Three entries: 24-byte header + name each.
    EXPECT_EQ(g.get_u32(0), 3 * 24u + 5 + 4 + 5);
    EXPECT_EQ(g.get_u64(1000), 1u);               // d_next
    EXPECT_EQ(g.get_u32(1016), 5u);               // d_namlen
    EXPECT_EQ(std::memcmp(&g.bytes[1024], "alpha", 5), 0);
    // A small buffer is filled completely; the last entry is cut.
    ASSERT_EQ(g.context.fd_readdir(3, 1000, 30, 0, 0), Errno::Success);
    EXPECT_EQ(g.get_u32(0), 30u);
    // Resuming at a cookie.
    ASSERT_EQ(g.context.fd_readdir(3, 1000, 4096, 2, 0), Errno::Success);
    EXPECT_EQ(g.get_u32(0), 24u + 5);
    EXPECT_EQ(std::memcmp(&g.bytes[1024], "gamma", 5), 0);
    EXPECT_EQ(g.context.fd_readdir(1, 1000, 4096, 0, 0), Errno::NotCapable);
}

TEST(WasiDescriptors, ProcExitRecordsStatusAndCallsTheHook)
{
    Guest g;
    EXPECT_FALSE(g.context.exit_status().has_value());
    static u32 seen = 0;
    static u32 offset = 1000;
    g.context.set_exit_hook([](void* data, u32 status) { seen = status + *static_cast<u32*>(data); }, &offset);
    g.context.proc_exit(7);
    EXPECT_EQ(*g.context.exit_status(), 7u);
    EXPECT_EQ(seen, 1007u);
    EXPECT_EQ(g.context.proc_raise(31), Errno::Inval);
    EXPECT_EQ(g.context.proc_raise(9), Errno::NotSup);
}

TEST(WasiDescriptors, Sockets)
{
    Guest g;
    EXPECT_EQ(g.context.sock_accept(1, 0, 0), Errno::NotSock);
    EXPECT_EQ(g.context.sock_recv(77, 0, 0, 0, 0, 0), Errno::BadF);
    EXPECT_EQ(g.context.sock_send(3, 0, 0, 0, 0), Errno::NotSock);
    EXPECT_EQ(g.context.sock_shutdown(0, 0), Errno::NotSock);
}

TEST(WasiDescriptors, PollClockAndFiles)
{
    Guest g;
    // One relative clock subscription of 1 ms: the system sleeps, one clock event.
    std::memset(&g.bytes[0], 0, 48);
    u64 userdata = 0x1234;
    std::memcpy(&g.bytes[0], &userdata, 8);
    g.bytes[8] = 0;      // clock
    g.put_u32(16, 1);    // monotonic
    u64 timeout = 1'000'000;
    std::memcpy(&g.bytes[24], &timeout, 8);
    ASSERT_EQ(g.context.poll_oneoff(0, 1000, 1, 2000), Errno::Success);
    EXPECT_EQ(g.get_u32(2000), 1u);
    EXPECT_EQ(g.get_u64(1000), 0x1234u);
    EXPECT_EQ(g.bytes[1010], 0);
    EXPECT_EQ(g.system.calls.back(), "sleep");
    // An fd subscription on a closed descriptor: an event with badf, no waiting.
    std::memset(&g.bytes[48], 0, 48);
    g.bytes[56] = 1; // fd_read
    g.put_u32(64, 55);
    g.system.calls.clear();
    ASSERT_EQ(g.context.poll_oneoff(0, 1000, 2, 2000), Errno::Success);
    EXPECT_EQ(g.get_u32(2000), 1u);
    u16 error;
    std::memcpy(&error, &g.bytes[1008], 2);
    EXPECT_EQ(error, static_cast<u16>(Errno::BadF));
    for (const auto& call : g.system.calls)
        EXPECT_NE(call, "sleep");
    EXPECT_EQ(g.context.poll_oneoff(0, 1000, 0, 2000), Errno::Inval);
    g.bytes[8] = 9; // unknown tag
    EXPECT_EQ(g.context.poll_oneoff(0, 1000, 1, 2000), Errno::Inval);
}

TEST(WasiDescriptors, ManyIovecsGatherInOrder)
{
    Guest g;
    // 40 iovecs (more than the inline list holds), one letter each, in reverse memory order.
    for (u32 i = 0; i < 40; ++i) {
        g.bytes[5000 - i] = static_cast<u8>('A' + i % 26);
        g.put_iovec(1000 + i * 8, 5000 - i, 1);
    }
    ASSERT_EQ(g.context.fd_write(1, 1000, 40, 100), Errno::Success);
    EXPECT_EQ(g.get_u32(100), 40u);
    EXPECT_EQ(g.system.written[g.context.entry(1)->handle], "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMN");
    // Reads scatter the same way.
    ASSERT_EQ(g.context.fd_read(0, 1000, 40, 100), Errno::Success);
    EXPECT_EQ(g.get_u32(100), 40u);
    EXPECT_EQ(g.bytes[4961], 'x');
}
