#include "kernel/net/arp_cache.h"

namespace wk::kernel::net {

ArpCache::Entry* ArpCache::find(Ipv4Address address)
{
    for (auto& entry : m_entries) {
        if (entry.state != State::Free && entry.address == address)
            return &entry;
    }
    return nullptr;
}

const ArpCache::Entry* ArpCache::find(Ipv4Address address) const
{
    return const_cast<ArpCache*>(this)->find(address);
}

std::optional<MacAddress> ArpCache::lookup(Ipv4Address address, u64 now_ns) const
{
    const Entry* entry = find(address);
    if (!entry || entry->state != State::Resolved || now_ns - entry->updated_ns > kResolvedLifetimeNs)
        return std::nullopt;
    return entry->mac;
}

ArpCache::Entry& ArpCache::take_entry()
{
    Entry* oldest = &m_entries[0];
    for (auto& entry : m_entries) {
        if (entry.state == State::Free)
            return entry;
        if (entry.updated_ns < oldest->updated_ns)
            oldest = &entry;
    }
    ++m_evictions;
    if (oldest->pending_length)
        ++m_packets_dropped;
    oldest->state = State::Free;
    oldest->pending_length = 0;
    return *oldest;
}

std::span<const u8> ArpCache::update(Ipv4Address address, const MacAddress& mac, bool create, u64 now_ns)
{
    Entry* entry = find(address);
    if (!entry) {
        if (!create)
            return {};
        entry = &take_entry();
        entry->address = address;
        entry->pending_length = 0;
    }
    entry->state = State::Resolved;
    entry->mac = mac;
    entry->updated_ns = now_ns;
    entry->requests = 0;
    u16 length = entry->pending_length;
    entry->pending_length = 0;
    // NOTE: the span stays valid until the next call that changes the table; the caller
    // sends it at once.
    return { entry->pending, length };
}

bool ArpCache::hold(Ipv4Address address, std::span<const u8> packet, u64 now_ns)
{
    Entry* entry = find(address);
    bool fresh = false;
    if (!entry) {
        entry = &take_entry();
        entry->state = State::Resolving;
        entry->address = address;
        entry->updated_ns = now_ns;
        entry->requests = 1;
        entry->pending_length = 0;
        fresh = true;
    }
    if (entry->pending_length)
        ++m_packets_dropped;
    entry->pending_length = 0;
    if (packet.size() <= kMaxIpv4Packet) {
        __builtin_memcpy(entry->pending, packet.data(), packet.size());
        entry->pending_length = static_cast<u16>(packet.size());
    } else {
        ++m_packets_dropped;
    }
    return fresh;
}

usize ArpCache::used_entries() const
{
    usize count = 0;
    for (auto& entry : m_entries)
        count += entry.state != State::Free;
    return count;
}

} // namespace wk::kernel::net
