#pragma once

#include <concepts>
#include <type_traits>

#include "base/hash.h"
#include "base/string_view.h"
#include "base/types.h"

namespace wk {

// Hashing and equality for hash-table keys. A specialisation provides
//   static u32 hash(const K&, u64 seed);  (or hash(const K&) when seeding makes no sense)
//   static bool equals(const K&, const K&);
// and may add overloads for other types it can look up by (e.g. String by StringView),
// which must hash equal values identically.
template<typename T>
struct Traits;

template<typename T>
    requires std::integral<T> || std::is_enum_v<T>
struct Traits<T> {
    static constexpr u32 hash(T value, u64 seed) { return hash_u64(static_cast<u64>(value), seed); }
    static constexpr bool equals(T a, T b) { return a == b; }
};

template<typename T>
struct Traits<T*> {
    static u32 hash(const T* value, u64 seed) { return hash_u64(reinterpret_cast<uptr>(value), seed); }
    static bool equals(const T* a, const T* b) { return a == b; }
};

template<>
struct Traits<StringView> {
    static constexpr u32 hash(StringView value, u64 seed) { return hash_bytes(value, seed); }
    static constexpr bool equals(StringView a, StringView b) { return a == b; }
};

} // namespace wk
