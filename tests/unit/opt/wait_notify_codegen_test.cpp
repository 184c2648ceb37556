// memory.atomic.wait32/wait64/notify in both tiers (engine/runtime/waiter.h): the results
// the spec gives (ok, not-equal, timed-out; notify's count), the traps in the spec's
// order (unaligned, out of bounds, unshared), and real threads blocked in wait that
// notify wakes, exactly `count` of them.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "engine/platform.h"
#include "engine/runtime/instance.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/memory.h"
#include "engine/text/wat.h"
#include "tests/unit/opt/codegen_harness.h"

namespace wk::engine::opt {

namespace {

const char* const kShared = R"((module (memory (export "memory") 1 1 shared)
  (func (export "wait32") (param i64 i64 i64) (result i64)
    (i64.extend_i32_u (memory.atomic.wait32 (i32.wrap_i64 (local.get 0)) (i32.wrap_i64 (local.get 1)) (local.get 2))))
  (func (export "wait64") (param i64 i64 i64) (result i64)
    (i64.extend_i32_u (memory.atomic.wait64 (i32.wrap_i64 (local.get 0)) (local.get 1) (local.get 2))))
  (func (export "wait32_off") (param i64 i64 i64) (result i64)
    (i64.extend_i32_u (memory.atomic.wait32 offset=65532 (i32.wrap_i64 (local.get 0)) (i32.wrap_i64 (local.get 1)) (local.get 2))))
  (func (export "notify") (param i64 i64) (result i64)
    (i64.extend_i32_u (memory.atomic.notify (i32.wrap_i64 (local.get 0)) (i32.wrap_i64 (local.get 1)))))
  (func (export "notify_off") (param i64 i64) (result i64)
    (i64.extend_i32_u (memory.atomic.notify offset=65532 (i32.wrap_i64 (local.get 0)) (i32.wrap_i64 (local.get 1)))))
  (func (export "store64") (param i64 i64) (result i64)
    (i64.atomic.store (i32.wrap_i64 (local.get 0)) (local.get 1)) (i64.const 0))
  ;; Values live across the call in registers the call clobbers.
  (func (export "press") (param i64 i64 i64) (result i64)
    (local $a i64) (local $b i64) (local $c i64)
    (local.set $a (i64.mul (local.get 0) (i64.const 3)))
    (local.set $b (i64.add (local.get 1) (i64.const 5)))
    (local.set $c (i64.xor (local.get 2) (i64.const 7)))
    (i64.add (i64.add (i64.add (local.get $a) (local.get $b)) (local.get $c))
      (i64.extend_i32_u (memory.atomic.wait32 (i32.wrap_i64 (local.get 0)) (i32.wrap_i64 (local.get 1)) (local.get 2))))))
)";

const char* const kUnshared = R"((module (memory 1 1)
  (func (export "wait32") (param i64 i64 i64) (result i64)
    (i64.extend_i32_u (memory.atomic.wait32 (i32.wrap_i64 (local.get 0)) (i32.wrap_i64 (local.get 1)) (local.get 2))))
  (func (export "wait64") (param i64 i64 i64) (result i64)
    (i64.extend_i32_u (memory.atomic.wait64 (i32.wrap_i64 (local.get 0)) (local.get 1) (local.get 2))))
  (func (export "notify") (param i64 i64) (result i64)
    (i64.extend_i32_u (memory.atomic.notify (i32.wrap_i64 (local.get 0)) (i32.wrap_i64 (local.get 1))))))
)";

// The waiting side on another instance's memory. NOTE: each thread gets an instance of its
// own: an instance's VMContext holds one stack limit, the last invoking thread's
// (engine/runtime/invoke.cpp), so threads sharing one instance could see each other's.
const char* const kImporter = R"((module (import "env" "memory" (memory 1 1 shared))
  (func (export "wait32") (param i64 i64 i64) (result i64)
    (i64.extend_i32_u (memory.atomic.wait32 (i32.wrap_i64 (local.get 0)) (i32.wrap_i64 (local.get 1)) (local.get 2))))
  (func (export "wait64") (param i64 i64 i64) (result i64)
    (i64.extend_i32_u (memory.atomic.wait64 (i32.wrap_i64 (local.get 0)) (local.get 1) (local.get 2))))))";

constexpr u64 kForever = ~u64 { 0 }; // -1 as an i64 timeout
constexpr u64 kInt64Max = 0x7FFF'FFFF'FFFF'FFFF;

struct TierCase {
    const char* name;
    bool optimized;
};
const TierCase kTiers[] = { { "baseline", false }, { "optimized", true } };

std::unique_ptr<TieredInstance> instantiate(const char* wat, bool optimized)
{
    auto tiered = instantiate_tiered(wat, optimized);
    if (tiered && optimized)
        EXPECT_EQ(tiered->statistics.optimized_functions, tiered->statistics.functions) << "a fallback to the baseline";
    return tiered;
}

runtime::Memory& memory_of(TieredInstance& tiered) { return *tiered.instance->memory(0); }

// Instances of kImporter on the memory of `primary`, in its store.
class Importers {
public:
    Importers(TieredInstance& primary, bool optimized)
        : m_primary(primary)
    {
        auto bytes = MUST(text::wat_to_wasm(StringView(kImporter, __builtin_strlen(kImporter))));
        compile::CompileOptions options;
        options.tier = optimized ? compile::Tier::Optimized : compile::Tier::Baseline;
        m_compiled = MUST(compile::load_and_compile(std::move(bytes), Features {}, options, nullptr));
    }
    std::unique_ptr<TieredInstance> make()
    {
        auto tiered = std::make_unique<TieredInstance>();
        tiered->store = m_primary.store;
        runtime::Linker linker;
        auto memory = m_primary.instance->get_export("memory");
        EXPECT_TRUE(memory.has_value());
        if (!memory || !linker.define("env", "memory", *memory))
            return nullptr;
        auto instance = m_primary.store->instantiate(*m_compiled.module, linker);
        EXPECT_FALSE(instance.is_error()) << instance.error().message();
        if (instance.is_error())
            return nullptr;
        tiered->instance = instance.release_value();
        return tiered;
    }

private:
    TieredInstance& m_primary;
    compile::CompiledModule m_compiled;
};

// Polls until `memory` has `count` waiters; false after 20 s (far above what it needs).
bool wait_for_waiters(runtime::Memory& memory, usize count)
{
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (memory.waiters().waiter_count() != count) {
        if (std::chrono::steady_clock::now() > give_up)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

} // namespace

TEST(WaitNotify, ResultsAndTrapsInEachTier)
{
    for (const TierCase& tier : kTiers) {
        SCOPED_TRACE(tier.name);
        auto shared = instantiate(kShared, tier.optimized);
        ASSERT_TRUE(shared);
        TieredInstance& s = *shared;
        EXPECT_EQ(run_text(s, "store64", { 8, 0x1'0000'0002 }), "0 ");
        // Not equal: 1, whatever the timeout.
        EXPECT_EQ(run_text(s, "wait32", { 8, 3, kForever }), "1 ");
        EXPECT_EQ(run_text(s, "wait64", { 8, 2, kForever }), "1 ");
        EXPECT_EQ(run_text(s, "wait64", { 8, 0x2'0000'0002, kForever }), "1 ");
        // Equal, timeout 0: timed out at once.
        EXPECT_EQ(run_text(s, "wait32", { 8, 2, 0 }), "2 ");
        EXPECT_EQ(run_text(s, "wait32", { 12, 1, 0 }), "2 ");
        EXPECT_EQ(run_text(s, "wait64", { 8, 0x1'0000'0002, 0 }), "2 ");
        // Equal, 20 ms: timed out, and not before the 20 ms passed.
        u64 start = platform::monotonic_nanoseconds();
        EXPECT_EQ(run_text(s, "wait64", { 8, 0x1'0000'0002, 20'000'000 }), "2 ");
        EXPECT_GE(platform::monotonic_nanoseconds() - start, u64 { 20'000'000 });
        start = platform::monotonic_nanoseconds();
        EXPECT_EQ(run_text(s, "press", { 16, 0, 5'000'000 }), std::to_string(16 * 3 + 5 + (5'000'000 ^ 7) + 2) + " ");
        EXPECT_GE(platform::monotonic_nanoseconds() - start, u64 { 5'000'000 });
        // Nobody waits: notify wakes 0, also for a huge count.
        EXPECT_EQ(run_text(s, "notify", { 8, 0xFFFF'FFFF }), "0 ");
        // Traps: alignment first, then bounds (the spec's order).
        EXPECT_EQ(run_text(s, "wait32", { 2, 0, 0 }), trap_text(TrapKind::UnalignedAtomic));
        EXPECT_EQ(run_text(s, "wait64", { 4, 0, 0 }), trap_text(TrapKind::UnalignedAtomic));
        EXPECT_EQ(run_text(s, "notify", { 1, 1 }), trap_text(TrapKind::UnalignedAtomic));
        EXPECT_EQ(run_text(s, "wait32", { 65536, 0, 0 }), trap_text(TrapKind::MemoryOutOfBounds));
        EXPECT_EQ(run_text(s, "wait64", { 65536, 0, 0 }), trap_text(TrapKind::MemoryOutOfBounds));
        EXPECT_EQ(run_text(s, "wait64", { 65528, 0, 0 }), "2 ");
        EXPECT_EQ(run_text(s, "wait64", { 65532, 0, 0 }), trap_text(TrapKind::UnalignedAtomic));
        EXPECT_EQ(run_text(s, "wait32", { 0xFFFF'FFFC, 0, 0 }), trap_text(TrapKind::MemoryOutOfBounds));
        EXPECT_EQ(run_text(s, "wait32", { 0xFFFF'FFFD, 0, 0 }), trap_text(TrapKind::UnalignedAtomic));
        EXPECT_EQ(run_text(s, "notify", { 65536, 1 }), trap_text(TrapKind::MemoryOutOfBounds));
        // address + offset: 65532 is the last word; 4 more is out of bounds, 65534 unaligned.
        EXPECT_EQ(run_text(s, "wait32_off", { 0, 1, 0 }), "1 ");
        EXPECT_EQ(run_text(s, "notify_off", { 0, 1 }), "0 ");
        EXPECT_EQ(run_text(s, "wait32_off", { 4, 1, 0 }), trap_text(TrapKind::MemoryOutOfBounds));
        EXPECT_EQ(run_text(s, "notify_off", { 0xFFFF'FFFC, 1 }), trap_text(TrapKind::MemoryOutOfBounds));
        EXPECT_EQ(run_text(s, "notify_off", { 2, 1 }), trap_text(TrapKind::UnalignedAtomic));
        EXPECT_EQ(memory_of(s).waiters().waiter_count(), 0u);

        // An unshared memory: wait traps after the address checks, notify returns 0.
        auto unshared = instantiate(kUnshared, tier.optimized);
        ASSERT_TRUE(unshared);
        TieredInstance& u = *unshared;
        EXPECT_EQ(run_text(u, "wait32", { 0, 0, 0 }), trap_text(TrapKind::ExpectedSharedMemory));
        EXPECT_EQ(run_text(u, "wait64", { 0, 1, kForever }), trap_text(TrapKind::ExpectedSharedMemory));
        EXPECT_EQ(run_text(u, "wait32", { 2, 0, 0 }), trap_text(TrapKind::UnalignedAtomic));
        EXPECT_EQ(run_text(u, "wait32", { 65536, 0, 0 }), trap_text(TrapKind::MemoryOutOfBounds));
        EXPECT_EQ(run_text(u, "notify", { 0, 5 }), "0 ");
        EXPECT_EQ(run_text(u, "notify", { 65536, 5 }), trap_text(TrapKind::MemoryOutOfBounds));
        EXPECT_EQ(run_text(u, "notify", { 3, 5 }), trap_text(TrapKind::UnalignedAtomic));
    }
}

// Threads blocked in wait (no timeout, and INT64_MAX ns): notify wakes exactly `count`
// of them, the others stay blocked until the next notify.
TEST(WaitNotify, NotifyWakesExactlyCountThreads)
{
    for (const TierCase& tier : kTiers) {
        SCOPED_TRACE(tier.name);
        auto shared = instantiate(kShared, tier.optimized);
        ASSERT_TRUE(shared);
        TieredInstance& s = *shared;
        runtime::Memory& memory = memory_of(s);
        constexpr u32 kThreads = 6;
        Importers factory(s, tier.optimized);
        std::vector<std::unique_ptr<TieredInstance>> own;
        for (u32 t = 0; t < kThreads; ++t) {
            own.push_back(factory.make());
            ASSERT_TRUE(own.back());
        }
        std::atomic<u32> returned { 0 };
        std::vector<std::string> results(kThreads);
        std::vector<std::thread> threads;
        for (u32 t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                u64 timeout = t % 2 ? kInt64Max : kForever;
                results[t] = run_text(*own[t], "wait32", { 64, 0, timeout });
                returned.fetch_add(1);
            });
        }
        ASSERT_TRUE(wait_for_waiters(memory, kThreads));
        // Another address wakes nobody.
        EXPECT_EQ(run_text(s, "notify", { 68, kThreads }), "0 ");
        EXPECT_EQ(run_text(s, "notify", { 64, 2 }), "2 ");
        EXPECT_TRUE(wait_for_waiters(memory, kThreads - 2));
        auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (returned.load() < 2 && std::chrono::steady_clock::now() < give_up)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        // Give a wrongly woken third thread time to show itself.
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        EXPECT_EQ(returned.load(), 2u);
        EXPECT_EQ(run_text(s, "notify", { 64, 0 }), "0 ");
        EXPECT_EQ(run_text(s, "notify", { 64, 0xFFFF'FFFF }), std::to_string(kThreads - 2) + " ");
        for (std::thread& thread : threads)
            thread.join();
        EXPECT_EQ(returned.load(), kThreads);
        for (const std::string& result : results)
            EXPECT_EQ(result, "0 ");
        EXPECT_EQ(memory.waiters().waiter_count(), 0u);
    }
}

// Many waiters on several addresses of one memory (records on their own stacks, so no
// limit): a notify wakes only its address's waiters, all of them for a count of 2^32-1.
TEST(WaitNotify, ManyWaitersOnSeveralAddresses)
{
    auto shared = instantiate(kShared, true);
    ASSERT_TRUE(shared);
    TieredInstance& s = *shared;
    constexpr u32 kAddresses = 8;
    constexpr u32 kPerAddress = 8;
    std::vector<std::string> results(kAddresses * kPerAddress);
    Importers factory(s, true);
    std::vector<std::unique_ptr<TieredInstance>> own;
    for (u32 t = 0; t < kAddresses * kPerAddress; ++t) {
        own.push_back(factory.make());
        ASSERT_TRUE(own.back());
    }
    std::vector<std::thread> threads;
    for (u32 t = 0; t < kAddresses * kPerAddress; ++t)
        threads.emplace_back([&, t] { results[t] = run_text(*own[t], "wait32", { 256 + 4 * (t % kAddresses), 0, kForever }); });
    bool all_queued = wait_for_waiters(memory_of(s), kAddresses * kPerAddress);
    EXPECT_TRUE(all_queued) << memory_of(s).waiters().waiter_count() << " queued";
    if (!all_queued) {
        for (u32 a = 0; a < kAddresses; ++a)
            run_text(s, "notify", { 256 + 4 * a, 0xFFFF'FFFF });
        for (std::thread& thread : threads)
            thread.join();
        for (u32 t = 0; t < results.size(); ++t)
            ADD_FAILURE() << "thread " << t << ": " << results[t];
        return;
    }
    for (u32 a = 0; a < kAddresses; ++a) {
        EXPECT_EQ(run_text(s, "notify", { 256 + 4 * a, 0xFFFF'FFFF }), std::to_string(kPerAddress) + " ");
        EXPECT_TRUE(wait_for_waiters(memory_of(s), (kAddresses - a - 1) * kPerAddress));
    }
    for (std::thread& thread : threads)
        thread.join();
    for (const std::string& result : results)
        EXPECT_EQ(result, "0 ");
}

// Rounds of sleep and wake-up: the waiter sleeps on the word's current value, the main
// thread stores the next one and notifies; every notify finds exactly the one waiter.
TEST(WaitNotify, RoundsOfWaitAndNotify)
{
    for (const TierCase& tier : kTiers) {
        SCOPED_TRACE(tier.name);
        auto shared = instantiate(kShared, tier.optimized);
        ASSERT_TRUE(shared);
        TieredInstance& s = *shared;
        constexpr u32 kRounds = 100;
        std::vector<std::string> results(kRounds);
        Importers factory(s, tier.optimized);
        auto own = factory.make();
        ASSERT_TRUE(own);
        std::thread waiter([&] {
            for (u32 round = 0; round < kRounds; ++round)
                results[round] = run_text(*own, "wait64", { 128, round, kForever });
        });
        u32 woken = 0;
        for (u32 round = 1; round <= kRounds; ++round) {
            if (!wait_for_waiters(memory_of(s), 1))
                break;
            EXPECT_EQ(run_text(s, "store64", { 128, round }), "0 ");
            woken += run_text(s, "notify", { 128, 1 }) == "1 ";
        }
        waiter.join();
        EXPECT_EQ(woken, kRounds);
        for (const std::string& result : results)
            EXPECT_EQ(result, "0 ");
        EXPECT_EQ(memory_of(s).waiters().waiter_count(), 0u);
    }
}

} // namespace wk::engine::opt
