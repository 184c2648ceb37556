#pragma once

#include "base/types.h"

namespace wk::engine::runtime {

// Spectre v1 clamps for accesses the runtime makes in C++ (docs/baseline-compiler.md,
// "Speculation"). Every process's memories and tables sit in the one kernel address space,
// so a bounds check the CPU runs past speculatively could read or write another process's
// data. After its ordinary check, a host access computes its offsets and lengths through
// these: the values are kept when the range fits and become 0 when it does not, selected by
// conditional moves in inline assembly (an opaque instruction the compiler cannot turn back
// into the branch it already has). Under a mispredicted check the access is then an empty
// range at the start of the object.
//
// NOTE: these never replace the check; they only decide what a speculative access touches.

// ~0 when [offset, offset + length) lies inside [0, size) (no wrap), 0 otherwise.
inline u64 range_mask(u64 offset, u64 length, u64 size)
{
    u64 mask = ~u64 { 0 };
#if defined(__x86_64__)
    u64 end;
    asm("movq %[offset], %[end]\n\t"
                 "addq %[length], %[end]\n\t"
                 "cmovcq %[zero], %[mask]\n\t"
                 "cmpq %[size], %[end]\n\t"
                 "cmovaq %[zero], %[mask]"
                 : [mask] "+&r"(mask), [end] "=&r"(end)
                 : [offset] "r"(offset), [length] "r"(length), [size] "r"(size), [zero] "r"(u64 { 0 })
                 : "cc");
#else
    u64 end = offset + length;
    mask = (end >= offset && end <= size) ? mask : 0;
    // An opaque value: the compiler cannot fold it into a branch on the check.
    asm("" : "+r"(mask));
#endif
    return mask;
}

// ~0 when index < size, 0 otherwise.
inline u64 index_mask(u64 index, u64 size)
{
    u64 mask = ~u64 { 0 };
#if defined(__x86_64__)
    asm("cmpq %[size], %[index]\n\t"
                 "cmovaeq %[zero], %[mask]"
                 : [mask] "+&r"(mask)
                 : [index] "r"(index), [size] "r"(size), [zero] "r"(u64 { 0 })
                 : "cc");
#else
    mask = index < size ? mask : 0;
    asm("" : "+r"(mask));
#endif
    return mask;
}

// `index` when index < size, 0 otherwise (element 0 of a non-empty object; callers check
// first, so an empty object is never accessed architecturally).
inline u64 clamp_index(u64 index, u64 size) { return index & index_mask(index, size); }

// An [offset, offset + length) whose both ends are 0 unless it lies inside [0, size).
struct ClampedRange {
    u64 offset;
    u64 length;
};

inline ClampedRange clamp_range(u64 offset, u64 length, u64 size)
{
    u64 mask = range_mask(offset, length, size);
    return { offset & mask, length & mask };
}

} // namespace wk::engine::runtime
