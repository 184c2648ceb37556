#include "kernel/arch/x86_64/entropy.h"

#include "base/chacha20.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/debug/log.h"

namespace wk::kernel::x86_64 {

namespace {

constexpr int kRdrandRetries = 10;
constexpr int kRdseedRetries = 100;
constexpr int kJitterSamples = 128;

ChaCha20Generator g_generator;
u64 g_output_since_reseed;
u64 g_last_reseed_tsc;
RandomStatistics g_statistics;

// CMOS registers 0x00..0x09 (seconds to year), unprocessed: only their bits matter here.
void read_cmos(u8 (&out)[10])
{
    for (u8 index = 0; index < 10; ++index) {
        outb(0x70, index);
        out[index] = inb(0x71);
    }
}

// Timings of work whose duration varies with caches, the memory bus, interrupts and (in a
// virtual machine) the host: CPUID is serialising and traps to a hypervisor; the reads touch
// a stride of a buffer. The low bits of the differences are the entropy; all of it is absorbed.
void gather_jitter(u64 (&samples)[kJitterSamples])
{
    static volatile u8 buffer[4096 * 4];
    u64 previous = rdtsc();
    for (int i = 0; i < kJitterSamples; ++i) {
        (void)cpuid(0);
        for (usize offset = static_cast<usize>(previous & 63); offset < sizeof(buffer); offset += 4096 + 64)
            buffer[offset] = static_cast<u8>(buffer[offset] + 1);
        u64 now = rdtsc();
        samples[i] = (now - previous) ^ (now << 32);
        previous = now;
    }
}

void reseed_locked(bool use_hardware)
{
    u64 samples[kJitterSamples];
    gather_jitter(samples);
    g_generator.absorb(reinterpret_cast<const u8*>(samples), sizeof(samples));
    u8 cmos[10];
    read_cmos(cmos);
    g_generator.absorb(cmos, sizeof(cmos));
    if (use_hardware) {
        u64 hardware[4] {};
        usize got = 0;
        for (u64& value : hardware) {
            if (rdseed64(value) || rdrand64(value))
                ++got;
            else if (g_statistics.rdseed || g_statistics.rdrand)
                ++g_statistics.hardware_failures;
        }
        if (got > 0)
            g_generator.absorb(reinterpret_cast<const u8*>(hardware), got * sizeof(u64));
    }
    g_output_since_reseed = 0;
    g_last_reseed_tsc = rdtsc();
    ++g_statistics.reseeds;
}

} // namespace

bool has_rdrand() { return cpuid(1).ecx & (1u << 30); }

bool has_rdseed() { return cpuid(0).eax >= 7 && (cpuid(7, 0).ebx & (1u << 18)); }

bool rdrand64(u64& value)
{
    if (!has_rdrand())
        return false;
    for (int attempt = 0; attempt < kRdrandRetries; ++attempt) {
        unsigned char ok;
        asm volatile("rdrand %0; setc %1" : "=r"(value), "=qm"(ok));
        if (ok)
            return true;
    }
    return false;
}

bool rdseed64(u64& value)
{
    if (!has_rdseed())
        return false;
    for (int attempt = 0; attempt < kRdseedRetries; ++attempt) {
        unsigned char ok;
        asm volatile("rdseed %0; setc %1" : "=r"(value), "=qm"(ok));
        if (ok)
            return true;
        asm volatile("pause");
    }
    return false;
}

u64 boot_entropy()
{
    u64 value = rdtsc() * 0x9E3779B97F4A7C15ull;
    u64 random;
    if (rdrand64(random))
        value ^= random;
    return value ^ (rdtsc() << 29);
}

void fill_random(Bytes buffer)
{
    bool first = false;
    {
        InterruptDisabler guard;
        if (!g_generator.seeded()) {
            g_statistics.rdseed = has_rdseed();
            g_statistics.rdrand = has_rdrand();
            reseed_locked(true);
            first = true;
        }
    }
    // NOTE: at debug level: the first request comes from a program, whose output it would cut.
    if (first)
        debug::dbgln("random: ChaCha20 seeded from {}TSC jitter and the CMOS clock",
                     g_statistics.rdseed ? "RDSEED, " : g_statistics.rdrand ? "RDRAND, " : "");
    usize at = 0;
    while (at < buffer.size()) {
        usize count = buffer.size() - at < kRandomChunkBytes ? buffer.size() - at : kRandomChunkBytes;
        InterruptDisabler guard;
        if (g_output_since_reseed >= kReseedBytes || rdtsc() - g_last_reseed_tsc >= kReseedCycles)
            reseed_locked(true);
        g_generator.generate(buffer.data() + at, count);
        g_output_since_reseed += count;
        if (g_statistics.rdrand) {
            for (usize i = 0; i < count; i += 8) {
                u64 value;
                if (!rdrand64(value)) {
                    ++g_statistics.hardware_failures;
                    break; // the generator's output stands on its own
                }
                for (usize j = 0; j < 8 && i + j < count; ++j)
                    buffer[at + i + j] ^= static_cast<u8>(value >> (8 * j));
            }
        }
        at += count;
    }
}

RandomStatistics random_statistics()
{
    InterruptDisabler guard;
    return g_statistics;
}

void reseed_random(bool use_hardware)
{
    InterruptDisabler guard;
    reseed_locked(use_hardware);
}

} // namespace wk::kernel::x86_64
