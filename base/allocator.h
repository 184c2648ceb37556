#pragma once

#include "base/types.h"

namespace wk {

// Where containers get their memory. allocate() returns nullptr when exhausted;
// containers turn that into Error::out_of_memory(). deallocate() receives the same
// size and alignment that allocate() was given.
class Allocator {
public:
    virtual void* allocate(usize size, usize alignment) = 0;
    virtual void deallocate(void* pointer, usize size, usize alignment) = 0;

protected:
    ~Allocator() = default;
};

// The environment's general-purpose allocator: the kernel heap in the kernel,
// malloc in the hosted build. Defined once per environment.
Allocator& default_allocator();

} // namespace wk
