#pragma once

#include "base/types.h"

// The ChaCha20 block function of RFC 8439 (section 2.3), written from the RFC's description:
// 20 rounds over a 4x4 state of 32-bit words (constants, 256-bit key, 32-bit block counter,
// 96-bit nonce), the input added back, serialised little-endian. What the kernel's random
// generator is built on (kernel/arch/x86_64/entropy.h); tests/unit/base/chacha20_test.cpp
// checks it against the RFC's test vectors.
namespace wk {

struct ChaCha20Key {
    u32 words[8];
};

namespace detail {

constexpr u32 rotate_left(u32 value, int count) { return (value << count) | (value >> (32 - count)); }

constexpr void quarter_round(u32* state, int a, int b, int c, int d)
{
    state[a] += state[b];
    state[d] = rotate_left(state[d] ^ state[a], 16);
    state[c] += state[d];
    state[b] = rotate_left(state[b] ^ state[c], 12);
    state[a] += state[b];
    state[d] = rotate_left(state[d] ^ state[a], 8);
    state[c] += state[d];
    state[b] = rotate_left(state[b] ^ state[c], 7);
}

} // namespace detail

// Writes the 64-byte key-stream block number `counter` for `key` and `nonce` (three words, as
// the RFC reads them from bytes: little-endian).
constexpr void chacha20_block(const ChaCha20Key& key, u32 counter, const u32 (&nonce)[3], u8 (&out)[64])
{
    u32 input[16] = {
        0x61707865, 0x3320646e, 0x79622d32, 0x6b206574, // "expand 32-byte k"
        key.words[0], key.words[1], key.words[2], key.words[3],
        key.words[4], key.words[5], key.words[6], key.words[7],
        counter, nonce[0], nonce[1], nonce[2],
    };
    u32 state[16] {};
    for (int i = 0; i < 16; ++i)
        state[i] = input[i];
    for (int round = 0; round < 10; ++round) {
        detail::quarter_round(state, 0, 4, 8, 12); // columns
        detail::quarter_round(state, 1, 5, 9, 13);
        detail::quarter_round(state, 2, 6, 10, 14);
        detail::quarter_round(state, 3, 7, 11, 15);
        detail::quarter_round(state, 0, 5, 10, 15); // diagonals
        detail::quarter_round(state, 1, 6, 11, 12);
        detail::quarter_round(state, 2, 7, 8, 13);
        detail::quarter_round(state, 3, 4, 9, 14);
    }
    for (int i = 0; i < 16; ++i) {
        u32 word = state[i] + input[i];
        out[4 * i] = static_cast<u8>(word);
        out[4 * i + 1] = static_cast<u8>(word >> 8);
        out[4 * i + 2] = static_cast<u8>(word >> 16);
        out[4 * i + 3] = static_cast<u8>(word >> 24);
    }
}

// A key from 32 bytes, little-endian words (as the RFC reads a key).
constexpr ChaCha20Key chacha20_key_from_bytes(const u8* bytes)
{
    ChaCha20Key key {};
    for (int i = 0; i < 8; ++i)
        key.words[i] = static_cast<u32>(bytes[4 * i]) | static_cast<u32>(bytes[4 * i + 1]) << 8
                     | static_cast<u32>(bytes[4 * i + 2]) << 16 | static_cast<u32>(bytes[4 * i + 3]) << 24;
    return key;
}

// A generator with fast key erasure: each request's output comes from key-stream blocks, and
// the first 32 bytes of the next block become the key before the request returns, so a later
// capture of the state says nothing about output already given. absorb() mixes new entropy
// into the key. NOTE: not thread-safe; the caller serialises.
class ChaCha20Generator {
public:
    // Mixes `bytes` into the key: the key XOR the bytes (32 at a time, as a key) rekeyed through
    // one block, so the new key depends on the old key and every byte absorbed.
    void absorb(const u8* bytes, usize length)
    {
        while (length > 0) {
            u8 chunk[32] {};
            usize count = length < 32 ? length : 32;
            for (usize i = 0; i < count; ++i)
                chunk[i] = bytes[i];
            ChaCha20Key mixed = chacha20_key_from_bytes(chunk);
            for (int i = 0; i < 8; ++i)
                mixed.words[i] ^= m_key.words[i];
            const u32 domain[3] = { 0x6f736261, 0x00627261, static_cast<u32>(count) }; // "absorb"
            u8 block[64];
            chacha20_block(mixed, 0, domain, block);
            m_key = chacha20_key_from_bytes(block);
            bytes += count;
            length -= count;
        }
        m_seeded = true;
    }

    // Fills `out` from the key stream, then replaces the key.
    void generate(u8* out, usize length)
    {
        const u32 nonce[3] = { 0, 0, 0 };
        u32 counter = 1; // block 0 is the next key
        u8 block[64];
        while (length > 0) {
            chacha20_block(m_key, counter++, nonce, block);
            usize count = length < 64 ? length : 64;
            for (usize i = 0; i < count; ++i)
                out[i] = block[i];
            out += count;
            length -= count;
        }
        chacha20_block(m_key, 0, nonce, block);
        m_key = chacha20_key_from_bytes(block);
        for (u8& byte : block)
            byte = 0;
    }

    bool seeded() const { return m_seeded; }

private:
    ChaCha20Key m_key {};
    bool m_seeded { false };
};

} // namespace wk
