// Hosted (Linux) definitions of the environment hooks declared in base/. The kernel
// provides its own and must not link this file.
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <unistd.h>

#include "base/allocator.h"
#include "base/assert.h"
#include "base/hash.h"

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

// Seeds hash tables from the OS before main(); this file is always linked because
// every container reaches default_allocator().
const bool g_hash_tables_seeded = [] {
    u64 entropy = 0;
    if (getentropy(&entropy, sizeof(entropy)) != 0) {
        timespec now {};
        clock_gettime(CLOCK_MONOTONIC, &now);
        entropy = static_cast<u64>(now.tv_nsec) ^ (static_cast<u64>(now.tv_sec) << 32) ^ reinterpret_cast<uptr>(&now);
    }
    add_hash_entropy(entropy);
    return true;
}();

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
