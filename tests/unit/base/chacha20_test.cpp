#include "base/chacha20.h"

#include <gtest/gtest.h>

#include <string>

namespace wk {
namespace {

std::string hex(const u8* bytes, usize length)
{
    static const char digits[] = "0123456789abcdef";
    std::string text;
    for (usize i = 0; i < length; ++i) {
        text += digits[bytes[i] >> 4];
        text += digits[bytes[i] & 15];
    }
    return text;
}

ChaCha20Key key_of(const u8 (&bytes)[32]) { return chacha20_key_from_bytes(bytes); }

// RFC 8439, 2.3.2: key 00..1f, nonce 00:00:00:09:00:00:00:4a:00:00:00:00, counter 1.
TEST(ChaCha20, BlockFunctionTestVector)
{
    u8 key_bytes[32];
    for (int i = 0; i < 32; ++i)
        key_bytes[i] = static_cast<u8>(i);
    const u32 nonce[3] = { 0x09000000, 0x4a000000, 0x00000000 };
    u8 out[64];
    chacha20_block(key_of(key_bytes), 1, nonce, out);
    EXPECT_EQ(hex(out, 64), "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
                            "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e");
}

// RFC 8439, A.1: test vectors #1 and #2 (an all-zero key and nonce, counters 0 and 1).
TEST(ChaCha20, ZeroKeyTestVectors)
{
    const u8 zero[32] {};
    const u32 nonce[3] = { 0, 0, 0 };
    u8 out[64];
    chacha20_block(key_of(zero), 0, nonce, out);
    EXPECT_EQ(hex(out, 64), "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
                            "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586");
    chacha20_block(key_of(zero), 1, nonce, out);
    EXPECT_EQ(hex(out, 64), "9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed"
                            "29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f");
}

// The RFC's 2.1.1 quarter round test: the block function is built from it.
TEST(ChaCha20, QuarterRoundTestVector)
{
    u32 state[4] = { 0x11111111, 0x01020304, 0x9b8d6f43, 0x01234567 };
    detail::quarter_round(state, 0, 1, 2, 3);
    EXPECT_EQ(state[0], 0xea2a92f4u);
    EXPECT_EQ(state[1], 0xcb1cf8ceu);
    EXPECT_EQ(state[2], 0x4581472eu);
    EXPECT_EQ(state[3], 0x5881c4bbu);
}

TEST(ChaCha20, GeneratorRekeysAndDependsOnWhatItAbsorbed)
{
    ChaCha20Generator a;
    ChaCha20Generator b;
    EXPECT_FALSE(a.seeded());
    const u8 seed_a[] = { 1, 2, 3 };
    const u8 seed_b[] = { 1, 2, 4 };
    a.absorb(seed_a, sizeof(seed_a));
    b.absorb(seed_b, sizeof(seed_b));
    EXPECT_TRUE(a.seeded());
    u8 first[100];
    u8 second[100];
    u8 other[100];
    a.generate(first, sizeof(first));
    a.generate(second, sizeof(second));
    b.generate(other, sizeof(other));
    // A new key after each request: the same length gives different bytes.
    EXPECT_NE(hex(first, 100), hex(second, 100));
    EXPECT_NE(hex(first, 100), hex(other, 100));
    // Deterministic for the same seed (what makes it testable; the kernel seeds it with entropy).
    ChaCha20Generator c;
    c.absorb(seed_a, sizeof(seed_a));
    u8 again[100];
    c.generate(again, sizeof(again));
    EXPECT_EQ(hex(first, 100), hex(again, 100));
}

} // namespace
} // namespace wk
