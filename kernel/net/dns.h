#pragma once

#include <span>

#include "base/result.h"
#include "kernel/net/wire.h"

// The DNS messages of a stub resolver (RFC 1035): a recursive query for a name's IPv4 address
// (type A, class IN) and the parse of the answer. Pure code: the caller sends the query over
// UDP to the DHCP-given server and retries (kernel/sys/wasmkern_net.cpp). The answer is hostile
// input: every name, count and record length is checked against the message, compression
// pointers are followed at most kMaxPointers times, and anything that runs off the end is
// Malformed.
namespace wk::kernel::net {

inline constexpr u16 kDnsPort = 53;
inline constexpr usize kMaxDnsName = 253;  // characters, without a final dot
inline constexpr usize kMaxDnsMessage = 512; // over UDP without EDNS (RFC 1035, 4.2.1)

// A query for `name` (letters, digits, '-', '_', dots between labels of 1..63 characters; a
// final dot is allowed) with `id`, into `out`: its length. Invalid for a name that breaks
// those rules, OutOfRange when `out` is too small.
Result<usize> dns_build_query(u16 id, std::span<const char> name, std::span<u8> out);

// The first A record of the answer to `query` (a message dns_build_query made). Invalid: not
// an answer to it: another id, not a response, or a question section that is not exactly the
// query's one question (its name compared without regard to case, RFC 4343), so that a
// spoofer must guess the id and the source port (the caller's, random: RFC 5452) and the name;
// Io: the server failed (SERVFAIL, REFUSED, a truncated answer); OutOfRange: the name does not
// exist (NXDOMAIN) or has no IPv4 address; Malformed: the message breaks RFC 1035's layout.
Result<Ipv4Address> dns_parse_answer(std::span<const u8> query, std::span<const u8> message);

} // namespace wk::kernel::net
