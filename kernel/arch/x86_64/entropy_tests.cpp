#include "kernel/arch/x86_64/entropy.h"
#include "kernel/debug/ktest.h"

namespace wk::kernel::x86_64 {

namespace {

bool same(const u8* a, const u8* b, usize length)
{
    for (usize i = 0; i < length; ++i) {
        if (a[i] != b[i])
            return false;
    }
    return true;
}

} // namespace

KERNEL_TEST(entropy_requests_differ_and_look_balanced)
{
    u8 first[64];
    u8 second[64];
    fill_random(Bytes(first, sizeof(first)));
    fill_random(Bytes(second, sizeof(second)));
    KEXPECT(!same(first, second, sizeof(first)));
    // 64 KiB: 524288 bits, standard deviation of the count of ones about 362 bits; 1% is 14 of those.
    static u8 block[64 * 1024];
    fill_random(Bytes(block, sizeof(block)));
    u64 ones = 0;
    for (u8 byte : block)
        ones += static_cast<u64>(__builtin_popcount(byte));
    u64 half = sizeof(block) * 8 / 2;
    KEXPECT(ones > half - half / 100 && ones < half + half / 100);
}

KERNEL_TEST(entropy_reseeds_after_a_megabyte_and_without_hardware)
{
    u8 sample[32];
    fill_random(Bytes(sample, sizeof(sample)));
    u64 before = random_statistics().reseeds;
    static u8 block[64 * 1024];
    for (u64 done = 0; done <= kReseedBytes; done += sizeof(block))
        fill_random(Bytes(block, sizeof(block)));
    KEXPECT(random_statistics().reseeds > before);
    // The path a CPU without RDRAND/RDSEED takes: jitter and the clock only.
    u64 reseeds = random_statistics().reseeds;
    reseed_random(false);
    KEXPECT_EQ(random_statistics().reseeds, reseeds + 1);
    u8 after[32];
    fill_random(Bytes(after, sizeof(after)));
    KEXPECT(!same(sample, after, sizeof(sample)));
    auto statistics = random_statistics();
    debug::print("    sources: RDSEED {}, RDRAND {}; {} reseeds, {} hardware failures\n", statistics.rdseed,
                 statistics.rdrand, statistics.reseeds, statistics.hardware_failures);
}

} // namespace wk::kernel::x86_64
