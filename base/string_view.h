#pragma once

#include <string_view>

#include "base/types.h"

namespace wk {

using StringView = std::string_view;

// Length of a NUL-terminated string without calling into libc.
constexpr usize c_string_length(const char* string)
{
    usize length = 0;
    while (string[length] != '\0')
        ++length;
    return length;
}

} // namespace wk
