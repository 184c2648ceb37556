// Collection inside one invocation (docs/gc.md, "Safe points" and "Stack maps"): the
// stack maps of both tiers make every allocation a place where the collector may run, with
// the references of live wasm frames (locals, operand stack entries, values live across
// calls and allocations, callers' frames) as roots. Each test runs in the baseline, the
// optimising tier (every function optimised) and tiered (tier-up and OSR early, so that
// optimised frames, OSR frames and baseline frames below them are live when it collects).
#include <gtest/gtest.h>

#include <cstdio>

#include "engine/compile/tier_up.h"
#include "engine/runtime/gc_heap.h"
#include "engine/runtime/store.h"
#include "tests/unit/compile/session.h"

using namespace wk;
using namespace wk::engine;
using runtime::VMVal;

namespace {

// churn(rounds, n): builds a list of n nodes in a local and drops it, `rounds` times;
// returns the sum of the values of the last list (read back after the allocations).
// arrays(n): n arrays of 1000 i64, each dropped. cycles(n): n two-node cycles, dropped.
// deep(n): n nested calls, each keeping a fresh node in a local across the call below it
// (which allocates), returns the sum of their values. operands(): nodes kept only on the
// operand stack across a call that allocates and across allocations.
const char* const kModule = R"(
(module
  (type $node (struct (field $value i32) (field $next (mut (ref null $node)))))
  (type $bytes (array (mut i64)))
  (type $refs (array (mut (ref null $node))))
  (func $sum (param $p (ref null $node)) (result i32) (local $s i32)
    (block $done
      (loop $again
        (br_if $done (ref.is_null (local.get $p)))
        (local.set $s (i32.add (local.get $s) (struct.get $node $value (local.get $p))))
        (local.set $p (struct.get $node $next (local.get $p)))
        (br $again)))
    (local.get $s))
  (func $build (param $n i32) (result (ref null $node)) (local $list (ref null $node))
    (loop $again
      (if (local.get $n)
        (then
          (local.set $list (struct.new $node (local.get $n) (local.get $list)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $again))))
    (local.get $list))
  (func (export "churn") (param $rounds i32) (param $n i32) (result i32) (local $list (ref null $node))
    (loop $again
      (local.set $list (ref.null $node))
      (local.set $list (call $build (local.get $n)))
      (local.set $rounds (i32.sub (local.get $rounds) (i32.const 1)))
      (br_if $again (local.get $rounds)))
    (call $sum (local.get $list)))
  (func (export "arrays") (param $n i32) (result i32) (local $total i32)
    (loop $again
      (local.set $total (i32.add (local.get $total) (array.len (array.new_default $bytes (i32.const 1000)))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $again (local.get $n)))
    (local.get $total))
  (func (export "cycles") (param $n i32) (local $a (ref null $node))
    (loop $again
      (local.set $a (struct.new $node (i32.const 1) (ref.null $node)))
      (struct.set $node $next (local.get $a) (struct.new $node (i32.const 2) (local.get $a)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $again (local.get $n))))
  (func $garbage (param $n i32) (result i32)
    (loop $again
      (drop (struct.new $node (local.get $n) (ref.null $node)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $again (local.get $n)))
    (i32.const 1))
  (func $deep (export "deep") (param $n i32) (result i32) (local $mine (ref null $node))
    (local.set $mine (struct.new $node (local.get $n) (ref.null $node)))
    (if (result i32) (local.get $n)
      (then (i32.add (call $deep (i32.sub (local.get $n) (i32.const 1))) (call $garbage (i32.const 3))))
      (else (i32.const 0)))
    (struct.get $node $value (local.get $mine))
    (i32.add))
  (func (export "operands") (result i32) (local $t i32)
    ;; $a is only on the operand stack across calls that allocate and under the operands
    ;; of four allocations; $b across an array.new_fixed and a call.
    (struct.new $node (i32.const 10) (ref.null $node))
    (drop (call $garbage (i32.const 50)))
    (struct.new $node (i32.const 20) (ref.null $node))
    (array.new_fixed $refs 2 (struct.new $node (i32.const 300) (ref.null $node))
                             (struct.new $node (i32.const 4000) (ref.null $node)))
    (drop (call $garbage (i32.const 50)))
    (array.get $refs (i32.const 1))
    (call $sum)
    (local.set $t)
    (call $sum)
    (local.set $t (i32.add (local.get $t)))
    (call $sum)
    (i32.add (local.get $t))
    (i32.add (call $sum (struct.new $node (i32.const 50000) (ref.null $node))))))
)";

runtime::GcHeap& heap(test_session::Session& session) { return session.store->gc_heap(); }

compile::CompileOptions options_for(compile::Tier tier) { return test_session::tier_options(tier, 20); }

class GcStackMapTest : public testing::TestWithParam<compile::Tier> {
protected:
    std::unique_ptr<test_session::Session> instantiate(const runtime::RuntimeLimits& limits)
    {
        auto session = test_session::instantiate(kModule, options_for(GetParam()), limits);
        // The optimising tier compiled every function (no baseline fallback).
        if (session && GetParam() == compile::Tier::Optimized) {
            EXPECT_EQ(session->statistics.optimized_functions, session->statistics.functions);
            EXPECT_EQ(session->statistics.baseline_fallbacks, 0u);
        }
        return session;
    }
    // The figures docs/gc.md quotes, per tier (printed, not asserted).
    void report(test_session::Session& session)
    {
        StringView tier = compile::tier_name(GetParam());
        std::printf("[  figures ] %.*s: %llu collections, peak %llu bytes\n", static_cast<int>(tier.size()), tier.data(),
                    static_cast<unsigned long long>(heap(session).collections()),
                    static_cast<unsigned long long>(heap(session).peak_bytes()));
    }
    // Tiered: some code tiered up (a function, or a loop through OSR) while the test ran.
    void expect_tiered_up(test_session::Session& session)
    {
        if (GetParam() != compile::Tier::Tiered)
            return;
        compile::TierUpCounts counts = compile::tier_up_counts(*session.compiled.module);
        EXPECT_GT(counts.tiered_up + counts.osr_entered, 0u);
    }
};

} // namespace

TEST_P(GcStackMapTest, OneInvocationBuildsAndDropsMillionNodeListsInBoundedMemory)
{
    runtime::RuntimeLimits limits;
    // One 10^6-node list is 48 MB (32 bytes and the object overhead each); five of them
    // are 240 MB.
    limits.max_store_gc_bytes = 64 << 20;
    auto session = instantiate(limits);
    ASSERT_TRUE(session);
    auto outcome = test_session::call(*session, "churn", { VMVal::from_u32(5), VMVal::from_u32(1'000'000) });
    ASSERT_FALSE(outcome.trap.has_value()) << trap_message(outcome.trap->kind);
    ASSERT_EQ(outcome.results.size(), 1u);
    EXPECT_EQ(outcome.results[0].u32_value(), static_cast<u32>(u64 { 1'000'000 } * 1'000'001 / 2));
    EXPECT_GE(heap(*session).collections(), 4u);
    // At most the list being built and the one before it that the next collection frees.
    EXPECT_LE(heap(*session).peak_bytes(), limits.max_store_gc_bytes);
    expect_tiered_up(*session);
    report(*session);
}

TEST_P(GcStackMapTest, ALongLoopOfArraysRunsInBoundedMemory)
{
    runtime::RuntimeLimits limits;
    limits.max_store_gc_bytes = 8 << 20;
    auto session = instantiate(limits);
    ASSERT_TRUE(session);
    // 20000 arrays of 8016 bytes: 160 MB, 20 times the limit.
    EXPECT_EQ(test_session::call_i64(*session, "arrays", { VMVal::from_u32(20000) }) & 0xFFFF'FFFF, 20'000'000);
    EXPECT_GE(heap(*session).collections(), 20u);
    // The collector runs once 4 MiB were allocated since the last collection.
    EXPECT_LE(heap(*session).peak_bytes(), runtime::GcHeap::kMinCollectBytes + 8016 + 2 * runtime::GcHeap::kObjectOverhead);
    expect_tiered_up(*session);
    report(*session);
}

TEST_P(GcStackMapTest, CyclesAreCollectedInsideAnInvocation)
{
    runtime::RuntimeLimits limits;
    limits.max_store_gc_bytes = 6 << 20;
    auto session = instantiate(limits);
    ASSERT_TRUE(session);
    // 200000 cycles of two nodes: 19 MB.
    auto outcome = test_session::call(*session, "cycles", { VMVal::from_u32(200'000) });
    ASSERT_FALSE(outcome.trap.has_value()) << trap_message(outcome.trap->kind);
    EXPECT_GE(heap(*session).collections(), 3u);
    expect_tiered_up(*session);
    ASSERT_TRUE(session->store->collect_garbage());
    EXPECT_EQ(heap(*session).object_count(), 0u);
}

TEST_P(GcStackMapTest, LocalsAndOperandsSurviveACollectionAtEveryAllocation)
{
    runtime::RuntimeLimits limits;
    limits.gc_collect_at_every_allocation = true;
    auto session = instantiate(limits);
    ASSERT_TRUE(session);
    u64 before = heap(*session).collections();
    EXPECT_EQ(test_session::call_i64(*session, "operands", {}) & 0xFFFF'FFFF, 54030);
    // Every allocation collected: 2 * 50 garbage nodes, 6 more objects.
    EXPECT_GE(heap(*session).collections() - before, 106u);
    // Nothing of it is reachable afterwards.
    ASSERT_TRUE(session->store->collect_garbage());
    EXPECT_EQ(heap(*session).object_count(), 0u);

    before = heap(*session).collections();
    EXPECT_EQ(test_session::call_i64(*session, "deep", { VMVal::from_u32(300) }) & 0xFFFF'FFFF, 300 * 301 / 2 + 300);
    EXPECT_GE(heap(*session).collections() - before, 301u + 900u);
    EXPECT_EQ(test_session::call_i64(*session, "churn", { VMVal::from_u32(3), VMVal::from_u32(200) }) & 0xFFFF'FFFF,
              200 * 201 / 2);
    expect_tiered_up(*session);
}

INSTANTIATE_TEST_SUITE_P(Tiers, GcStackMapTest,
                         testing::Values(compile::Tier::Baseline, compile::Tier::Optimized, compile::Tier::Tiered),
                         [](const testing::TestParamInfo<compile::Tier>& info) {
                             return std::string(compile::tier_name(info.param));
                         });
