#include "engine/x64/cpu_features.h"

namespace wk::engine::x64 {

namespace {

struct CpuidResult {
    u32 eax, ebx, ecx, edx;
};

CpuidResult cpuid(u32 leaf, u32 subleaf = 0)
{
    CpuidResult r {};
    asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
    return r;
}

CpuFeatures detect()
{
    CpuFeatures features;
    u32 max_leaf = cpuid(0).eax;
    CpuidResult leaf1 = cpuid(1);
    // AVX needs the OS to save the YMM state: OSXSAVE set and XCR0 bits 1 (SSE) and 2 (AVX).
    bool osxsave = (leaf1.ecx >> 27) & 1;
    if (osxsave && ((leaf1.ecx >> 28) & 1)) {
        u32 xcr0_low, xcr0_high;
        asm volatile("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
        features.avx = (xcr0_low & 6) == 6;
    }
    if (max_leaf >= 7) {
        CpuidResult leaf7 = cpuid(7);
        features.bmi1 = (leaf7.ebx >> 3) & 1;
        features.bmi2 = (leaf7.ebx >> 8) & 1;
    }
    if (cpuid(0x8000'0000).eax >= 0x8000'0001)
        features.lzcnt = (cpuid(0x8000'0001).ecx >> 5) & 1;
    return features;
}

} // namespace

namespace {
// NOTE: no function-local static (the kernel is built without thread-safe statics): a
// race between two first callers only computes the same answer twice.
CpuFeatures g_features;
bool g_detected = false;
} // namespace

CpuFeatures const& cpu_features()
{
    if (!__atomic_load_n(&g_detected, __ATOMIC_ACQUIRE)) {
        g_features = detect();
        __atomic_store_n(&g_detected, true, __ATOMIC_RELEASE);
    }
    return g_features;
}

} // namespace wk::engine::x64
