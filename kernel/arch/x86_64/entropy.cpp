#include "kernel/arch/x86_64/entropy.h"

#include "kernel/arch/x86_64/cpu.h"

namespace wk::kernel::x86_64 {

namespace {

bool try_rdrand(u64& value)
{
    if (!(cpuid(1).ecx & (1u << 30)))
        return false;
    for (int attempt = 0; attempt < 10; ++attempt) {
        unsigned char ok;
        asm volatile("rdrand %0; setc %1" : "=r"(value), "=qm"(ok));
        if (ok)
            return true;
    }
    return false;
}

} // namespace

u64 boot_entropy()
{
    u64 value = rdtsc() * 0x9E3779B97F4A7C15ull;
    u64 random;
    if (try_rdrand(random))
        value ^= random;
    return value ^ (rdtsc() << 29);
}

} // namespace wk::kernel::x86_64
