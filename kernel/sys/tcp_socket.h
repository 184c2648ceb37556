#pragma once

#include "base/ref_ptr.h"
#include "base/types.h"
#include "engine/wasi/wasi_types.h"
#include "kernel/net/tcp.h"
#include "kernel/sys/stream.h"

namespace wk::kernel::sys {

// A TCP socket of the kernel's stack (kernel/net/tcp.h) behind a WASI descriptor
// (docs/networking.md, "Sockets for programs"): a listening socket, granted at spawn
// (`--tcplisten PORT`), or a connection its accept() made. Descriptors shared with children
// share the socket; the last reference closes it: a listener resets the connections nobody
// accepted, a connection sends FIN after what it still holds to send (RST when it was reset),
// so a killed process's peers see the end of their streams.
//
// Contract: read blocks until bytes, the peer's FIN (0) or a reset (ConnReset); write blocks
// until at least one byte is taken (Pipe once the connection can no longer send); accept
// blocks until a connection is established. A non-blocking socket returns Again instead;
// each returns Intr when the calling thread is being killed. Waiting is a 1 ms sleep between
// looks, the period of the net thread that moves the segments (no CPU is spun).
//
// NOTE: every use of the stack holds drivers::NetworkLock (interrupts off), so a socket may be
// dropped under the FsGuard (which disables interrupts too).
class TcpSocket final : public Stream, public RefCounted<TcpSocket> {
public:
    // Listens on `port` of the network interface. NetDown without a network, AddrInUse when
    // the port is listened on already, NFile when the stack's listeners are all in use,
    // NoMem.
    static engine::wasi::Expected<RefPtr<TcpSocket>> listen(u16 port, u16 backlog);
    // An outbound connection to IPv4 `address` (host order), `port`: waits for the handshake
    // (at most TcpLayer's SYN retries, about 31 s). NetDown without a network or an address,
    // Inval for a broadcast or multicast address, ConnRefused (RST), TimedOut, Intr (killed
    // while waiting; the half-open connection is dropped), NFile when kMaxOutbound outbound
    // connections exist or the stack's table is full, NoMem.
    static engine::wasi::Expected<RefPtr<TcpSocket>> connect(u32 address, u16 port);
    // Outbound connections at once, for every process: a sixth of the stack's table, so
    // that connect floods leave room for accepted connections (ab -c 32 and its TIME_WAITs).
    static constexpr usize kMaxOutbound = 8;
    static_assert(kMaxOutbound * 4 <= net::TcpLayer::kConnections);

    ~TcpSocket() override;
    void destroy() { delete this; }

    bool is_listener() const { return m_listener; }
    // The next connection (listeners only: NotSup otherwise), with `nonblocking` set on it.
    engine::wasi::Expected<RefPtr<TcpSocket>> accept(bool nonblocking);
    // sdflags: kWrite sends FIN (after what is buffered); either ends reading: the stack has no
    // half-open receive side for an owner that closed, so reads then return 0.
    void shutdown(u8 how);
    bool nonblocking() const { return m_nonblocking; }
    void set_nonblocking(bool on) { m_nonblocking = on; }

    engine::wasi::Expected<usize> read(Bytes) override;
    engine::wasi::Expected<usize> write(ReadonlyBytes) override;
    // Listener: a connection waits to be accepted. Connection: bytes, FIN or a reset.
    bool readable_now() override;
    // Connection: room in the send buffer, or the connection can no longer send (so that a
    // write reports it).
    bool writable() const override;

    // Sockets alive (tests and leak checks).
    static usize live_count();

private:
    TcpSocket(usize index, bool listener, bool outbound = false)
        : m_index(index)
        , m_listener(listener)
        , m_outbound(outbound)
    {
    }

    usize m_index;
    bool m_listener;
    bool m_outbound;
    bool m_nonblocking { false };
    bool m_closed { false }; // shut down: the stack's connection is no longer ours
};

} // namespace wk::kernel::sys
