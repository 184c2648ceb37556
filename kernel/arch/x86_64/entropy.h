#pragma once

#include "base/span.h"
#include "base/types.h"

// Randomness (docs/boot-and-machine-state.md, "Randomness"). Hardware sources where the CPU has them, and a
// ChaCha20 generator (base/chacha20.h) for everything handed out.
namespace wk::kernel::x86_64 {

// CPUID.01H:ECX.RDRAND[bit 30], CPUID.(EAX=07H,ECX=0):EBX.RDSEED[bit 18].
bool has_rdrand();
bool has_rdseed();
// One value from RDRAND, retried up to 10 times as Intel's DRNG guide advises (a failure then
// means the generator is broken, not busy), or from RDSEED, retried up to 100 times with a
// pause between (it fails while its entropy source refills). False when the CPU lacks the
// instruction or every attempt failed.
bool rdrand64(u64& value);
bool rdseed64(u64& value);

// 64 bits for seeding before the heap exists (heap cookies, hash-table seeds): RDRAND when
// the CPU has it, mixed with the TSC. Not for cryptography on its own.
u64 boot_entropy();

// Fills `buffer` from the kernel's ChaCha20 generator. It is seeded on first use and
// reseeded after kReseedBytes of output or kReseedCycles TSC cycles, whichever comes first,
// from: RDSEED (else RDRAND) when present, TSC jitter (timings of CPUID and memory reads),
// and the CMOS clock's registers. With RDRAND present its output is also XORed into what
// is handed out. Each request ends by replacing the key (fast key erasure). Interrupts are
// off only while a chunk of at most kChunkBytes is made, so a huge request stays preemptible.
inline constexpr u64 kReseedBytes = u64 { 1 } << 20;
inline constexpr u64 kReseedCycles = u64 { 1 } << 34; // about 8 s at 2 GHz
inline constexpr usize kRandomChunkBytes = 4096;
void fill_random(Bytes buffer);

// Where the generator's seeds come from, for the log and tests.
struct RandomStatistics {
    bool rdseed { false };
    bool rdrand { false };
    u64 reseeds { 0 };
    u64 hardware_failures { 0 }; // RDSEED/RDRAND reads that failed after their retries
};
RandomStatistics random_statistics();
// Reseeds now; `use_hardware` false gathers only TSC jitter and the CMOS clock (what a CPU
// without RDRAND/RDSEED gives; tests use it).
void reseed_random(bool use_hardware = true);

} // namespace wk::kernel::x86_64
