#pragma once

#include <expected>
#include <utility>

#include "base/assert.h"
#include "base/error.h"

namespace wk {

// Result<T, E> is std::expected<T, E> that an E converts to implicitly, so that
// `return Error::malformed(...)` (or `return Errno::NoEnt;`) works in any function returning a
// Result, and TRY() passes the error on. E is Error (a message, a kind, an offset) everywhere
// except where a number is the ABI: the file system and WASI use Errno (base/errno.h).
template<typename T, typename E = Error>
class [[nodiscard]] Result : public std::expected<T, E> {
public:
    using Base = std::expected<T, E>;
    using Base::Base;

    constexpr Result(E error)
        : Base(std::unexpect, std::move(error))
    {
    }
    constexpr Result(const Result&) = default;
    constexpr Result(Result&&) = default;
    constexpr Result& operator=(const Result&) = default;
    constexpr Result& operator=(Result&&) = default;
    constexpr Result(Base&& other)
        : Base(std::move(other))
    {
    }

    constexpr bool is_error() const { return !this->has_value(); }
    // Takes the value out; the caller has checked that there is one.
    template<typename U = T>
        requires(!std::is_void_v<U>)
    constexpr U release_value()
    {
        return std::move(**this);
    }
};

} // namespace wk

// Evaluates a Result expression; on error returns the error from the enclosing
// function, otherwise yields the value (nothing for Result<void>).
#define TRY(expression)                                                   \
    ({                                                                    \
        auto&& _wk_try_result = (expression);                             \
        if (!_wk_try_result.has_value()) [[unlikely]]                     \
            return _wk_try_result.error();                                \
        ::wk::detail::take_value(std::move(_wk_try_result));              \
    })

// Evaluates a Result expression that cannot fail; an error is a bug and asserts.
#define MUST(expression)                                                  \
    ({                                                                    \
        auto&& _wk_must_result = (expression);                            \
        WK_ASSERT(_wk_must_result.has_value());                           \
        ::wk::detail::take_value(std::move(_wk_must_result));             \
    })

namespace wk::detail {

template<typename R>
constexpr decltype(auto) take_value(R&& result)
{
    if constexpr (std::is_void_v<typename std::remove_cvref_t<R>::value_type>)
        return;
    else
        return std::move(*result);
}

} // namespace wk::detail
