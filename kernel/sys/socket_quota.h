#pragma once

#include "base/errno.h"
#include "base/types.h"
#include "kernel/net/interface.h"
#include "kernel/net/tcp.h"

namespace wk::kernel::sys {

// What one process may hold of the network stack (docs/networking.md, "Limits"), so that a
// process opening sockets until refused leaves the system's tables to the others. The stack's
// own bounds stay (48 connections, TcpSocket::kMaxOutbound outbound ones, UdpSocket's 4
// programs' datagram sockets) and are checked after these: past them the error is NFile.
//
// A socket counts once per descriptor slot of the process that holds it (a socket handed to a
// child counts for the child too), from before it is made (a connect waiting for its
// handshake holds its place) until the slot closes. Pure bookkeeping, no lock: the caller
// serialises (KernelWasiSystem under the FsGuard).
enum class SocketKind : u8 {
    Listener, // granted at spawn: no buffers of its own (its backlog is the stack's)
    Accepted,
    Outbound,
    Datagram,
};

class SocketQuota {
public:
    // Sockets of every kind; MFile beyond.
    static constexpr usize kMaxSockets = 44;
    // Outbound TCP connections: half the system's 8, so that one process cannot take them all.
    static constexpr usize kMaxOutbound = 4;
    // Datagram sockets: half the 4 that programs have in the system.
    static constexpr usize kMaxDatagram = 2;
    // Bytes of socket buffers (a TCP connection's receive and send rings, a UDP socket's
    // queue); NoBufs beyond. 40 connections: ab -c 32 on one httpd and room to spare, while 8
    // of the stack's 48 stay for the other processes.
    static constexpr usize kTcpBufferBytes = net::TcpLayer::kBufferBytes + net::TcpLayer::kSendBufferBytes;
    static constexpr usize kUdpBufferBytes = net::Interface::kUdpQueueDepth * net::kMaxUdpPayload;
    static constexpr usize kMaxBufferBytes = 40 * kTcpBufferBytes;

    static constexpr usize buffer_bytes(SocketKind kind)
    {
        switch (kind) {
        case SocketKind::Listener:
            return 0;
        case SocketKind::Datagram:
            return kUdpBufferBytes;
        case SocketKind::Accepted:
        case SocketKind::Outbound:
            return kTcpBufferBytes;
        }
        return 0;
    }

    // Counts one more socket of `kind`, or says why not: MFile (too many sockets, outbound
    // connections or datagram sockets), NoBufs (too many buffer bytes). Nothing is counted
    // on an error.
    Errno take(SocketKind kind)
    {
        if (m_sockets == kMaxSockets || (kind == SocketKind::Outbound && m_outbound == kMaxOutbound)
            || (kind == SocketKind::Datagram && m_datagram == kMaxDatagram))
            return Errno::MFile;
        if (m_buffer_bytes + buffer_bytes(kind) > kMaxBufferBytes)
            return Errno::NoBufs;
        ++m_sockets;
        m_outbound += kind == SocketKind::Outbound;
        m_datagram += kind == SocketKind::Datagram;
        m_buffer_bytes += buffer_bytes(kind);
        return Errno::Success;
    }

    // Gives back what a successful take(kind) counted.
    void give_back(SocketKind kind)
    {
        --m_sockets;
        m_outbound -= kind == SocketKind::Outbound;
        m_datagram -= kind == SocketKind::Datagram;
        m_buffer_bytes -= buffer_bytes(kind);
    }

    usize sockets() const { return m_sockets; }
    usize outbound() const { return m_outbound; }
    usize datagram() const { return m_datagram; }
    usize buffer_bytes() const { return m_buffer_bytes; }

private:
    usize m_sockets { 0 };
    usize m_outbound { 0 };
    usize m_datagram { 0 };
    usize m_buffer_bytes { 0 };
};

} // namespace wk::kernel::sys
