// Hosted (Linux) definitions of the environment hooks declared in base/. The kernel
// provides its own and must not link this file.
#include <cstdio>
#include <cstdlib>

#include "base/allocator.h"
#include "base/assert.h"

namespace wk {

namespace {

class MallocAllocator final : public Allocator {
public:
    void* allocate(usize size, usize alignment) override
    {
        // Never return nullptr for a zero-sized request: nullptr means exhaustion.
        if (size == 0)
            size = 1;
        if (alignment <= alignof(std::max_align_t))
            return std::malloc(size);
        if ((alignment & (alignment - 1)) != 0)
            return nullptr;
        usize rounded = (size + alignment - 1) & ~(alignment - 1);
        if (rounded < size)
            return nullptr;
        return std::aligned_alloc(alignment, rounded);
    }

    void deallocate(void* pointer, usize, usize) override { std::free(pointer); }
};

} // namespace

Allocator& default_allocator()
{
    static MallocAllocator allocator;
    return allocator;
}

void assertion_failed(const char* expression, const char* file, int line)
{
    std::fprintf(stderr, "ASSERTION FAILED: %s at %s:%d\n", expression, file, line);
    std::fflush(stderr);
    std::abort();
}

} // namespace wk
