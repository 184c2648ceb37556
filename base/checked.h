#pragma once

#include <concepts>
#include <optional>
#include <type_traits>
#include <utility>

#include "base/assert.h"
#include "base/types.h"

namespace wk {

template<typename T>
concept CheckedInteger = std::integral<T> && !std::same_as<std::remove_cv_t<T>, bool>;

// Each checked operation returns std::nullopt when the exact result does not fit in T.
template<CheckedInteger T>
[[nodiscard]] constexpr std::optional<T> checked_add(T a, T b)
{
    T result;
    if (__builtin_add_overflow(a, b, &result))
        return std::nullopt;
    return result;
}

template<CheckedInteger T>
[[nodiscard]] constexpr std::optional<T> checked_sub(T a, T b)
{
    T result;
    if (__builtin_sub_overflow(a, b, &result))
        return std::nullopt;
    return result;
}

template<CheckedInteger T>
[[nodiscard]] constexpr std::optional<T> checked_mul(T a, T b)
{
    T result;
    if (__builtin_mul_overflow(a, b, &result))
        return std::nullopt;
    return result;
}

// Converts between integer types; std::nullopt when the value is not representable in To.
template<CheckedInteger To, CheckedInteger From>
[[nodiscard]] constexpr std::optional<To> checked_cast(From value)
{
    if (!std::in_range<To>(value))
        return std::nullopt;
    return static_cast<To>(value);
}

template<std::unsigned_integral T>
[[nodiscard]] constexpr bool is_power_of_two(T value)
{
    return value != 0 && (value & (value - 1)) == 0;
}

// alignment must be a power of two.
template<std::unsigned_integral T>
[[nodiscard]] constexpr T align_down(T value, T alignment)
{
    WK_ASSERT(is_power_of_two(alignment));
    return value & ~(alignment - 1);
}

// alignment must be a power of two; std::nullopt when the aligned value does not fit in T.
template<std::unsigned_integral T>
[[nodiscard]] constexpr std::optional<T> checked_align_up(T value, T alignment)
{
    WK_ASSERT(is_power_of_two(alignment));
    auto bumped = checked_add<T>(value, alignment - 1);
    if (!bumped)
        return std::nullopt;
    return *bumped & ~(alignment - 1);
}

// For values known not to overflow (constants, sizes already bounded); asserts otherwise.
// Use checked_align_up for anything derived from untrusted input.
template<std::unsigned_integral T>
[[nodiscard]] constexpr T align_up(T value, T alignment)
{
    auto aligned = checked_align_up(value, alignment);
    WK_ASSERT(aligned.has_value());
    return *aligned;
}

template<std::unsigned_integral T>
[[nodiscard]] constexpr bool is_aligned(T value, T alignment)
{
    WK_ASSERT(is_power_of_two(alignment));
    return (value & (alignment - 1)) == 0;
}

} // namespace wk
