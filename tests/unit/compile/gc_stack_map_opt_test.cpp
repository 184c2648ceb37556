// The optimising tier's stack maps (docs/gc.md, "Stack maps"): references live across a
// call in a register-allocated loop (some in registers saved around the call, some in
// spill slots) survive a collection during the call with their contents; each call
// instruction of a direct-dispatch compare tree has its map; and a value that is not
// defined on every path to a call is not in that call's map (precise liveness, though its
// interval covers the call).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "engine/compile/tier_up.h"
#include "engine/platform.h"
#include "engine/runtime/gc_heap.h"
#include "engine/runtime/store.h"
#include "tests/unit/compile/session.h"

using namespace wk;
using namespace wk::engine;
using runtime::VMVal;

namespace {

// $garbage(n) allocates n nodes and drops them; it calls itself (never: n is small) so
// that the optimising tier never inlines it, and calls of it stay calls.
// keep(n): a list grows by one node per iteration (values 1..n) while twelve nodes stay
// live across every call of $garbage (more references than registers: some live in
// registers saved around the call, some in spill slots); $k0 changes every iteration.
// Returns the sum of the list, the twelve values and the calls' results.
// With `indirect`, the loop calls through call_indirect instead, a table of three functions
// of one type (in the optimising tier a compare tree of three calls and a funcref transfer).
// path(c): $v is defined only where c is not 0; on the other path a call runs and the
// function returns (through $exit). After the join (two edges, so no block merges it into
// the definition's) a call has $v live across it. The layout is: definition, the other
// path's call, the join, so $v's interval (no holes) covers the call where it is undefined.
const std::string kModule = R"(
(module
  (type $node (struct (field $value (mut i32)) (field $next (ref null $node))))
  (type $fn (func (param i32) (result i32)))
  (table 3 funcref)
  (elem (i32.const 0) func $g1 $g2 $g3)
)" + std::string(test_session::kGarbageFunction) + R"(
  (func $g1 (type $fn) (i32.add (call $garbage (local.get 0)) (i32.const 0)))
  (func $g2 (type $fn) (i32.add (call $garbage (local.get 0)) (i32.const 1)))
  (func $g3 (type $fn) (i32.add (call $garbage (local.get 0)) (i32.const 2)))
  (func $sum (param $p (ref null $node)) (result i32) (local $s i32)
    (block $done
      (loop $again
        (br_if $done (ref.is_null (local.get $p)))
        (local.set $s (i32.add (local.get $s) (struct.get $node $value (local.get $p))))
        (local.set $p (struct.get $node $next (local.get $p)))
        (br $again)))
    (local.get $s))
  (func $new (param $v i32) (result (ref $node)) (struct.new $node (local.get $v) (ref.null $node)))
  (func (export "keep") (param $n i32) (param $indirect i32) (result i32)
    (local $list (ref null $node)) (local $i i32) (local $s i32)
    (local $k0 (ref $node)) (local $k1 (ref $node)) (local $k2 (ref $node)) (local $k3 (ref $node))
    (local $k4 (ref $node)) (local $k5 (ref $node)) (local $k6 (ref $node)) (local $k7 (ref $node))
    (local $k8 (ref $node)) (local $k9 (ref $node)) (local $k10 (ref $node)) (local $k11 (ref $node))
    (local.set $k0 (call $new (i32.const 1000))) (local.set $k1 (call $new (i32.const 1001)))
    (local.set $k2 (call $new (i32.const 1002))) (local.set $k3 (call $new (i32.const 1003)))
    (local.set $k4 (call $new (i32.const 1004))) (local.set $k5 (call $new (i32.const 1005)))
    (local.set $k6 (call $new (i32.const 1006))) (local.set $k7 (call $new (i32.const 1007)))
    (local.set $k8 (call $new (i32.const 1008))) (local.set $k9 (call $new (i32.const 1009)))
    (local.set $k10 (call $new (i32.const 1010))) (local.set $k11 (call $new (i32.const 1011)))
    (loop $again
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (if (local.get $indirect)
        (then (local.set $s (i32.add (local.get $s)
                (call_indirect (type $fn) (i32.const 2) (i32.rem_u (local.get $i) (i32.const 3))))))
        (else (local.set $s (i32.add (local.get $s) (call $garbage (i32.const 2))))))
      (local.set $list (struct.new $node (local.get $i) (local.get $list)))
      (struct.set $node $value (local.get $k0) (i32.add (struct.get $node $value (local.get $k0)) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (local.get $n))))
    (i32.add (call $sum (local.get $list)) (local.get $s))
    (i32.add (struct.get $node $value (local.get $k0))) (i32.add (struct.get $node $value (local.get $k1)))
    (i32.add (struct.get $node $value (local.get $k2))) (i32.add (struct.get $node $value (local.get $k3)))
    (i32.add (struct.get $node $value (local.get $k4))) (i32.add (struct.get $node $value (local.get $k5)))
    (i32.add (struct.get $node $value (local.get $k6))) (i32.add (struct.get $node $value (local.get $k7)))
    (i32.add (struct.get $node $value (local.get $k8))) (i32.add (struct.get $node $value (local.get $k9)))
    (i32.add (struct.get $node $value (local.get $k10))) (i32.add (struct.get $node $value (local.get $k11))))
  (func $path (export "path") (param $c i32) (result i32) (local $v (ref null $node))
    (block $exit (result i32)
      (block $join
        (block $else
          (br_if $else (i32.eqz (local.get $c)))
          (local.set $v (struct.new $node (local.get $c) (ref.null $node)))
          (br_if $join (i32.gt_u (local.get $c) (i32.const 100)))
          (local.set $c (i32.add (local.get $c) (i32.const 1)))
          (br $join))
        (br $exit (call $garbage (i32.const 5))))
      (drop (call $garbage (i32.const 5)))
      (i32.add (local.get $c) (struct.get $node $value (local.get $v)))))
)
)";

// keep(n, indirect): the list 1..n, $k0 1000 + n, $k1..$k11 1001..1011, and per iteration i
// the call's result: 1, or through the table $g1/$g2/$g3 (element i % 3) 1 + i % 3.
u32 expected_keep(u32 n, bool indirect)
{
    u32 calls = n;
    if (indirect) {
        for (u32 i = 1; i <= n; ++i)
            calls += (i % 3); // $g1 adds 0, $g2 1, $g3 2
    }
    return n * (n + 1) / 2 + (1000 + n) + 11 * 1000 + 66 + calls;
}

compile::CompileOptions options_for(compile::Tier tier) { return test_session::tier_options(tier, 20); }

class GcStackMapOptTest : public testing::TestWithParam<compile::Tier> {};

// The stack maps of defined function `index`, as the popcounts of their bitmaps in code order.
std::vector<u32> map_sizes(const test_session::Session& session, u32 index)
{
    const compile::CompiledModule& compiled = session.compiled;
    uptr base = reinterpret_cast<uptr>(compiled.code->address(0));
    const CodeRange* range = code_range_at(base);
    std::vector<u32> sizes;
    if (!range)
        return sizes;
    for (const StackMapEntry& entry : range->stack_maps) {
        std::optional<u32> function = compiled.code->function_at(range->start + entry.code_offset - 1);
        if (!function || *function != index)
            continue;
        const u32* bitmap = range->stack_map_bits.data() + entry.bitmap;
        u32 bits = 0;
        for (u32 w = 0; w < (bitmap[0] + 31) / 32; ++w)
            bits += static_cast<u32>(__builtin_popcount(bitmap[kStackMapHeaderWords + w]));
        sizes.push_back(bits);
    }
    return sizes;
}

} // namespace

TEST_P(GcStackMapOptTest, ReferencesLiveAcrossCallsSurviveACollectionDuringTheCall)
{
    runtime::RuntimeLimits limits;
    limits.gc_collect_at_every_allocation = true;
    auto session = test_session::instantiate(kModule, options_for(GetParam()), limits);
    ASSERT_TRUE(session);
    if (GetParam() == compile::Tier::Optimized)
        EXPECT_EQ(session->statistics.baseline_fallbacks, 0u);
    for (u32 indirect : { 0u, 1u }) {
        u64 before = session->store->gc_heap().collections();
        EXPECT_EQ(test_session::call_i64(*session, "keep", { VMVal::from_u32(300), VMVal::from_u32(indirect) }) & 0xFFFF'FFFF,
                  expected_keep(300, indirect != 0));
        // Every allocation collected: 300 list nodes and 600 garbage nodes at least.
        EXPECT_GE(session->store->gc_heap().collections() - before, 900u);
        ASSERT_TRUE(session->store->collect_garbage());
        EXPECT_EQ(session->store->gc_heap().object_count(), 0u);
    }
    if (GetParam() == compile::Tier::Tiered) {
        compile::TierUpCounts counts = compile::tier_up_counts(*session->compiled.module);
        EXPECT_GT(counts.tiered_up + counts.osr_entered, 0u);
    }
}

TEST_P(GcStackMapOptTest, AValueNotDefinedOnEveryPathIsNotInTheMap)
{
    runtime::RuntimeLimits limits;
    limits.gc_collect_at_every_allocation = true;
    auto session = test_session::instantiate(kModule, options_for(GetParam()), limits);
    ASSERT_TRUE(session);
    EXPECT_EQ(test_session::call_i64(*session, "path", { VMVal::from_u32(7) }) & 0xFFFF'FFFF, 7 + 8);
    EXPECT_EQ(test_session::call_i64(*session, "path", { VMVal::from_u32(200) }) & 0xFFFF'FFFF, 400);
    EXPECT_EQ(test_session::call_i64(*session, "path", { VMVal::from_u32(0) }) & 0xFFFF'FFFF, 1);
    if (GetParam() != compile::Tier::Optimized)
        return;
    // $path (function 7): the allocation (nothing live across it), the call where $v was
    // never defined (nothing, though $v's interval covers it), the call after the join ($v).
    std::vector<u32> sizes = map_sizes(*session, 7);
    ASSERT_EQ(sizes.size(), 3u);
    std::sort(sizes.begin(), sizes.end());
    EXPECT_EQ(sizes, (std::vector<u32> { 0, 0, 1 }));
}

TEST(GcStackMapOptMapsTest, EveryCallOfACompareTreeHasAMap)
{
    auto session = test_session::instantiate(kModule, options_for(compile::Tier::Optimized));
    ASSERT_TRUE(session);
    // keep (function 6): twelve calls of $new (maybe inlined, then allocations), the call of
    // $garbage, one map per call instruction of the call_indirect (three direct calls and
    // the funcref transfer), the allocation in the loop and the call of $sum: all but the
    // last with references live across them.
    std::vector<u32> sizes = map_sizes(*session, 6);
    ASSERT_GE(sizes.size(), 12u + 1 + 4 + 1 + 1);
    u32 with_twelve = 0;
    for (u32 size : sizes)
        with_twelve += size >= 12 ? 1 : 0;
    // The loop's calls (five call instructions) and its allocation hold $k0..$k11 and $list.
    EXPECT_GE(with_twelve, 6u);
}

// A large function keeps its maps: `big` makes up to 600 nodes, each under its own `if`
// (600 allocation sites and 600 joins, each a reference parameter: about 1,200 reference
// values), then calls $garbage in a loop. The maps' work must grow with the live words per
// block, not with the function's references per block: counted that way, this function ran
// past its budget about two thirds of the way through, and the rest of its sites (the
// loop's call among them) got no map, so no collection could run under them.
TEST(GcStackMapOptMapsTest, ALargeFunctionHasAMapAtEverySite)
{
    constexpr u32 kSites = 600;
    std::string wat = R"((module
  (type $node (struct (field $value (mut i32)) (field $next (ref null $node))))
)" + std::string(test_session::kGarbageFunction) + R"(
  (func (export "big") (param $c i32) (param $iters i32) (result i32) (local $x (ref null $node)) (local $s i32)
)";
    for (u32 k = 0; k < kSites; ++k) {
        wat += "    (if (i32.and (local.get $c) (i32.const " + std::to_string(1u << (k % 31)) + "))"
               " (then (local.set $x (struct.new $node (i32.const " + std::to_string(k) + ") (local.get $x)))))\n";
    }
    wat += R"(    (loop $l
      (local.set $s (i32.add (local.get $s) (call $garbage (i32.const 50))))
      (local.set $iters (i32.sub (local.get $iters) (i32.const 1)))
      (br_if $l (local.get $iters)))
    (block $done
      (loop $walk
        (br_if $done (ref.is_null (local.get $x)))
        (local.set $s (i32.add (local.get $s) (struct.get $node $value (local.get $x))))
        (local.set $x (struct.get $node $next (local.get $x)))
        (br $walk)))
    (local.get $s)))
)";
    runtime::RuntimeLimits limits;
    limits.gc_collect_at_every_allocation = true;
    auto session = test_session::instantiate(wat, options_for(compile::Tier::Optimized), limits);
    ASSERT_TRUE(session);
    EXPECT_EQ(session->statistics.baseline_fallbacks, 0u);
    // Every allocation site and the loop's call: a map each.
    EXPECT_GE(map_sizes(*session, 1).size(), kSites + 1);
    // c = all ones: every node made (values 0..599), 20 calls returning 1.
    u64 before = session->store->gc_heap().collections();
    EXPECT_EQ(test_session::call_i64(*session, "big", { VMVal::from_u32(0x7FFF'FFFF), VMVal::from_u32(20) }) & 0xFFFF'FFFF,
              kSites * (kSites - 1) / 2 + 20);
    EXPECT_GE(session->store->gc_heap().collections() - before, kSites + 20 * 50);
}

INSTANTIATE_TEST_SUITE_P(Tiers, GcStackMapOptTest,
                         testing::Values(compile::Tier::Baseline, compile::Tier::Optimized, compile::Tier::Tiered),
                         [](const testing::TestParamInfo<compile::Tier>& info) { return std::string(compile::tier_name(info.param)); });
