#include <gtest/gtest.h>

#include "kernel/sys/socket_quota.h"

namespace wk::kernel::sys::test {
namespace {

// A process flooding outbound connections, datagram sockets or accepted connections is
// refused at its own bounds, with the error that says which, and gets its place back when a
// socket closes.
TEST(SocketQuota, OutboundAndDatagramFloodsStopAtTheirBounds)
{
    SocketQuota quota;
    usize outbound = 0;
    while (quota.take(SocketKind::Outbound) == Errno::Success)
        ++outbound;
    EXPECT_EQ(outbound, SocketQuota::kMaxOutbound);
    EXPECT_EQ(quota.take(SocketKind::Outbound), Errno::MFile);
    usize datagram = 0;
    while (quota.take(SocketKind::Datagram) == Errno::Success)
        ++datagram;
    EXPECT_EQ(datagram, SocketQuota::kMaxDatagram);
    EXPECT_EQ(quota.take(SocketKind::Datagram), Errno::MFile);
    // The bounds are per kind: an accepted connection still fits.
    EXPECT_EQ(quota.take(SocketKind::Accepted), Errno::Success);
    EXPECT_EQ(quota.sockets(), outbound + datagram + 1);
    quota.give_back(SocketKind::Outbound);
    EXPECT_EQ(quota.take(SocketKind::Outbound), Errno::Success);
    // Half the system's: another process can always get one (kernel/sys/tcp_socket.h: 8,
    // kernel/sys/udp_socket.h: 4).
    static_assert(SocketQuota::kMaxOutbound * 2 <= 8 && SocketQuota::kMaxDatagram * 2 <= 4);
}

TEST(SocketQuota, BufferBytesThenSocketsRefuse)
{
    SocketQuota quota;
    usize accepted = 0;
    Errno refused;
    while ((refused = quota.take(SocketKind::Accepted)) == Errno::Success)
        ++accepted;
    EXPECT_EQ(refused, Errno::NoBufs);
    EXPECT_EQ(accepted, SocketQuota::kMaxBufferBytes / SocketQuota::kTcpBufferBytes);
    EXPECT_LE(quota.buffer_bytes(), SocketQuota::kMaxBufferBytes);
    EXPECT_EQ(quota.buffer_bytes(), accepted * (net::TcpLayer::kBufferBytes + net::TcpLayer::kSendBufferBytes));
    // A connection's buffers leave room for the other processes in the stack's table.
    EXPECT_LT(accepted, net::TcpLayer::kConnections);
    EXPECT_GE(accepted, 33u); // httpd under ab -c 32, and its listener
    // Listeners have no buffers of their own: they stop at the count.
    while ((refused = quota.take(SocketKind::Listener)) == Errno::Success) { }
    EXPECT_EQ(refused, Errno::MFile);
    EXPECT_EQ(quota.sockets(), SocketQuota::kMaxSockets);
    EXPECT_EQ(quota.take(SocketKind::Datagram), Errno::MFile);
    // Giving everything back leaves nothing counted.
    for (usize i = 0; i < accepted; ++i)
        quota.give_back(SocketKind::Accepted);
    for (usize i = accepted; i < SocketQuota::kMaxSockets; ++i)
        quota.give_back(SocketKind::Listener);
    EXPECT_EQ(quota.sockets(), 0u);
    EXPECT_EQ(quota.buffer_bytes(), 0u);
    EXPECT_EQ(quota.take(SocketKind::Datagram), Errno::Success);
    EXPECT_EQ(quota.buffer_bytes(), SocketQuota::kUdpBufferBytes);
}

} // namespace
} // namespace wk::kernel::sys::test
