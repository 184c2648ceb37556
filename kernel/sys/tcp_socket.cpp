#include "kernel/sys/tcp_socket.h"

#include <new>

#include "kernel/drivers/network.h"
#include "kernel/sched/thread.h"

namespace wk::kernel::sys {

namespace wasi = engine::wasi;
using drivers::NetworkLock;

namespace {

usize g_live_sockets = 0; // changed with interrupts off
usize g_outbound = 0;     // the same, outbound connections among them

bool killed()
{
    auto* self = sched::current();
    return self && self->kill_requested();
}

net::TcpLayer& tcp() { return drivers::network_interface()->tcp(); }

constexpr u64 kPollNs = 1'000'000; // the net thread's period

} // namespace

usize TcpSocket::live_count()
{
    NetworkLock lock;
    return g_live_sockets;
}

wasi::Expected<RefPtr<TcpSocket>> TcpSocket::listen(u16 port, u16 backlog)
{
    if (!drivers::network_interface())
        return Errno::NetDown;
    if (port == 0)
        return Errno::Inval;
    usize listener;
    {
        NetworkLock lock;
        auto listening = tcp().listen(port, backlog);
        if (!listening)
            return errno_of(listening.error(), Errno::AddrInUse, Errno::NFile);
        listener = *listening;
    }
    auto* socket = new (std::nothrow) TcpSocket(listener, true);
    NetworkLock lock;
    if (!socket) {
        tcp().close_listener(listener, drivers::network_now_ns());
        return Errno::NoMem;
    }
    ++g_live_sockets;
    return adopt_ref(*socket);
}

wasi::Expected<RefPtr<TcpSocket>> TcpSocket::connect(u32 address, u16 port)
{
    auto* interface = drivers::network_interface();
    if (!interface)
        return Errno::NetDown;
    TcpSocket* socket;
    {
        NetworkLock lock;
        if (interface->address() == 0)
            return Errno::NetDown; // no DHCP lease yet
        if (g_outbound == kMaxOutbound)
            return Errno::NFile;
        auto connection = tcp().connect(address, port, drivers::network_now_ns());
        if (!connection)
            return errno_of(connection.error(), Errno::Inval, Errno::NFile);
        socket = new (std::nothrow) TcpSocket(*connection, false, true);
        if (!socket) {
            tcp().abort(*connection, drivers::network_now_ns());
            return Errno::NoMem;
        }
        ++g_live_sockets;
        ++g_outbound;
    }
    // From here the socket owns the connection: dropping it (a failure, a kill) lets it go.
    auto owned = adopt_ref(*socket);
    for (;;) {
        {
            NetworkLock lock;
            switch (tcp().failure(owned->m_index)) {
            case net::TcpFailure::Refused:
                return Errno::ConnRefused;
            case net::TcpFailure::TimedOut:
                return Errno::TimedOut;
            case net::TcpFailure::Reset:
                return Errno::ConnReset;
            case net::TcpFailure::None:
                break;
            }
            if (tcp().state(owned->m_index) != net::TcpState::SynSent)
                return owned;
        }
        if (killed())
            return Errno::Intr;
        sched::sleep_for(kPollNs);
    }
}

TcpSocket::~TcpSocket()
{
    NetworkLock lock;
    --g_live_sockets;
    if (m_outbound)
        --g_outbound;
    if (m_closed)
        return;
    u64 now = drivers::network_now_ns();
    if (m_listener)
        tcp().close_listener(m_index, now);
    else if (tcp().was_reset(m_index))
        tcp().abort(m_index, now);
    else
        tcp().close(m_index, now);
}

wasi::Expected<RefPtr<TcpSocket>> TcpSocket::accept(bool nonblocking)
{
    if (!m_listener)
        return Errno::NotSup;
    for (;;) {
        {
            NetworkLock lock;
            if (auto connection = tcp().accept(m_index)) {
                auto* socket = new (std::nothrow) TcpSocket(*connection, false);
                if (!socket) {
                    tcp().abort(*connection, drivers::network_now_ns());
                    return Errno::NoMem;
                }
                socket->m_nonblocking = nonblocking;
                ++g_live_sockets;
                return adopt_ref(*socket);
            }
        }
        if (m_nonblocking)
            return Errno::Again;
        if (killed())
            return Errno::Intr;
        sched::sleep_for(kPollNs);
    }
}

void TcpSocket::shutdown(u8 how)
{
    if (m_listener || m_closed || how == 0)
        return;
    NetworkLock lock;
    u64 now = drivers::network_now_ns();
    if (tcp().was_reset(m_index))
        tcp().abort(m_index, now);
    else
        tcp().close(m_index, now);
    m_closed = true;
}

wasi::Expected<usize> TcpSocket::read(Bytes out)
{
    if (m_listener)
        return Errno::NotConn;
    for (;;) {
        {
            NetworkLock lock;
            if (m_closed || out.size() == 0)
                return 0;
            usize count = tcp().receive_data(m_index, std::span<u8>(out.data(), out.size()), drivers::network_now_ns());
            if (count > 0)
                return count;
            if (tcp().was_reset(m_index))
                return Errno::ConnReset;
            if (tcp().peer_closed(m_index))
                return 0;
        }
        if (m_nonblocking)
            return Errno::Again;
        if (killed())
            return Errno::Intr;
        sched::sleep_for(kPollNs);
    }
}

wasi::Expected<usize> TcpSocket::write(ReadonlyBytes data)
{
    if (m_listener)
        return Errno::NotConn;
    for (;;) {
        {
            NetworkLock lock;
            if (m_closed)
                return Errno::Pipe;
            if (data.size() == 0)
                return 0;
            if (tcp().was_reset(m_index))
                return Errno::ConnReset;
            auto sent = tcp().send(m_index, std::span<const u8>(data.data(), data.size()), drivers::network_now_ns());
            if (!sent)
                return Errno::Pipe;
            if (*sent > 0)
                return *sent;
        }
        if (m_nonblocking)
            return Errno::Again;
        if (killed())
            return Errno::Intr;
        sched::sleep_for(kPollNs);
    }
}

bool TcpSocket::readable_now()
{
    NetworkLock lock;
    if (m_listener)
        return tcp().can_accept(m_index);
    if (m_closed)
        return true;
    auto& layer = tcp();
    return layer.has_data(m_index) || layer.peer_closed(m_index) || layer.was_reset(m_index);
}

bool TcpSocket::writable() const
{
    if (m_listener)
        return false;
    NetworkLock lock;
    if (m_closed)
        return true;
    auto& layer = tcp();
    return layer.buffered_to_send(m_index) < net::TcpLayer::kSendBufferBytes || layer.was_reset(m_index)
        || layer.state(m_index) == net::TcpState::Closed;
}

} // namespace wk::kernel::sys
