#pragma once

#include "base/ref_ptr.h"
#include "base/types.h"
#include "engine/wasi/wasi_system.h"
#include "kernel/sys/stream.h"

namespace wk::kernel::sys {

// A UDP socket of the kernel's stack (kernel/net/interface.h) behind a WASI descriptor, from
// wasmkern.udp_bind (docs/networking.md, "Outbound"). The last reference closes it (its queued
// datagrams go with it). As a stream, read is receive_from without the sender, and write
// needs a destination (DestAddrReq): programs use udp_send_to.
//
// Contract: receive_from blocks until a datagram is queued (Again when non-blocking, Intr when
// the thread is being killed), waiting in 1 ms sleeps like TcpSocket. Every use of the stack
// holds drivers::NetworkLock.
class UdpSocket final : public Stream, public RefCounted<UdpSocket> {
public:
    // Programs' UDP sockets at once in the system: half of the stack's 8, so that the
    // resolver and the console keep theirs.
    static constexpr usize kMaxProgramSockets = 4;

    // Bound to `port` (0: an ephemeral one from 49152 up). NetDown without a network,
    // AddrInUse for a port in use, NFile beyond kMaxProgramSockets or the stack's table, NoMem.
    static engine::wasi::Expected<RefPtr<UdpSocket>> bind(u16 port);

    ~UdpSocket() override;
    void destroy() { delete this; }

    // Inval for address 0, broadcast or multicast; MsgSize beyond 1472 bytes; NetUnreach
    // without a route (no address, no gateway).
    engine::wasi::Expected<usize> send_to(u32 address, u16 port, ReadonlyBytes data);
    engine::wasi::Expected<usize> receive_from(Bytes out, engine::wasi::WasiSystem::Datagram& from);
    bool nonblocking() const { return m_nonblocking; }
    void set_nonblocking(bool on) { m_nonblocking = on; }

    engine::wasi::Expected<usize> read(Bytes) override;
    engine::wasi::Expected<usize> write(ReadonlyBytes) override;
    bool readable_now() override;
    bool writable() const override { return true; }

private:
    explicit UdpSocket(usize index)
        : m_index(index)
    {
    }

    usize m_index;
    bool m_nonblocking { false };
};

} // namespace wk::kernel::sys
