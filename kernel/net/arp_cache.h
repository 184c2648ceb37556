#pragma once

#include <optional>
#include <span>

#include "kernel/net/wire.h"

// The neighbour table (RFC 826): IPv4 address -> MAC address, bounded in size and age. An
// address being resolved holds at most one IPv4 packet waiting for the answer (the newest: an
// older one is dropped and counted), so a flood of sends to silent addresses costs at most
// kEntries packets of memory.
namespace wk::kernel::net {

inline constexpr usize kMaxIpv4Packet = 1500; // the Ethernet MTU

class ArpCache {
public:
    static constexpr usize kEntries = 16;
    static constexpr u64 kResolvedLifetimeNs = 60'000'000'000ull;
    static constexpr u64 kRequestIntervalNs = 1'000'000'000ull;
    static constexpr u32 kMaxRequests = 3;

    enum class State : u8 { Free, Resolving, Resolved };

    struct Entry {
        State state { State::Free };
        Ipv4Address address { 0 };
        MacAddress mac;
        u64 updated_ns { 0 };      // when resolved, or when the last request went out
        u32 requests { 0 };        // requests sent while resolving
        u16 pending_length { 0 };  // 0: no packet waits
        u8 pending[kMaxIpv4Packet] {};
    };

    std::optional<MacAddress> lookup(Ipv4Address address, u64 now_ns) const;
    // Records what an ARP packet said (only for addresses already in the table unless
    // `create`). Returns the packet that waited for this address, if any, to be sent now.
    std::span<const u8> update(Ipv4Address address, const MacAddress& mac, bool create, u64 now_ns);
    // Starts (or continues) resolving `address` and keeps `packet` to send once it resolves.
    // True when a request should go out now (a new entry). `packet` larger than
    // kMaxIpv4Packet is not kept.
    bool hold(Ipv4Address address, std::span<const u8> packet, u64 now_ns);
    // Ages the table: resolved entries past their lifetime and resolutions that got no answer
    // after kMaxRequests requests are freed (their packet dropped). Calls `request(address)`
    // for each resolution due for another request.
    template<typename Request>
    void expire(u64 now_ns, Request request)
    {
        for (auto& entry : m_entries) {
            if (entry.state == State::Resolved && now_ns - entry.updated_ns > kResolvedLifetimeNs) {
                entry.state = State::Free;
                ++m_expired;
            } else if (entry.state == State::Resolving && now_ns - entry.updated_ns >= kRequestIntervalNs) {
                if (entry.requests >= kMaxRequests) {
                    if (entry.pending_length)
                        ++m_packets_dropped;
                    entry.state = State::Free;
                    entry.pending_length = 0;
                    ++m_unresolved;
                    continue;
                }
                ++entry.requests;
                entry.updated_ns = now_ns;
                request(entry.address);
            }
        }
    }

    usize used_entries() const;
    u64 evictions() const { return m_evictions; }
    u64 expired() const { return m_expired; }
    u64 unresolved() const { return m_unresolved; }
    u64 packets_dropped() const { return m_packets_dropped; }
    std::span<const Entry> entries() const { return m_entries; }

private:
    Entry* find(Ipv4Address address);
    const Entry* find(Ipv4Address address) const;
    // A free entry, or the least recently updated one (evicted; its packet dropped).
    Entry& take_entry();

    Entry m_entries[kEntries];
    u64 m_evictions { 0 };
    u64 m_expired { 0 };
    u64 m_unresolved { 0 };
    u64 m_packets_dropped { 0 };
};

} // namespace wk::kernel::net
