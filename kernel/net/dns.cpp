#include "kernel/net/dns.h"

namespace wk::kernel::net {

namespace {

constexpr usize kHeader = 12;
constexpr u16 kTypeA = 1;
constexpr u16 kClassIn = 1;
constexpr u32 kMaxPointers = 16;

bool label_character(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// The offset just past the (possibly compressed) name at `at`, or nothing when it runs off the
// message, loops or is longer than a name may be.
Result<usize> skip_name(std::span<const u8> message, usize at)
{
    usize end = 0; // past the name in the record (set at the first pointer)
    usize length = 0;
    for (u32 pointers = 0;;) {
        if (at >= message.size())
            return Error::malformed("DNS name runs off the message");
        u8 label = message[at];
        if (label == 0)
            return end ? end : at + 1;
        if ((label & 0xC0) == 0xC0) {
            if (at + 1 >= message.size() || ++pointers > kMaxPointers)
                return Error::malformed("DNS name pointer past the message or looping");
            if (!end)
                end = at + 2;
            at = (usize(label & 0x3F) << 8) | message[at + 1];
            continue;
        }
        if (label & 0xC0)
            return Error::malformed("DNS label type unknown");
        length += label + 1;
        if (length > kMaxDnsName + 1)
            return Error::malformed("DNS name too long");
        at += 1 + label;
    }
}

u8 fold_case(u8 byte) { return byte >= 'A' && byte <= 'Z' ? static_cast<u8>(byte + ('a' - 'A')) : byte; }

// Whether the message's question section is the query's one question: the same name (label
// lengths are below 64, so folding letters leaves them alone), type and class. The query is
// ours, so its question runs from the header to its end.
bool same_question(std::span<const u8> query, std::span<const u8> message)
{
    if (query.size() <= kHeader || message.size() < query.size() || load_be16(message.data() + 4) != 1)
        return false;
    for (usize i = kHeader; i < query.size(); ++i) {
        if (fold_case(query[i]) != fold_case(message[i]))
            return false;
    }
    return true;
}

} // namespace

Result<usize> dns_build_query(u16 id, std::span<const char> name, std::span<u8> out)
{
    if (!name.empty() && name.back() == '.')
        name = name.first(name.size() - 1);
    if (name.empty() || name.size() > kMaxDnsName)
        return Error::from("DNS name empty or over 253 characters", ErrorKind::Invalid);
    usize needed = kHeader + name.size() + 2 + 4;
    if (out.size() < needed)
        return Error::from("DNS query buffer too small", ErrorKind::OutOfRange);
    for (usize i = 0; i < kHeader; ++i)
        out[i] = 0;
    store_be16(out.data(), id);
    out[2] = 0x01; // RD: recursion desired
    store_be16(out.data() + 4, 1); // one question
    usize at = kHeader;
    usize start = 0;
    for (usize i = 0; i <= name.size(); ++i) {
        if (i < name.size() && name[i] != '.') {
            if (!label_character(name[i]))
                return Error::from("DNS name has a character other than letters, digits, - and _", ErrorKind::Invalid);
            continue;
        }
        usize label = i - start;
        if (label == 0 || label > 63)
            return Error::from("DNS label empty or over 63 characters", ErrorKind::Invalid);
        out[at++] = static_cast<u8>(label);
        for (usize j = start; j < i; ++j)
            out[at++] = static_cast<u8>(name[j]);
        start = i + 1;
    }
    out[at++] = 0;
    store_be16(out.data() + at, kTypeA);
    store_be16(out.data() + at + 2, kClassIn);
    return at + 4;
}

Result<Ipv4Address> dns_parse_answer(std::span<const u8> query, std::span<const u8> message)
{
    if (message.size() < kHeader)
        return Error::malformed("DNS message shorter than its header");
    const u8* p = message.data();
    if (query.size() < kHeader || load_be16(p) != load_be16(query.data()) || !(p[2] & 0x80))
        return Error::from("not the answer to this DNS query", ErrorKind::Invalid);
    if (!same_question(query, message))
        return Error::from("DNS answer to another question", ErrorKind::Invalid);
    if (p[2] & 0x02)
        return Error::from("DNS answer truncated", ErrorKind::Io);
    u8 rcode = p[3] & 0x0F;
    if (rcode == 3)
        return Error::from("no such name", ErrorKind::OutOfRange);
    if (rcode != 0)
        return Error::from("DNS server failed", ErrorKind::Io);
    u16 answers = load_be16(p + 6);
    usize at = query.size(); // past the one question, the query's own
    for (u16 i = 0; i < answers; ++i) {
        at = TRY(skip_name(message, at));
        if (at + 10 > message.size())
            return Error::malformed("DNS record runs off the message");
        u16 type = load_be16(p + at);
        u16 klass = load_be16(p + at + 2);
        u16 length = load_be16(p + at + 8);
        at += 10;
        if (at + length > message.size())
            return Error::malformed("DNS record data runs off the message");
        if (type == kTypeA && klass == kClassIn) {
            if (length != 4)
                return Error::malformed("DNS A record not 4 bytes");
            return Ipv4Address { load_be32(p + at) };
        }
        at += length; // CNAMEs and others: the A record of the name they lead to follows
    }
    return Error::from("the name has no IPv4 address", ErrorKind::OutOfRange);
}

} // namespace wk::kernel::net
