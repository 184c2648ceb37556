#pragma once

namespace wk {

// Defined once per environment: the kernel panics, the hosted build prints and aborts.
[[noreturn]] void assertion_failed(const char* expression, const char* file, int line);

} // namespace wk

#define WK_ASSERT(expr)                                                   \
    do {                                                                  \
        if (!(expr)) [[unlikely]]                                         \
            ::wk::assertion_failed(#expr, __FILE__, __LINE__);            \
    } while (0)

#define WK_UNREACHABLE() ::wk::assertion_failed("unreachable", __FILE__, __LINE__)
