#pragma once

#include <atomic>

#include "base/string_view.h"
#include "base/types.h"

namespace wk {

// A 64-bit finaliser (xor-shift-multiply): every input bit affects every output bit.
constexpr u64 mix_u64(u64 value)
{
    value ^= value >> 33;
    value *= 0xff51afd7ed558ccdULL;
    value ^= value >> 33;
    value *= 0xc4ceb9fe1a85ec53ULL;
    value ^= value >> 33;
    return value;
}

constexpr u32 hash_u64(u64 value, u64 seed = 0)
{
    return static_cast<u32>(mix_u64(value ^ mix_u64(seed)));
}

// SipHash with `compression_rounds` and `finalization_rounds` (SipHash-c-d) over bytes,
// keyed by (k0, k1).
template<u32 compression_rounds, u32 finalization_rounds>
constexpr u64 siphash(StringView bytes, u64 k0, u64 k1)
{
    u64 v0 = k0 ^ 0x736f6d6570736575ULL;
    u64 v1 = k1 ^ 0x646f72616e646f6dULL;
    u64 v2 = k0 ^ 0x6c7967656e657261ULL;
    u64 v3 = k1 ^ 0x7465646279746573ULL;
    auto rotate = [](u64 x, u32 n) { return (x << n) | (x >> (64 - n)); };
    auto round = [&] {
        v0 += v1;
        v1 = rotate(v1, 13);
        v1 ^= v0;
        v0 = rotate(v0, 32);
        v2 += v3;
        v3 = rotate(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = rotate(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = rotate(v1, 17);
        v1 ^= v2;
        v2 = rotate(v2, 32);
    };
    auto compress = [&](u64 word) {
        v3 ^= word;
        for (u32 i = 0; i < compression_rounds; ++i)
            round();
        v0 ^= word;
    };

    usize full_words = bytes.size() / 8;
    for (usize w = 0; w < full_words; ++w) {
        u64 word = 0;
        for (usize i = 0; i < 8; ++i)
            word |= static_cast<u64>(static_cast<u8>(bytes[w * 8 + i])) << (8 * i);
        compress(word);
    }
    u64 last = static_cast<u64>(bytes.size() & 0xff) << 56;
    for (usize i = full_words * 8; i < bytes.size(); ++i)
        last |= static_cast<u64>(static_cast<u8>(bytes[i])) << (8 * (i - full_words * 8));
    compress(last);

    v2 ^= 0xff;
    for (u32 i = 0; i < finalization_rounds; ++i)
        round();
    return v0 ^ v1 ^ v2 ^ v3;
}

// Keyed, so that input crafted to collide needs the seed: hash tables indexed by
// untrusted names (module exports, WAT identifiers) stay linear-time.
constexpr u32 hash_bytes(StringView bytes, u64 seed = 0)
{
    return static_cast<u32>(siphash<1, 3>(bytes, seed, seed ^ 0x9e3779b97f4a7c15ULL));
}

namespace detail {
inline constinit std::atomic<u64> g_hash_seed_state { 0x2545f4914f6cdd1dULL };
} // namespace detail

// A fresh seed for one hash table. Deterministic until the environment has called
// add_hash_entropy(); tables seeded earlier keep their seed, so that call can come
// at any time.
inline u64 next_hash_seed()
{
    u64 state = detail::g_hash_seed_state.fetch_add(0x9e3779b97f4a7c15ULL, std::memory_order_relaxed);
    return mix_u64(state);
}

// Mixes entropy (from a hardware RNG, timer jitter, ...) into future table seeds.
inline void add_hash_entropy(u64 entropy)
{
    detail::g_hash_seed_state.fetch_xor(mix_u64(entropy), std::memory_order_relaxed);
}

} // namespace wk
