#include "kernel/net/wire.h"

namespace wk::kernel::net {

u32 checksum_add(std::span<const u8> bytes, u32 partial)
{
    // NOTE: a u64 accumulator cannot overflow for any frame (at most 2^48 words), so the
    // carries are folded once at the end.
    u64 sum = partial;
    usize i = 0;
    for (; i + 1 < bytes.size(); i += 2)
        sum += (u32(bytes[i]) << 8) | bytes[i + 1];
    if (i < bytes.size())
        sum += u32(bytes[i]) << 8;
    while (sum >> 32)
        sum = (sum & 0xFFFFFFFFu) + (sum >> 32);
    return static_cast<u32>(sum);
}

u16 checksum_finish(u32 partial)
{
    u64 sum = partial;
    while (sum >> 16)
        sum = (sum & 0xFFFF) + (sum >> 16);
    return static_cast<u16>(~sum & 0xFFFF);
}

u32 pseudo_header_sum(Ipv4Address source, Ipv4Address destination, u8 protocol, u16 length)
{
    u64 sum = (source >> 16) + (source & 0xFFFF) + (destination >> 16) + (destination & 0xFFFF) + protocol + length;
    while (sum >> 32)
        sum = (sum & 0xFFFFFFFFu) + (sum >> 32);
    return static_cast<u32>(sum);
}

usize format_ipv4(Ipv4Address address, char* out)
{
    usize length = 0;
    for (int shift = 24; shift >= 0; shift -= 8) {
        u32 part = (address >> shift) & 0xFF;
        if (part >= 100)
            out[length++] = static_cast<char>('0' + part / 100);
        if (part >= 10)
            out[length++] = static_cast<char>('0' + part / 10 % 10);
        out[length++] = static_cast<char>('0' + part % 10);
        if (shift > 0)
            out[length++] = '.';
    }
    out[length] = 0;
    return length;
}

bool parse_ipv4(const char* text, usize length, Ipv4Address& out)
{
    u32 address = 0;
    usize at = 0;
    for (int part = 0; part < 4; ++part) {
        if (part > 0) {
            if (at >= length || text[at] != '.')
                return false;
            ++at;
        }
        usize digits = 0;
        u32 value = 0;
        while (at < length && text[at] >= '0' && text[at] <= '9' && digits < 3) {
            value = value * 10 + u32(text[at] - '0');
            ++at;
            ++digits;
        }
        if (digits == 0 || value > 255)
            return false;
        address = (address << 8) | value;
    }
    if (at != length)
        return false;
    out = address;
    return true;
}

} // namespace wk::kernel::net
