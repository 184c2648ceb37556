#pragma once

#include <span>

#include "base/types.h"

// Byte-level helpers shared by the protocol layers: big-endian loads and stores, the Internet
// checksum (RFC 1071), MAC and IPv4 address values. Addresses are kept in host order as u32;
// they become big-endian only on the wire.
namespace wk::kernel::net {

struct MacAddress {
    u8 bytes[6] {};

    bool operator==(const MacAddress&) const = default;
    bool is_broadcast() const
    {
        for (u8 byte : bytes) {
            if (byte != 0xFF)
                return false;
        }
        return true;
    }
    bool is_multicast() const { return bytes[0] & 1; }
    static constexpr MacAddress broadcast() { return { { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF } }; }
};

using Ipv4Address = u32;

inline constexpr Ipv4Address kIpv4Broadcast = 0xFFFFFFFFu;

constexpr Ipv4Address ipv4(u8 a, u8 b, u8 c, u8 d) { return (u32(a) << 24) | (u32(b) << 16) | (u32(c) << 8) | d; }

inline u16 load_be16(const u8* at) { return static_cast<u16>((u16(at[0]) << 8) | at[1]); }
inline u32 load_be32(const u8* at) { return (u32(at[0]) << 24) | (u32(at[1]) << 16) | (u32(at[2]) << 8) | at[3]; }
inline void store_be16(u8* at, u16 value)
{
    at[0] = static_cast<u8>(value >> 8);
    at[1] = static_cast<u8>(value);
}
inline void store_be32(u8* at, u32 value)
{
    at[0] = static_cast<u8>(value >> 24);
    at[1] = static_cast<u8>(value >> 16);
    at[2] = static_cast<u8>(value >> 8);
    at[3] = static_cast<u8>(value);
}

// The one's-complement sum of `bytes` (as big-endian 16-bit words, an odd last byte padded
// with zero) added to `partial`, not yet folded or inverted. Sums of several parts (a
// pseudo-header and a segment) chain through `partial`.
u32 checksum_add(std::span<const u8> bytes, u32 partial = 0);
// Folds a partial sum to 16 bits and inverts it: the value to store in a checksum field. A
// block whose checksum field is correct sums (with checksum_finish) to 0.
u16 checksum_finish(u32 partial);
inline u16 internet_checksum(std::span<const u8> bytes) { return checksum_finish(checksum_add(bytes)); }
// The partial sum of the UDP/TCP pseudo-header (RFC 768): addresses, protocol and length.
u32 pseudo_header_sum(Ipv4Address source, Ipv4Address destination, u8 protocol, u16 length);

// "a.b.c.d" into `out` (at least 16 bytes); the length written.
usize format_ipv4(Ipv4Address address, char* out);
// Parses "a.b.c.d" (each part 0..255, no leading '+', nothing else): false when it is not one.
bool parse_ipv4(const char* text, usize length, Ipv4Address& out);

} // namespace wk::kernel::net
