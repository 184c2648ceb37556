// What the compiler expects of a freestanding C++ environment: the mem* functions, new/delete
// on the kernel heap, and the hooks for pure virtual calls and static guards.
#include <bits/functexcept.h>
#include <new>

#include "base/allocator.h"
#include "kernel/debug/panic.h"
#include "kernel/mm/memory.h"

extern "C" {

// NOTE: plain 8-byte moves rather than `rep movsb`/`rep stosb`: QEMU's software emulation, where
// the OS runs in tests and `make run`, executes a rep-prefixed string instruction one element
// per step (tens of nanoseconds a byte), while it translates ordinary moves into host moves. On
// hardware this loop is within a small factor of the fast string instructions. They use general
// registers only: they run before the vector state is enabled (global constructors).
namespace {
using UnalignedWord = wk::u64 __attribute__((aligned(1), may_alias));
}

__attribute__((target("general-regs-only"))) void* memcpy(void* destination, const void* source,
                                                         wk::usize count)
{
    auto* d = static_cast<unsigned char*>(destination);
    auto* s = static_cast<const unsigned char*>(source);
    for (; count >= 32; count -= 32, d += 32, s += 32) {
        wk::u64 a = reinterpret_cast<const UnalignedWord*>(s)[0];
        wk::u64 b = reinterpret_cast<const UnalignedWord*>(s)[1];
        wk::u64 c = reinterpret_cast<const UnalignedWord*>(s)[2];
        wk::u64 e = reinterpret_cast<const UnalignedWord*>(s)[3];
        reinterpret_cast<UnalignedWord*>(d)[0] = a;
        reinterpret_cast<UnalignedWord*>(d)[1] = b;
        reinterpret_cast<UnalignedWord*>(d)[2] = c;
        reinterpret_cast<UnalignedWord*>(d)[3] = e;
    }
    for (; count >= 8; count -= 8, d += 8, s += 8)
        *reinterpret_cast<UnalignedWord*>(d) = *reinterpret_cast<const UnalignedWord*>(s);
    for (; count > 0; --count)
        *d++ = *s++;
    return destination;
}

__attribute__((target("general-regs-only"))) void* memset(void* destination, int value, wk::usize count)
{
    auto* d = static_cast<unsigned char*>(destination);
    wk::u64 word = 0x0101010101010101ull * static_cast<unsigned char>(value);
    for (; count >= 32; count -= 32, d += 32) {
        reinterpret_cast<UnalignedWord*>(d)[0] = word;
        reinterpret_cast<UnalignedWord*>(d)[1] = word;
        reinterpret_cast<UnalignedWord*>(d)[2] = word;
        reinterpret_cast<UnalignedWord*>(d)[3] = word;
    }
    for (; count >= 8; count -= 8, d += 8)
        *reinterpret_cast<UnalignedWord*>(d) = word;
    for (; count > 0; --count)
        *d++ = static_cast<unsigned char>(value);
    return destination;
}

void* memmove(void* destination, const void* source, wk::usize count)
{
    auto* d = static_cast<unsigned char*>(destination);
    auto* s = static_cast<const unsigned char*>(source);
    if (d == s || count == 0)
        return destination;
    if (d < s || d >= s + count)
        return memcpy(destination, source, count);
    while (count--)
        d[count] = s[count];
    return destination;
}

int memcmp(const void* a, const void* b, wk::usize count)
{
    auto* x = static_cast<const unsigned char*>(a);
    auto* y = static_cast<const unsigned char*>(b);
    for (wk::usize i = 0; i < count; ++i) {
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    }
    return 0;
}

wk::usize strlen(const char* text)
{
    wk::usize length = 0;
    while (text[length])
        ++length;
    return length;
}

void* memchr(const void* haystack, int value, wk::usize count)
{
    auto* bytes = static_cast<const unsigned char*>(haystack);
    for (wk::usize i = 0; i < count; ++i) {
        if (bytes[i] == static_cast<unsigned char>(value))
            return const_cast<unsigned char*>(bytes + i);
    }
    return nullptr;
}

void __cxa_pure_virtual() { wk::kernel::debug::panic("pure virtual function called"); }

int __cxa_atexit(void (*)(void*), void*, void*) { return 0; } // the kernel never exits
void* __dso_handle = nullptr;

} // extern "C"

// Header-only std code reports misuse (substr past the end, empty optional) through these.
// There are no exceptions in the kernel: misuse is a bug.
namespace std {
void __throw_out_of_range_fmt(const char* message, ...) { wk::kernel::debug::panic("std: {}", message); }
void __throw_out_of_range(const char* message) { wk::kernel::debug::panic("std: {}", message); }
void __throw_length_error(const char* message) { wk::kernel::debug::panic("std: {}", message); }
void __throw_logic_error(const char* message) { wk::kernel::debug::panic("std: {}", message); }
void __throw_invalid_argument(const char* message) { wk::kernel::debug::panic("std: {}", message); }
void __throw_bad_variant_access(const char* message) { wk::kernel::debug::panic("std: {}", message); }
void __throw_bad_function_call() { wk::kernel::debug::panic("std: bad function call"); }
} // namespace std

namespace {

void* allocate_or_panic(wk::usize size, wk::usize alignment)
{
    auto result = wk::kernel::mm::try_allocate(size == 0 ? 1 : size, alignment);
    if (!result)
        wk::kernel::debug::panic("kernel heap: cannot allocate {} bytes: {}", size, result.error().message());
    return *result;
}

void free_or_panic(void* pointer)
{
    if (!pointer)
        return;
    if (auto result = wk::kernel::mm::try_free(pointer); !result)
        wk::kernel::debug::panic("kernel heap: bad free of {}: {}", pointer, result.error().message());
}

class KernelHeapAllocator final : public wk::Allocator {
public:
    void* allocate(wk::usize size, wk::usize alignment) override
    {
        auto result = wk::kernel::mm::try_allocate(size == 0 ? 1 : size, alignment);
        return result ? *result : nullptr;
    }
    void deallocate(void* pointer, wk::usize, wk::usize) override { free_or_panic(pointer); }
};

constinit KernelHeapAllocator g_kernel_allocator;

} // namespace

namespace wk {
Allocator& default_allocator() { return g_kernel_allocator; }
} // namespace wk

namespace std {
const nothrow_t nothrow {};
}

void* operator new(wk::usize size, const std::nothrow_t&) noexcept
{
    auto result = wk::kernel::mm::try_allocate(size == 0 ? 1 : size, 16);
    return result ? *result : nullptr;
}
void* operator new[](wk::usize size, const std::nothrow_t& tag) noexcept { return operator new(size, tag); }

void* operator new(wk::usize size) { return allocate_or_panic(size, 16); }
void* operator new[](wk::usize size) { return allocate_or_panic(size, 16); }
void* operator new(wk::usize size, std::align_val_t alignment) { return allocate_or_panic(size, static_cast<wk::usize>(alignment)); }
void* operator new[](wk::usize size, std::align_val_t alignment) { return allocate_or_panic(size, static_cast<wk::usize>(alignment)); }
void operator delete(void* pointer) noexcept { free_or_panic(pointer); }
void operator delete[](void* pointer) noexcept { free_or_panic(pointer); }
void operator delete(void* pointer, wk::usize) noexcept { free_or_panic(pointer); }
void operator delete[](void* pointer, wk::usize) noexcept { free_or_panic(pointer); }
void operator delete(void* pointer, std::align_val_t) noexcept { free_or_panic(pointer); }
void operator delete[](void* pointer, std::align_val_t) noexcept { free_or_panic(pointer); }
void operator delete(void* pointer, wk::usize, std::align_val_t) noexcept { free_or_panic(pointer); }
void operator delete[](void* pointer, wk::usize, std::align_val_t) noexcept { free_or_panic(pointer); }
