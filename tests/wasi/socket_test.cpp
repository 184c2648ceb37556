#include <gtest/gtest.h>

#include <algorithm>

#include "tests/wasi/fake_system.h"

using namespace wk;
using namespace wk::engine::wasi;
using wk::engine::wasi::testing::Guest;

namespace {

bool called(const Guest& g, const char* name)
{
    return std::find(g.system.calls.begin(), g.system.calls.end(), name) != g.system.calls.end();
}

// A guest with a listening socket at fd 4 (after stdio and the preopen at 3).
struct SocketGuest : Guest {
    SocketGuest()
    {
        auto fd = context.add_listening_socket(system.make_handle());
        EXPECT_TRUE(fd);
        EXPECT_EQ(fd ? *fd : 0, 4u);
    }
};

} // namespace

TEST(WasiSockets, NotASocket)
{
    Guest g;
    EXPECT_EQ(g.context.sock_accept(3, 0, 0), Errno::NotSock);  // a directory
    EXPECT_EQ(g.context.sock_recv(1, 0, 0, 0, 8, 12), Errno::NotSock);
    EXPECT_EQ(g.context.sock_send(1, 0, 0, 0, 8), Errno::NotSock);
    EXPECT_EQ(g.context.sock_shutdown(0, 3), Errno::NotSock);
    EXPECT_EQ(g.context.sock_accept(9, 0, 0), Errno::BadF);
    EXPECT_FALSE(called(g, "accept"));
}

TEST(WasiSockets, ListenerIsAStreamSocketThatOnlyAccepts)
{
    SocketGuest g;
    ASSERT_EQ(g.context.fd_fdstat_get(4, 0), Errno::Success);
    EXPECT_EQ(g.bytes[0], static_cast<u8>(Filetype::SocketStream));
    EXPECT_NE(g.get_u64(8) & rights::kSockAccept, 0u);
    EXPECT_EQ(g.get_u64(8) & (rights::kFdRead | rights::kFdWrite), 0u);
    ASSERT_EQ(g.context.fd_filestat_get(4, 100), Errno::Success);
    EXPECT_EQ(g.bytes[116], static_cast<u8>(Filetype::SocketStream));
    EXPECT_EQ(g.context.fd_prestat_get(4, 0), Errno::BadF); // not a preopened directory
    g.put_iovec(200, 300, 4);
    EXPECT_EQ(g.context.sock_recv(4, 200, 1, 0, 8, 12), Errno::NotCapable);
    EXPECT_EQ(g.context.fd_write(4, 200, 1, 8), Errno::NotCapable);
    EXPECT_EQ(g.context.sock_shutdown(4, 3), Errno::NotCapable);
}

TEST(WasiSockets, AcceptChecksBeforeTheSystemWaits)
{
    SocketGuest g;
    EXPECT_EQ(g.context.sock_accept(4, 1, 0), Errno::Inval); // only nonblock (4) is a flag
    EXPECT_EQ(g.context.sock_accept(4, 0, Guest::kMemorySize - 2), Errno::Fault);
    EXPECT_FALSE(called(g, "accept"));
    ASSERT_EQ(g.context.sock_accept(4, fdflags::kNonblock, 16), Errno::Success);
    EXPECT_EQ(g.system.last_flags, fdflags::kNonblock);
    u32 connection = g.get_u32(16);
    EXPECT_EQ(connection, 5u);
    ASSERT_EQ(g.context.fd_fdstat_get(connection, 0), Errno::Success);
    EXPECT_EQ(g.bytes[0], static_cast<u8>(Filetype::SocketStream));
    EXPECT_NE(g.get_u64(8) & rights::kSockShutdown, 0u);
    EXPECT_EQ(g.get_u64(8) & rights::kSockAccept, 0u);
    EXPECT_EQ(g.context.sock_accept(connection, 0, 16), Errno::NotCapable);
}

TEST(WasiSockets, BytesFlagsAndShutdownOnAConnection)
{
    SocketGuest g;
    ASSERT_EQ(g.context.sock_accept(4, 0, 16), Errno::Success);
    u32 fd = g.get_u32(16);
    g.put(300, "ping");
    g.put_iovec(200, 300, 4);
    ASSERT_EQ(g.context.sock_send(fd, 200, 1, 0, 24), Errno::Success);
    EXPECT_EQ(g.get_u32(24), 4u);
    EXPECT_TRUE(called(g, "send"));
    EXPECT_EQ(g.context.sock_send(fd, 200, 1, 1, 24), Errno::Inval); // preview1 has no siflags
    g.put_u32(28, 0xFFFF'FFFFu);
    ASSERT_EQ(g.context.sock_recv(fd, 200, 1, riflags::kWaitall, 24, 28), Errno::Success);
    EXPECT_EQ(g.get_u32(24), 4u);
    EXPECT_EQ(g.get_u32(28) & 0xFFFF, 0u); // ro_flags written as 0
    EXPECT_EQ(g.system.last_flags, riflags::kWaitall);
    EXPECT_EQ(g.context.sock_recv(fd, 200, 1, 4, 24, 28), Errno::Inval);
    EXPECT_EQ(g.context.sock_recv(fd, 200, 1, 0, 24, Guest::kMemorySize - 1), Errno::Fault);
    EXPECT_EQ(g.bytes[300], 'x'); // what the fake system "received" landed in the guest's buffer
    g.put(300, "pong");
    ASSERT_EQ(g.context.fd_write(fd, 200, 1, 24), Errno::Success);
    EXPECT_EQ(g.system.written[g.context.entry(fd)->handle], "pingpong");
    EXPECT_EQ(g.context.sock_shutdown(fd, 0), Errno::Inval);
    EXPECT_EQ(g.context.sock_shutdown(fd, 4), Errno::Inval);
    ASSERT_EQ(g.context.sock_shutdown(fd, sdflags::kWrite), Errno::Success);
    EXPECT_TRUE(called(g, "shutdown 2"));
    ASSERT_EQ(g.context.fd_close(fd), Errno::Success);
    EXPECT_EQ(g.context.sock_send(fd, 200, 1, 0, 24), Errno::BadF);
}

TEST(WasiSockets, ConnectChecksBeforeTheSystemConnects)
{
    Guest g;
    const u8 address[] = { 10, 0, 2, 2 };
    std::copy(address, address + 4, g.bytes.begin() + 100);
    EXPECT_EQ(g.context.sock_connect(Guest::kMemorySize - 2, 4, 80, 16), Errno::Fault);
    EXPECT_EQ(g.context.sock_connect(100, 4, 80, Guest::kMemorySize - 2), Errno::Fault);
    EXPECT_EQ(g.context.sock_connect(100, 3, 80, 16), Errno::Inval);
    EXPECT_EQ(g.context.sock_connect(100, 16, 80, 16), Errno::AfNoSupport);
    EXPECT_EQ(g.context.sock_connect(100, 4, 0, 16), Errno::Inval);
    EXPECT_EQ(g.context.sock_connect(100, 4, 65536, 16), Errno::Inval);
    EXPECT_FALSE(called(g, "connect 167772674 80")); // nothing reached the system
    g.system.connect_error = Errno::ConnRefused;
    EXPECT_EQ(g.context.sock_connect(100, 4, 80, 16), Errno::ConnRefused);
    EXPECT_TRUE(called(g, "connect 167772674 80"));
    g.system.connect_error = Errno::Success;
    ASSERT_EQ(g.context.sock_connect(100, 4, 8080, 16), Errno::Success);
    u32 fd = g.get_u32(16);
    EXPECT_EQ(fd, 4u);
    ASSERT_EQ(g.context.fd_fdstat_get(fd, 0), Errno::Success);
    EXPECT_EQ(g.bytes[0], static_cast<u8>(Filetype::SocketStream));
    EXPECT_NE(g.get_u64(8) & rights::kSockShutdown, 0u);
    EXPECT_EQ(g.get_u64(8) & rights::kSockAccept, 0u);
    g.put(300, "ping");
    g.put_iovec(200, 300, 4);
    ASSERT_EQ(g.context.sock_send(fd, 200, 1, 0, 24), Errno::Success);
    EXPECT_EQ(g.system.written[g.context.entry(fd)->handle], "ping");
    EXPECT_EQ(g.context.fd_close(fd), Errno::Success);
}

TEST(WasiSockets, DatagramsThroughTheUdpCalls)
{
    Guest g;
    EXPECT_EQ(g.context.udp_bind(70000, 16), Errno::Inval);
    EXPECT_EQ(g.context.udp_bind(0, Guest::kMemorySize - 2), Errno::Fault);
    EXPECT_FALSE(called(g, "udp_bind 0"));
    ASSERT_EQ(g.context.udp_bind(5000, 16), Errno::Success);
    EXPECT_TRUE(called(g, "udp_bind 5000"));
    u32 fd = g.get_u32(16);
    ASSERT_EQ(g.context.fd_fdstat_get(fd, 0), Errno::Success);
    EXPECT_EQ(g.bytes[0], static_cast<u8>(Filetype::SocketDgram));
    const u8 address[] = { 10, 0, 2, 3 };
    std::copy(address, address + 4, g.bytes.begin() + 100);
    g.put(300, "query");
    EXPECT_EQ(g.context.udp_send_to(fd, 100, 4, 0, 300, 5, 24), Errno::Inval);
    EXPECT_EQ(g.context.udp_send_to(fd, 100, 16, 53, 300, 5, 24), Errno::AfNoSupport);
    EXPECT_EQ(g.context.udp_send_to(fd, 100, 4, 53, Guest::kMemorySize - 2, 5, 24), Errno::Fault);
    EXPECT_EQ(g.context.udp_send_to(1, 100, 4, 53, 300, 5, 24), Errno::NotSock);
    ASSERT_EQ(g.context.udp_send_to(fd, 100, 4, 53, 300, 5, 24), Errno::Success);
    EXPECT_EQ(g.get_u32(24), 5u);
    EXPECT_TRUE(called(g, "udp_send 167772675 53 5"));
    EXPECT_EQ(g.context.udp_recv_from(fd, 400, 16, Guest::kMemorySize - 8), Errno::Fault);
    ASSERT_EQ(g.context.udp_recv_from(fd, 400, 2, 500), Errno::Success);
    EXPECT_EQ(g.get_u32(500), 2u); // copied: cut to the buffer
    EXPECT_EQ(g.get_u32(504), 4u); // the datagram's length
    EXPECT_EQ(g.bytes[508], 10);
    EXPECT_EQ(g.bytes[511], 2);
    EXPECT_EQ(g.bytes[512] | (g.bytes[513] << 8), 53);
    EXPECT_EQ(g.bytes[400], 'e');
    EXPECT_EQ(g.context.fd_close(fd), Errno::Success);
    EXPECT_EQ(g.context.udp_recv_from(fd, 400, 2, 500), Errno::BadF);
}
