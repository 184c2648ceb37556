// Scheduling of OSR entries in background mode (engine/compile/tier_up.h,
// docs/optimizing-compiler.md "On-stack replacement"): a loop whose entry stays queued
// (the background thread busy or not running) makes the entry itself after
// kOsrStealAsks asks, so that it does not run in the baseline for as long as the
// thread is away. Asserted through the tier-up counts, never by time: the worker is held.

#include <gtest/gtest.h>

#include <ctime>

#include "engine/compile/compiled_module.h"
#include "engine/compile/tier_up.h"
#include "tests/unit/compile/session.h"

using namespace wk;
using namespace wk::engine;
using test_session::wait_idle;
using runtime::VMVal;
using Session = test_session::TierSession;
using test_session::call;
using test_session::instantiate;

namespace {

const char* const kSum = R"wat((module
    (func (export "sum") (param $n i32) (result i64) (local $i i32) (local $s i64)
        loop $l
            local.get $s i64.const 3 i64.mul local.get $i i64.extend_i32_u i64.xor local.set $s
            local.get $i i32.const 1 i32.add local.tee $i
            local.get $n i32.lt_u
            br_if $l
        end
        local.get $s)))wat";

compile::CompileOptions background(i32 threshold)
{
    compile::CompileOptions options;
    options.tier = compile::Tier::Tiered;
    options.tier_up_threshold = threshold;
    options.tier_up_synchronous = false;
    return options;
}

struct HeldRun {
    u64 got { 0 };
    u64 want { 0 };
    compile::TierUpCounts held; // the counts before the worker was released
    compile::TierUpCounts after;
};

// `sum(n)` with the background thread held for the whole call, then released.
HeldRun run_held(i32 n)
{
    HeldRun run;
    Session tiered;
    instantiate(tiered, kSum, background(100));
    Session baseline;
    compile::CompileOptions plain;
    plain.tier = compile::Tier::Baseline;
    instantiate(baseline, kSum, plain);
    EXPECT_TRUE(tiered.instance && baseline.instance);
    if (!tiered.instance || !baseline.instance)
        return run;
    auto& manager = *static_cast<compile::TierUpManager*>(tiered.compiled.module->tier_up());
    manager.hold_worker(true);
    auto got = call(*tiered.instance, "sum", { VMVal::from_i32(n) });
    auto want = call(*baseline.instance, "sum", { VMVal::from_i32(n) });
    EXPECT_FALSE(got.trap);
    EXPECT_FALSE(want.trap);
    run.got = got.results[0].u64_value();
    run.want = want.results[0].u64_value();
    run.held = compile::tier_up_counts(*tiered.compiled.module);
    manager.hold_worker(false);
    EXPECT_TRUE(wait_idle(manager));
    run.after = compile::tier_up_counts(*tiered.compiled.module);
    return run;
}

} // namespace

// 100,000 iterations, asking every 100: the entry waits in the queue of a held worker
// for 32 asks, then the loop's own thread compiles it and enters; the whole function
// stays queued for the worker.
TEST(OsrSchedule, LoopMakesItsQueuedEntryItselfWhenTheWorkerDoesNotRun)
{
    HeldRun run = run_held(100'000);
    EXPECT_EQ(run.got, run.want);
    EXPECT_EQ(run.held.osr_stolen, 1u);
    EXPECT_EQ(run.held.osr_compiled, 1u);
    EXPECT_EQ(run.held.osr_entered, 1u);
    EXPECT_EQ(run.held.tiered_up, 0u); // the function's compile is the worker's
    EXPECT_EQ(run.after.tiered_up, 1u);
    EXPECT_EQ(run.after.osr_compiled, 1u); // the worker did not make it a second time
    EXPECT_EQ(run.after.osr_stolen, 1u);
}

// 2,000 iterations ask 20 times, fewer than the bound: the entry stays the worker's,
// which makes it once released (no frame is left to enter it).
TEST(OsrSchedule, ShortWaitLeavesTheEntryToTheWorker)
{
    HeldRun run = run_held(2'000);
    EXPECT_EQ(run.got, run.want);
    EXPECT_EQ(run.held.osr_stolen, 0u);
    EXPECT_EQ(run.held.osr_compiled, 0u);
    EXPECT_EQ(run.held.osr_entered, 0u);
    EXPECT_EQ(run.after.osr_compiled, 1u);
    EXPECT_EQ(run.after.osr_entered, 0u);
    EXPECT_EQ(run.after.tiered_up, 1u);
}

// Two functions' entries wait for a held worker: `hot`'s loop asked 20 times (2,000
// iterations, asking every 100), `cold`'s once and later. Released, the worker makes
// `hot`'s first (the tier space is handed out in order: its entry lies lower), although
// `cold`'s is the newer.
TEST(OsrSchedule, WorkerMakesTheEntryAskedForMostFirst)
{
    const char* wat = R"wat((module
        (func (export "hot") (param $n i32) (result i64) (local $i i32) (local $s i64)
            loop $l
                local.get $s i64.const 5 i64.mul local.get $i i64.extend_i32_u i64.add local.set $s
                local.get $i i32.const 1 i32.add local.tee $i
                local.get $n i32.lt_u
                br_if $l
            end
            local.get $s)
        (func (export "cold") (param $n i32) (result i64) (local $i i32) (local $s i64)
            loop $l
                local.get $s i64.const 7 i64.mul local.get $i i64.extend_i32_u i64.xor local.set $s
                local.get $i i32.const 1 i32.add local.tee $i
                local.get $n i32.lt_u
                br_if $l
            end
            local.get $s)))wat";
    Session tiered;
    instantiate(tiered, wat, background(100));
    ASSERT_TRUE(tiered.instance);
    auto& manager = *static_cast<compile::TierUpManager*>(tiered.compiled.module->tier_up());
    manager.hold_worker(true);
    auto hot = call(*tiered.instance, "hot", { VMVal::from_i32(2'000) });
    auto cold = call(*tiered.instance, "cold", { VMVal::from_i32(150) });
    ASSERT_FALSE(hot.trap);
    ASSERT_FALSE(cold.trap);
    EXPECT_EQ(manager.osr_entry_address(0), 0u);
    EXPECT_EQ(manager.osr_entry_address(1), 0u);
    manager.hold_worker(false);
    ASSERT_TRUE(wait_idle(manager));
    compile::TierUpCounts counts = compile::tier_up_counts(*tiered.compiled.module);
    EXPECT_EQ(counts.osr_compiled, 2u);
    EXPECT_EQ(counts.osr_stolen, 0u);
    uptr hot_entry = manager.osr_entry_address(0);
    uptr cold_entry = manager.osr_entry_address(1);
    ASSERT_NE(hot_entry, 0u);
    ASSERT_NE(cold_entry, 0u);
    EXPECT_LT(hot_entry, cold_entry);
}
