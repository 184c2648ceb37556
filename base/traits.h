#pragma once

#include <concepts>
#include <type_traits>

#include "base/string_view.h"
#include "base/types.h"

namespace wk {

// Hashing and equality for hash-table keys. A specialisation provides
//   static u32 hash(const K&);  static bool equals(const K&, const K&);
// and may add overloads for other types it can look up by (e.g. String by StringView),
// which must hash equal values identically.
template<typename T>
struct Traits;

// A 64-bit finaliser (xor-shift-multiply) so that keys differing only in high or low
// bits spread over the whole table.
constexpr u32 hash_u64(u64 value)
{
    value ^= value >> 33;
    value *= 0xff51afd7ed558ccdULL;
    value ^= value >> 33;
    value *= 0xc4ceb9fe1a85ec53ULL;
    value ^= value >> 33;
    return static_cast<u32>(value);
}

// FNV-1a over the bytes. Not keyed: tables indexed by untrusted strings bound their size.
constexpr u32 hash_bytes(StringView bytes)
{
    u32 hash = 2166136261u;
    for (char c : bytes) {
        hash ^= static_cast<u8>(c);
        hash *= 16777619u;
    }
    return hash;
}

template<typename T>
    requires std::integral<T> || std::is_enum_v<T>
struct Traits<T> {
    static constexpr u32 hash(T value) { return hash_u64(static_cast<u64>(value)); }
    static constexpr bool equals(T a, T b) { return a == b; }
};

template<typename T>
struct Traits<T*> {
    static u32 hash(const T* value) { return hash_u64(reinterpret_cast<uptr>(value)); }
    static bool equals(const T* a, const T* b) { return a == b; }
};

template<>
struct Traits<StringView> {
    static constexpr u32 hash(StringView value) { return hash_bytes(value); }
    static constexpr bool equals(StringView a, StringView b) { return a == b; }
};

} // namespace wk
