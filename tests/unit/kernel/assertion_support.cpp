#include <cstdio>
#include <cstdlib>

#include "base/assert.h"

namespace wk {

void assertion_failed(const char* expression, const char* file, int line)
{
    std::fprintf(stderr, "assertion failed: %s at %s:%d\n", expression, file, line);
    std::abort();
}

} // namespace wk
