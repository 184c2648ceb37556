#include <gtest/gtest.h>

#include <cctype>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernel/net/dns.h"

namespace wk::kernel::net::test {
namespace {

using Bytes = std::vector<u8>;

std::span<const char> name(const char* text) { return { text, std::strlen(text) }; }

// An answer to `query` (its question copied) with the records given as raw bytes.
Bytes answer(const Bytes& query, u8 rcode, u16 answers, const Bytes& records, u8 flags2 = 0x80)
{
    Bytes message = query;
    message[2] = static_cast<u8>(flags2 | 0x01);
    message[3] = static_cast<u8>(0x80 | rcode);
    store_be16(message.data() + 6, answers);
    message.insert(message.end(), records.begin(), records.end());
    return message;
}

Bytes query_for(const char* text, u16 id = 0x1234)
{
    Bytes out(kMaxDnsMessage);
    auto length = dns_build_query(id, name(text), out);
    EXPECT_TRUE(length);
    out.resize(length.value_or(0));
    return out;
}

// A record pointing at the question's name (offset 12): type, class IN, TTL 60, data.
Bytes record(u16 type, const Bytes& data)
{
    Bytes r { 0xC0, 12, static_cast<u8>(type >> 8), static_cast<u8>(type), 0, 1, 0, 0, 0, 60,
              static_cast<u8>(data.size() >> 8), static_cast<u8>(data.size()) };
    r.insert(r.end(), data.begin(), data.end());
    return r;
}

TEST(Dns, QueryLayout)
{
    Bytes query = query_for("example.com.");
    Bytes expected { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o',
                     'm', 0, 0, 1, 0, 1 };
    EXPECT_EQ(query, expected);
    Bytes out(kMaxDnsMessage);
    EXPECT_FALSE(dns_build_query(1, name(""), out));
    EXPECT_FALSE(dns_build_query(1, name("a..b"), out));
    EXPECT_FALSE(dns_build_query(1, name(".a"), out));
    EXPECT_FALSE(dns_build_query(1, name("bad name"), out));
    EXPECT_FALSE(dns_build_query(1, name(std::string(64, 'a').c_str()), out));
    EXPECT_TRUE(dns_build_query(1, name(std::string(63, 'a').c_str()), out));
    std::string long_name;
    while (long_name.size() < 260)
        long_name += "abcdefghi.";
    EXPECT_FALSE(dns_build_query(1, name(long_name.c_str()), out));
    Bytes small(10);
    EXPECT_EQ(dns_build_query(1, name("a.b"), small).error().kind(), ErrorKind::OutOfRange);
}

TEST(Dns, AnswersAfterACname)
{
    Bytes query = query_for("www.example.com");
    Bytes records = record(5, { 3, 'w', 'e', 'b', 0xC0, 12 });
    Bytes a = record(1, { 93, 184, 216, 34 });
    records.insert(records.end(), a.begin(), a.end());
    auto address = dns_parse_answer(query, answer(query, 0, 2, records));
    ASSERT_TRUE(address);
    EXPECT_EQ(*address, ipv4(93, 184, 216, 34));
}

TEST(Dns, ErrorsAreTold)
{
    Bytes query = query_for("nowhere.example");
    EXPECT_EQ(dns_parse_answer(query, answer(query, 3, 0, {})).error().kind(), ErrorKind::OutOfRange);
    EXPECT_EQ(dns_parse_answer(query, answer(query, 2, 0, {})).error().kind(), ErrorKind::Io);
    EXPECT_EQ(dns_parse_answer(query, answer(query, 0, 0, {})).error().kind(), ErrorKind::OutOfRange);
    EXPECT_EQ(dns_parse_answer(query_for("nowhere.example", 0x9999), answer(query, 0, 0, {})).error().kind(),
              ErrorKind::Invalid);
    EXPECT_EQ(dns_parse_answer(query, query).error().kind(), ErrorKind::Invalid); // a query, not a response
    EXPECT_EQ(dns_parse_answer(query, answer(query, 0, 0, {}, 0x82)).error().kind(), ErrorKind::Io); // TC
}

// RFC 5452: an answer counts only when its id and its one question are the query's, so that
// a spoofer must guess the name too; the name's case does not matter (RFC 4343).
TEST(Dns, OnlyTheAnswerToTheQuestionAsked)
{
    Bytes query = query_for("www.example.com");
    Bytes a = record(1, { 192, 0, 2, 7 });
    ASSERT_EQ(*dns_parse_answer(query, answer(query, 0, 1, a)), ipv4(192, 0, 2, 7));
    Bytes shouted = answer(query, 0, 1, a);
    for (usize i = 12; i < query.size() - 4; ++i)
        shouted[i] = static_cast<u8>(std::toupper(shouted[i]));
    ASSERT_EQ(*dns_parse_answer(query, shouted), ipv4(192, 0, 2, 7));
    // Another name of the same length, another type, another class, no question, two.
    Bytes other_name = answer(query_for("www.example.org"), 0, 1, a);
    EXPECT_EQ(dns_parse_answer(query, other_name).error().kind(), ErrorKind::Invalid);
    Bytes other_type = answer(query, 0, 1, a);
    other_type[query.size() - 3] = 28; // AAAA
    EXPECT_EQ(dns_parse_answer(query, other_type).error().kind(), ErrorKind::Invalid);
    Bytes other_class = answer(query, 0, 1, a);
    other_class[query.size() - 1] = 3; // CH
    EXPECT_EQ(dns_parse_answer(query, other_class).error().kind(), ErrorKind::Invalid);
    for (u16 questions : { 0, 2, 9 }) {
        Bytes counted = answer(query, 0, 1, a);
        store_be16(counted.data() + 4, questions);
        EXPECT_EQ(dns_parse_answer(query, counted).error().kind(), ErrorKind::Invalid) << questions;
    }
    // Cut inside the question, and an NXDOMAIN for another name (not ours to believe).
    Bytes cut = answer(query, 0, 0, {});
    cut.resize(query.size() - 2);
    EXPECT_EQ(dns_parse_answer(query, cut).error().kind(), ErrorKind::Invalid);
    EXPECT_EQ(dns_parse_answer(query, answer(query_for("www.example.org"), 3, 0, {})).error().kind(),
              ErrorKind::Invalid);
}

TEST(Dns, HostileAnswersAreMalformed)
{
    Bytes query = query_for("a.example");
    // A record whose data runs past the end, an A of 5 bytes, a pointer loop, a pointer past
    // the end, counts larger than the message, a header cut short.
    Bytes long_data = record(1, { 1, 2, 3, 4 });
    long_data[11] = 200;
    EXPECT_EQ(dns_parse_answer(query, answer(query, 0, 1, long_data)).error().kind(), ErrorKind::Malformed);
    EXPECT_EQ(dns_parse_answer(query, answer(query, 0, 1, record(1, { 1, 2, 3, 4, 5 }))).error().kind(),
              ErrorKind::Malformed);
    Bytes loop = answer(query, 0, 1, record(1, { 1, 2, 3, 4 }));
    usize record_at = query.size();
    loop[record_at + 1] = static_cast<u8>(record_at); // points at itself
    EXPECT_EQ(dns_parse_answer(query, loop).error().kind(), ErrorKind::Malformed);
    Bytes far = answer(query, 0, 1, record(1, { 1, 2, 3, 4 }));
    far[record_at] = 0xFF;
    EXPECT_EQ(dns_parse_answer(query, far).error().kind(), ErrorKind::Malformed);
    EXPECT_EQ(dns_parse_answer(query, answer(query, 0, 40, {})).error().kind(), ErrorKind::Malformed);
    EXPECT_EQ(dns_parse_answer(query, Bytes { 0x12, 0x34, 0x81 }).error().kind(), ErrorKind::Malformed);
    // Random mutations never read outside the message (ASan build) and never crash.
    Bytes good = answer(query, 0, 1, record(1, { 10, 0, 2, 2 }));
    ASSERT_EQ(*dns_parse_answer(query, good), ipv4(10, 0, 2, 2));
    std::mt19937 random(7);
    for (int i = 0; i < 20000; ++i) {
        Bytes m = good;
        for (int n = 1 + random() % 4; n > 0; --n)
            m[random() % m.size()] = static_cast<u8>(random());
        if (random() % 4 == 0)
            m.resize(random() % (m.size() + 1));
        (void)dns_parse_answer(query, m);
    }
}

} // namespace
} // namespace wk::kernel::net::test
