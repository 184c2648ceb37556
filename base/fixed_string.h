#pragma once

#include "base/string_view.h"
#include "base/types.h"

namespace wk {

// Copies `text` into `destination` as a NUL-terminated string, cut to fit (the names shown in
// process and thread lists).
template<usize N>
constexpr void copy_truncated(char (&destination)[N], StringView text)
{
    static_assert(N > 0);
    usize length = text.size() < N - 1 ? text.size() : N - 1;
    for (usize i = 0; i < length; ++i)
        destination[i] = text[i];
    destination[length] = '\0';
}

} // namespace wk
