// Exceptions are objects of the store's GC heap (docs/gc.md, "Exceptions"): a loop that
// throws and catches, or that keeps each caught exception in a local, a global, a table
// or a struct field and then replaces it, runs in bounded memory; exceptions that stay
// reachable (from structs, inside other exceptions' payloads, in a legacy catch that
// rethrows later) survive collections with their payloads; a program that keeps every one
// traps with the GC heap's out-of-memory trap. Each test runs in the baseline, the
// optimising tier (its functions with handlers fall back to the baseline; the others,
// throws and exnref locals among them, are optimised) and tiered (tier-up and OSR early).
#include <gtest/gtest.h>

#include <cstdio>

#include "engine/compile/tier_up.h"
#include "engine/runtime/store.h"
#include "tests/unit/compile/session.h"

using namespace wk;
using namespace wk::engine;
using runtime::VMVal;

namespace {

// catch_loop(n), legacy_loop(n): n throws of $e(n..1), each caught by a try_table catch or
// a legacy try/catch in the caller of the thrower; the sum of the payloads.
// keep_local/keep_global/keep_table/keep_field(n): n exceptions $e(n..1), each caught by
// catch_all_ref and kept in a local / the global / the table / a struct field until the
// next replaces it; each iteration checks the payload of the one kept before (rethrown and
// caught) after the next one was thrown, and the result is the last one's (1).
// chain(n): a list of n structs, each holding an exception of $q whose payload is an
// exception of $p whose payload is a struct of value i and i itself; garbage between;
// then every exception is rethrown and its payloads checked: the sum of the i.
// rethrow_after(n): a legacy catch of $p(struct 55, 5) throws and catches n others in its
// body, then rethrows its own; the outer handler returns 55 + 5.
// keep_all(n): keeps every caught exception in a list (traps when the heap is full).
const char* const kModule = R"(
(module
  (type $node (struct (field $value i32)))
  (type $cell (struct (field $exn (mut exnref)) (field $next (mut (ref null $cell)))))
  (type $pair (func (result (ref null $node) i32)))
  (tag $e (param i32))
  (tag $p (param (ref null $node) i32))
  (tag $q (param exnref))
  (global $kept (mut exnref) (ref.null noexn))
  (table $t 1 exnref)
  (func $thrower (param i32) (throw $e (local.get 0)))
  (func $catch (param i32) (result exnref)
    (block $h (result exnref)
      (try_table (catch_all_ref $h) (call $thrower (local.get 0)))
      (unreachable)))
  (func $value (param exnref) (result i32)
    (block $h (result i32)
      (try_table (catch $e $h) (throw_ref (local.get 0)))
      (unreachable)))
  ;; Traps unless exception $x of $e carries $expected.
  (func $check (param $x exnref) (param $expected i32)
    (if (i32.ne (call $value (local.get $x)) (local.get $expected)) (then (unreachable))))
  (func $catch_loop (export "catch_loop") (param $n i32) (result i64) (local $sum i64)
    (loop $again
      (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_u
        (block $caught (result i32)
          (try_table (catch $e $caught) (call $thrower (local.get $n)))
          (unreachable)))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $again (local.get $n)))
    (local.get $sum))
  (func (export "legacy_loop") (param $n i32) (result i64) (local $sum i64) (local $v i32)
    (loop $again
      (try
        (do (call $thrower (local.get $n)))
        (catch $e
          (local.set $v)
          (local.set $sum (i64.add (local.get $sum) (i64.extend_i32_u (local.get $v))))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $again (local.get $n)))
    (local.get $sum))
  ;; Each iteration catches the next exception while the kept one is live, then checks the
  ;; kept one and replaces it.
  (func (export "keep_local") (param $n i32) (result i32) (local $x exnref) (local $next exnref)
    (local.set $x (call $catch (i32.add (local.get $n) (i32.const 1))))
    (loop $again
      (local.set $next (call $catch (local.get $n)))
      (call $check (local.get $x) (i32.add (local.get $n) (i32.const 1)))
      (local.set $x (local.get $next))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $again (local.get $n)))
    (call $value (local.get $x)))
  (func (export "keep_global") (param $n i32) (result i32) (local $next exnref)
    (global.set $kept (call $catch (i32.add (local.get $n) (i32.const 1))))
    (loop $again
      (local.set $next (call $catch (local.get $n)))
      (call $check (global.get $kept) (i32.add (local.get $n) (i32.const 1)))
      (global.set $kept (local.get $next))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $again (local.get $n)))
    (call $value (global.get $kept)))
  (func (export "keep_table") (param $n i32) (result i32) (local $next exnref)
    (table.set $t (i32.const 0) (call $catch (i32.add (local.get $n) (i32.const 1))))
    (loop $again
      (local.set $next (call $catch (local.get $n)))
      (call $check (table.get $t (i32.const 0)) (i32.add (local.get $n) (i32.const 1)))
      (table.set $t (i32.const 0) (local.get $next))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $again (local.get $n)))
    (call $value (table.get $t (i32.const 0))))
  (func (export "keep_field") (param $n i32) (result i32) (local $c (ref null $cell)) (local $next exnref)
    (local.set $c (struct.new $cell (call $catch (i32.add (local.get $n) (i32.const 1))) (ref.null $cell)))
    (loop $again
      (local.set $next (call $catch (local.get $n)))
      (call $check (struct.get $cell $exn (local.get $c)) (i32.add (local.get $n) (i32.const 1)))
      (struct.set $cell $exn (local.get $c) (local.get $next))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $again (local.get $n)))
    (call $value (struct.get $cell $exn (local.get $c))))
  ;; An exception of $q carrying one of $p carrying (struct i, i).
  (func $wrapped (param $i i32) (result exnref)
    (block $outer (result exnref)
      (try_table (catch_all_ref $outer)
        (throw $q
          (block $inner (result exnref)
            (try_table (catch_all_ref $inner)
              (throw $p (struct.new $node (local.get $i)) (local.get $i)))
            (unreachable))))
      (unreachable)))
;; The i of a $wrapped exception, after checking its struct against it.
  (func $unwrap (param $x exnref) (result i32) (local $inner exnref) (local $i i32) (local $node (ref null $node))
    (local.set $inner
      (block $h (result exnref) (try_table (catch $q $h) (throw_ref (local.get $x))) (unreachable)))
    (block $h (type $pair) (try_table (catch $p $h) (throw_ref (local.get $inner))) (unreachable))
    (local.set $i)
    (local.set $node)
    (if (i32.ne (struct.get $node $value (local.get $node)) (local.get $i)) (then (unreachable)))
    (local.get $i))
  (func (export "chain") (param $n i32) (result i32) (local $list (ref null $cell)) (local $sum i32)
    (loop $build
      (local.set $list (struct.new $cell (call $wrapped (local.get $n)) (local.get $list)))
      (drop (struct.new $node (i32.const -1)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $build (local.get $n)))
    (loop $walk
      (local.set $sum (i32.add (local.get $sum) (call $unwrap (struct.get $cell $exn (local.get $list)))))
      (local.set $list (struct.get $cell $next (local.get $list)))
      (br_if $walk (i32.eqz (ref.is_null (local.get $list)))))
    (local.get $sum))
  (func (export "rethrow_after") (param $n i32) (result i32) (local $i i32)
    (block $outer (type $pair)
      (try_table (catch $p $outer)
        (try
          (do (throw $p (struct.new $node (i32.const 55)) (i32.const 5)))
          (catch $p
            (drop)
            (drop)
            (drop (call $catch_loop (local.get $n)))
            (drop (call $wrapped (local.get $n)))
            (rethrow 0))))
      (unreachable))
    (local.set $i)
    (i32.add (struct.get $node $value) (local.get $i)))
  (func (export "keep_all") (param $n i32) (local $list (ref null $cell))
    (loop $again
      (local.set $list (struct.new $cell (call $catch (local.get $n)) (local.get $list)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $again (local.get $n))))
)
)";

compile::CompileOptions options_for(compile::Tier tier) { return test_session::tier_options(tier, 20); }

// What one exception of $e costs the heap: 16 bytes of header, one value, the overhead.
constexpr u64 kExceptionBytes = 32 + runtime::GcHeap::kObjectOverhead;

class ExceptionMemoryTest : public testing::TestWithParam<compile::Tier> {
protected:
    std::unique_ptr<test_session::Session> instantiate(const runtime::RuntimeLimits& limits = {})
    {
        return test_session::instantiate(kModule, options_for(GetParam()), limits);
    }
    runtime::GcHeap& heap(test_session::Session& session) { return session.store->gc_heap(); }
    // The figures docs/gc.md quotes (printed, not asserted).
    void report(test_session::Session& session, const char* what)
    {
        StringView tier = compile::tier_name(GetParam());
        std::printf("[  figures ] %.*s %s: %llu collections, peak %llu bytes\n", static_cast<int>(tier.size()),
                    tier.data(), what, static_cast<unsigned long long>(heap(session).collections()),
                    static_cast<unsigned long long>(heap(session).peak_bytes()));
    }
};

} // namespace

TEST_P(ExceptionMemoryTest, CaughtExceptionsRunInBoundedMemory)
{
    auto session = instantiate();
    ASSERT_TRUE(session);
    // 10^6 exceptions of 48 bytes are 48 MB; the collector runs each 4 MiB.
    constexpr u64 kCount = 1'000'000;
    auto outcome = test_session::call(*session, "catch_loop", { VMVal::from_u32(kCount) });
    ASSERT_FALSE(outcome.trap.has_value()) << trap_message(outcome.trap->kind);
    EXPECT_EQ(outcome.results[0].u64_value(), kCount * (kCount + 1) / 2);
    EXPECT_GE(heap(*session).collections(), 10u);
    EXPECT_LE(heap(*session).peak_bytes(), runtime::GcHeap::kMinCollectBytes + 2 * kExceptionBytes);
    outcome = test_session::call(*session, "legacy_loop", { VMVal::from_u32(kCount) });
    ASSERT_FALSE(outcome.trap.has_value()) << trap_message(outcome.trap->kind);
    EXPECT_EQ(outcome.results[0].u64_value(), kCount * (kCount + 1) / 2);
    EXPECT_LE(heap(*session).peak_bytes(), runtime::GcHeap::kMinCollectBytes + 2 * kExceptionBytes);
    report(*session, "catch_loop");
    // Nothing is left reachable.
    ASSERT_TRUE(session->store->collect_garbage());
    EXPECT_EQ(heap(*session).object_count(), 0u);
}

TEST_P(ExceptionMemoryTest, KeptAndReplacedExceptionsRunUnderASmallLimit)
{
    runtime::RuntimeLimits limits;
    // 21,845 exceptions fit: 10^6 kept one after the other need about 46 collections.
    limits.max_store_gc_bytes = 1 << 20;
    for (const char* name : { "keep_local", "keep_global", "keep_table", "keep_field" }) {
        SCOPED_TRACE(name);
        auto session = instantiate(limits);
        ASSERT_TRUE(session);
        auto outcome = test_session::call(*session, name, { VMVal::from_u32(1'000'000) });
        ASSERT_FALSE(outcome.trap.has_value()) << trap_message(outcome.trap->kind);
        EXPECT_EQ(outcome.results[0].u32_value(), 1u);
        EXPECT_GE(heap(*session).collections(), 40u);
        EXPECT_LE(heap(*session).peak_bytes(), limits.max_store_gc_bytes);
        report(*session, name);
    }
}

TEST_P(ExceptionMemoryTest, ReachableExceptionsSurviveACollectionAtEveryAllocation)
{
    runtime::RuntimeLimits limits;
    limits.gc_collect_at_every_allocation = true;
    auto session = instantiate(limits);
    ASSERT_TRUE(session);
    u64 before = heap(*session).collections();
    // Each cell: a struct and two exceptions and a struct in their payloads, garbage between.
    EXPECT_EQ(test_session::call_i64(*session, "chain", { VMVal::from_u32(500) }) & 0xFFFF'FFFF, 500 * 501 / 2);
    EXPECT_GE(heap(*session).collections() - before, 5u * 500);
    EXPECT_EQ(test_session::call_i64(*session, "rethrow_after", { VMVal::from_u32(200) }) & 0xFFFF'FFFF, 60);
    EXPECT_EQ(test_session::call_i64(*session, "keep_field", { VMVal::from_u32(300) }) & 0xFFFF'FFFF, 1);
    EXPECT_EQ(test_session::call_i64(*session, "keep_local", { VMVal::from_u32(300) }) & 0xFFFF'FFFF, 1);
    // The table's and the global's are all that is left.
    EXPECT_EQ(test_session::call_i64(*session, "keep_table", { VMVal::from_u32(300) }) & 0xFFFF'FFFF, 1);
    EXPECT_EQ(test_session::call_i64(*session, "keep_global", { VMVal::from_u32(300) }) & 0xFFFF'FFFF, 1);
    ASSERT_TRUE(session->store->collect_garbage());
    EXPECT_EQ(heap(*session).object_count(), 2u);
    if (GetParam() == compile::Tier::Tiered) {
        compile::TierUpCounts counts = compile::tier_up_counts(*session->compiled.module);
        EXPECT_GT(counts.tiered_up + counts.osr_entered, 0u);
    }
}

TEST_P(ExceptionMemoryTest, KeepingEveryExceptionTrapsWithTheGcHeapExhausted)
{
    runtime::RuntimeLimits limits;
    limits.max_store_gc_bytes = 1 << 20;
    auto session = instantiate(limits);
    ASSERT_TRUE(session);
    auto outcome = test_session::call(*session, "keep_all", { VMVal::from_u32(1'000'000) });
    ASSERT_TRUE(outcome.trap.has_value());
    EXPECT_EQ(outcome.trap->kind, TrapKind::GcHeapExhausted);
    EXPECT_LE(heap(*session).live_bytes(), limits.max_store_gc_bytes);
    // The trapped invocation's list is garbage now: the store goes on.
    EXPECT_EQ(test_session::call_i64(*session, "keep_global", { VMVal::from_u32(100'000) }) & 0xFFFF'FFFF, 1);
}

INSTANTIATE_TEST_SUITE_P(Tiers, ExceptionMemoryTest,
                         testing::Values(compile::Tier::Baseline, compile::Tier::Optimized, compile::Tier::Tiered),
                         [](const testing::TestParamInfo<compile::Tier>& info) {
                             return std::string(compile::tier_name(info.param));
                         });
