// Explicit bounds checks (optimize_bounds_checks): made for memory64 and small-page
// memories, moved out of loops only when that cannot make a trap happen earlier, and
// removed when a dominating check of the same address covers them.
#include <algorithm>
#include <vector>

#include "opt_support.h"

namespace wk::engine::opt {

using namespace testing;

namespace {

// Per block: is it inside a loop? (Loop depths computed independently of the pass.)
std::vector<bool> in_loop(const Function& f)
{
    std::vector<u32> depths = loop_depths(f);
    std::vector<bool> inside(depths.size());
    for (usize b = 0; b < depths.size(); ++b)
        inside[b] = depths[b] > 0;
    return inside;
}

struct Check {
    Block block;
    u64 base;
    u64 span;
    bool in_loop;
};

std::vector<Check> checks_of(const Function& f)
{
    std::vector<bool> inside = in_loop(f);
    std::vector<Check> checks;
    for (Block block : f.layout()) {
        for (Inst inst : f.insts(block)) {
            const InstData& data = f.inst(inst);
            if (data.op == Op::BoundsCheck)
                checks.push_back({ block, data.imm, data.imm3, inside[block] });
        }
    }
    return checks;
}

u32 count_in_loop(const std::vector<Check>& checks, bool inside)
{
    u32 count = 0;
    for (const Check& check : checks)
        count += check.in_loop == inside;
    return count;
}

// The pipeline up to the bounds-check pass, verified.
void prepare(Built& built)
{
    Function& f = built.function;
    run_passes_before_licm(f);
    MUST(hoist_loop_invariants(f));
    ASSERT_EQ(verify_detail(f, &built.loaded->module), "") << to_string(f);
}

std::vector<Check> run_pass(Built& built)
{
    MUST(optimize_bounds_checks(built.function));
    EXPECT_EQ(verify_detail(built.function, &built.loaded->module), "") << to_string(built.function);
    return checks_of(built.function);
}

} // namespace

TEST(OptBounds, EveryUnguardedAccessGetsACheckGuardedOnesNone)
{
    auto built = build(R"((module (memory $m 1) (memory $w i64 1)
      (func (param $a i32) (param $p i64) (result i64)
        (drop (i32.load $m (local.get $a)))
        (i64.store $w offset=8 (local.get $p) (i64.const 1))
        (i64.load $w offset=100000 (local.get $p)))))");
    ASSERT_TRUE(built->ok);
    prepare(*built);
    std::vector<Check> checks = run_pass(*built);
    std::string text = to_string(built->function);
    ASSERT_EQ(checks.size(), 2u) << text;
    // Small offsets: base offset 0 (shared by accesses at other offsets); a large one
    // is added by the check, so the access reads at displacement 0.
    EXPECT_EQ(checks[0].base, 0u) << text;
    EXPECT_EQ(checks[0].span, 16u) << text;
    EXPECT_EQ(checks[1].base, 100000u) << text;
    EXPECT_EQ(checks[1].span, 8u) << text;
    EXPECT_EQ(count_of(text, " checked"), 2u) << text;
    EXPECT_EQ(count_of(text, " guarded"), 1u) << text;
    // A second run finds nothing to do.
    EXPECT_EQ(MUST(optimize_bounds_checks(built->function)), 0u);
}

TEST(OptBounds, OffsetOverflowChecksAlwaysTrap)
{
    auto built = build(R"((module (memory i64 1)
      (func (param $p i64) (result i64)
        (i64.load offset=0xFFFFFFFFFFFFFFFC (local.get $p)))))");
    ASSERT_TRUE(built->ok);
    prepare(*built);
    std::vector<Check> checks = run_pass(*built);
    ASSERT_EQ(checks.size(), 1u);
    // base + span passes 2^64: the back end makes it an unconditional trap.
    EXPECT_EQ(checks[0].base, 0xFFFF'FFFF'FFFF'FFFCu) << to_string(built->function);
    EXPECT_EQ(checks[0].span, 8u) << to_string(built->function);
}

TEST(OptBounds, AnInvariantCheckAtTheHeadOfALoopLeavesIt)
{
    auto built = build(R"((module (memory i64 1)
      (func (param $p i64) (param $n i32) (result i64) (local $i i32) (local $acc i64)
        (loop $l
          (local.set $acc (i64.add (local.get $acc) (i64.load (local.get $p))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (local.get $acc))))");
    ASSERT_TRUE(built->ok);
    prepare(*built);
    std::vector<Check> checks = run_pass(*built);
    ASSERT_EQ(checks.size(), 1u) << to_string(built->function);
    EXPECT_FALSE(checks[0].in_loop) << to_string(built->function);
}

TEST(OptBounds, ALoopThatMayNotRunChecksOnlyOnTheWayIntoIt)
{
    // The loop is skipped when $n is 0: the hoisted check must stay behind the br_if
    // (in the loop's preheader), never in the entry block before it.
    auto built = build(R"((module (memory i64 1)
      (func (param $p i64) (param $n i32) (result i64) (local $i i32) (local $acc i64)
        (block $skip
          (br_if $skip (i32.eqz (local.get $n)))
          (loop $l
            (local.set $acc (i64.add (local.get $acc) (i64.load offset=8 (local.get $p))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $l (i32.lt_u (local.get $i) (local.get $n)))))
        (local.get $acc))))");
    ASSERT_TRUE(built->ok);
    prepare(*built);
    std::vector<Check> checks = run_pass(*built);
    std::string text = to_string(built->function);
    ASSERT_EQ(checks.size(), 1u) << text;
    EXPECT_FALSE(checks[0].in_loop) << text;
    EXPECT_NE(checks[0].block, built->function.entry()) << text;
    // The block it went to runs only on the way into the loop.
    const Function& f = built->function;
    ASSERT_EQ(f.preds(checks[0].block).size(), 1u) << text;
    EXPECT_EQ(f.inst(f.terminator(checks[0].block)).op, Op::Jump) << text;
}

TEST(OptBounds, AStoreOrCallBeforeTheCheckKeepsItInTheLoop)
{
    // Iteration 1 stores to $q (or calls) before loading from $p: trapping on $p in
    // the preheader would hide that store. $q's own check may go (it comes first).
    auto built = build(R"((module (memory i64 1)
      (func (param $p i64) (param $q i64) (param $n i32) (result i64) (local $i i32) (local $acc i64)
        (loop $l
          (i64.store (local.get $q) (local.get $acc))
          (local.set $acc (i64.add (local.get $acc) (i64.load (local.get $p))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (local.get $acc))))");
    ASSERT_TRUE(built->ok);
    prepare(*built);
    std::vector<Check> checks = run_pass(*built);
    std::string text = to_string(built->function);
    ASSERT_EQ(checks.size(), 2u) << text;
    EXPECT_EQ(count_in_loop(checks, false), 1u) << text; // $q's
    EXPECT_EQ(count_in_loop(checks, true), 1u) << text;  // $p's, after the store

    auto call = build(R"((module (memory i64 1) (func $g)
      (func (param $p i64) (param $n i32) (result i64) (local $i i32) (local $acc i64)
        (loop $l
          (call $g)
          (local.set $acc (i64.add (local.get $acc) (i64.load (local.get $p))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (local.get $acc))))", 1);
    ASSERT_TRUE(call->ok);
    prepare(*call);
    checks = run_pass(*call);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_TRUE(checks[0].in_loop) << to_string(call->function);

    // A trapping division first: its trap must come first too.
    auto divide = build(R"((module (memory i64 1)
      (func (param $p i64) (param $d i32) (param $n i32) (result i64) (local $i i32) (local $acc i64)
        (loop $l
          (local.set $i (i32.add (local.get $i) (i32.div_u (local.get $n) (local.get $d))))
          (local.set $acc (i64.add (local.get $acc) (i64.load (local.get $p))))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (local.get $acc))))");
    ASSERT_TRUE(divide->ok);
    prepare(*divide);
    checks = run_pass(*divide);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_TRUE(checks[0].in_loop) << to_string(divide->function);
}

TEST(OptBounds, ChecksOnSomePathsOrOfChangingAddressesStay)
{
    // Inside an if: not every iteration (maybe none) reaches it.
    auto conditional = build(R"((module (memory i64 1)
      (func (param $p i64) (param $n i32) (result i64) (local $i i32) (local $acc i64)
        (loop $l
          (if (i32.and (local.get $i) (i32.const 1))
            (then (local.set $acc (i64.add (local.get $acc) (i64.load (local.get $p))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (local.get $acc))))");
    ASSERT_TRUE(conditional->ok);
    prepare(*conditional);
    std::vector<Check> checks = run_pass(*conditional);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_TRUE(checks[0].in_loop) << to_string(conditional->function);

    // The address changes every iteration.
    auto variant = build(R"((module (memory i64 1)
      (func (param $p i64) (param $n i64) (result i64) (local $acc i64)
        (loop $l
          (local.set $acc (i64.add (local.get $acc) (i64.load (local.get $p))))
          (local.set $p (i64.add (local.get $p) (i64.const 8)))
          (br_if $l (i64.lt_u (local.get $p) (local.get $n))))
        (local.get $acc))))");
    ASSERT_TRUE(variant->ok);
    prepare(*variant);
    checks = run_pass(*variant);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_TRUE(checks[0].in_loop) << to_string(variant->function);
}

TEST(OptBounds, NestedLoopsMoveTheCheckOutwardsWhileItStaysFirst)
{
    auto built = build(R"((module (memory i64 1)
      (func (param $p i64) (param $n i32) (result i64) (local $i i32) (local $j i32) (local $acc i64)
        (loop $outer
          (local.set $j (i32.const 0))
          (loop $inner
            (local.set $acc (i64.add (local.get $acc) (i64.load (local.get $p))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br_if $inner (i32.lt_u (local.get $j) (local.get $n))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $outer (i32.lt_u (local.get $i) (local.get $n))))
        (local.get $acc))))");
    ASSERT_TRUE(built->ok);
    prepare(*built);
    std::vector<Check> checks = run_pass(*built);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_FALSE(checks[0].in_loop) << to_string(built->function);
}

TEST(OptBounds, DominatedChecksOfTheSameAddressGo)
{
    auto built = build(R"((module (memory i64 1)
      (func (param $p i64) (param $c i32) (result i64) (local $acc i64)
        (local.set $acc (i64.load offset=8 (local.get $p)))       ;; end 16
        (local.set $acc (i64.add (local.get $acc) (i64.load32_u offset=4 (local.get $p)))) ;; end 8: covered
        (if (local.get $c)
          (then (local.set $acc (i64.add (local.get $acc) (i64.load offset=32 (local.get $p)))))) ;; end 40: kept
        (local.set $acc (i64.add (local.get $acc) (i64.load offset=24 (local.get $p)))) ;; end 32: not dominated by 40
        (local.set $acc (i64.add (local.get $acc) (i64.load offset=16 (local.get $p)))) ;; end 24: covered by 32
        (local.get $acc))))");
    ASSERT_TRUE(built->ok);
    prepare(*built);
    std::vector<Check> checks = run_pass(*built);
    std::string text = to_string(built->function);
    ASSERT_EQ(checks.size(), 3u) << text;
    std::vector<u64> ends;
    for (const Check& check : checks)
        ends.push_back(check.base + check.span);
    std::sort(ends.begin(), ends.end());
    EXPECT_EQ(ends, (std::vector<u64> { 16, 32, 40 })) << text;
    EXPECT_EQ(count_of(text, " checked"), 5u) << text;
}

TEST(OptBounds, ChecksOfOtherMemoriesOrAddressesStay)
{
    auto built = build(R"((module (memory $a i64 1) (memory $b i64 1)
      (func (param $p i64) (param $q i64) (result i64)
        (i64.add (i64.add (i64.load $a offset=8 (local.get $p)) (i64.load $b (local.get $p)))
                 (i64.load $a (local.get $q))))))");
    ASSERT_TRUE(built->ok);
    prepare(*built);
    std::vector<Check> checks = run_pass(*built);
    EXPECT_EQ(checks.size(), 3u) << to_string(built->function);
}

TEST(OptBounds, TheVerifierRejectsAnUncoveredCheckedAccess)
{
    auto built = build(R"((module (memory i64 1)
      (func (param $p i64) (result i64) (i64.load offset=8 (local.get $p)))))");
    ASSERT_TRUE(built->ok);
    prepare(*built);
    run_pass(*built);
    Function& f = built->function;
    for (Block block : f.layout()) {
        for (Inst inst : f.insts(block)) {
            if (f.inst(inst).op == Op::BoundsCheck)
                f.inst(inst).imm3 = 15; // one byte short of offset 8 + 8 bytes
        }
    }
    EXPECT_TRUE(contains(verify_detail(f, &built->loaded->module), "not covered")) << to_string(f);
}

} // namespace wk::engine::opt
