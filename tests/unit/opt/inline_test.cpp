// Inlining of small direct callees (engine/opt/inline.h).
#include "engine/opt/inline.h"
#include "opt_support.h"

namespace wk::engine::opt {

using namespace testing;

namespace {

// Builds function `index`, inlines into it, verifies, then runs the pipeline (verified
// after every pass). Returns the number of call sites inlined, or -1 on a failure.
i64 inline_into(Built& built, u32 index, InlineLimits limits = {})
{
    Inliner inliner(built.loaded->module, limits);
    auto inlined = inliner.run(built.function);
    EXPECT_FALSE(inlined.is_error()) << inlined.error().message();
    if (inlined.is_error())
        return -1;
    EXPECT_EQ(verify_detail(built.function, &built.loaded->module), "") << to_string(built.function);
    PipelineOptions options;
    options.verify = true;
    options.module = &built.loaded->module;
    auto optimized = optimize(built.function, options);
    EXPECT_FALSE(optimized.is_error()) << optimized.error().message() << "\n" << to_string(built.function);
    return optimized.is_error() ? -1 : static_cast<i64>(*inlined);
}

} // namespace

TEST(Inline, SmallCalleeDisappearsIntoTheCaller)
{
    auto built = build(R"(
(module
  (func $add3 (param i32 i32) (result i32) (i32.add (i32.add (local.get 0) (local.get 1)) (i32.const 3)))
  (func (export "f") (param i32) (result i32)
    (call $add3 (call $add3 (local.get 0) (i32.const 4)) (local.get 0))))
)", 1);
    ASSERT_TRUE(built->ok);
    EXPECT_EQ(count_of(to_string(built->function), "call f"), 2u);
    EXPECT_EQ(inline_into(*built, 1), 2);
    std::string text = to_string(built->function);
    EXPECT_FALSE(contains(text, "call f")) << text;
    EXPECT_TRUE(contains(text, "i32.add")) << text;
    // Block merging leaves one block: the copies' entries and continuations are chained by jumps.
    EXPECT_EQ(built->function.layout().size(), 1u) << text;
}

TEST(Inline, CalleeWithBranchesReturnsAndSeveralResults)
{
    auto built = build(R"(
(module
  (func $pick (param i32 i64) (result i64 i32)
    (if (i32.eqz (local.get 0)) (then (return (i64.const 7) (i32.const 1))))
    (block $b (block $a (br_table $a $b $a (local.get 0)))
      (return (i64.mul (local.get 1) (i64.const 3)) (i32.const 2)))
    (i64.sub (local.get 1) (i64.const 1)) (local.get 0))
  (func (export "f") (param i32 i64) (result i64)
    (local $r i32)
    (call $pick (local.get 0) (local.get 1))
    (local.set $r)
    (i64.add (i64.extend_i32_u (local.get $r)))))
)", 1);
    ASSERT_TRUE(built->ok);
    EXPECT_EQ(inline_into(*built, 1), 1);
    std::string text = to_string(built->function);
    EXPECT_FALSE(contains(text, "call f")) << text;
    EXPECT_TRUE(contains(text, "switch")) << text;
    EXPECT_EQ(count_of(text, "return"), 1u) << text; // the caller's own; the callee's became jumps
}

TEST(Inline, CalleeThatNeverReturnsLeavesNoContinuation)
{
    auto built = build(R"(
(module
  (func $fail (param i32) (result i32) (unreachable))
  (func (export "f") (param i32) (result i32)
    (i32.add (call $fail (local.get 0)) (i32.const 1))))
)", 1);
    ASSERT_TRUE(built->ok);
    EXPECT_EQ(inline_into(*built, 1), 1);
    std::string text = to_string(built->function);
    EXPECT_FALSE(contains(text, "call f")) << text;
    EXPECT_TRUE(contains(text, "trap unreachable")) << text;
    EXPECT_FALSE(contains(text, "i32.add")) << text;
}

TEST(Inline, RecursionIsNeverInlined)
{
    auto built = build(R"(
(module
  (func $fib (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func $ping (param i32) (result i32)
    (if (result i32) (local.get 0) (then (call $pong (i32.sub (local.get 0) (i32.const 1)))) (else (i32.const 0))))
  (func $pong (param i32) (result i32) (call $ping (local.get 0)))
  (func (export "f") (param i32) (result i32) (i32.add (call $fib (local.get 0)) (call $ping (local.get 0)))))
)", 3);
    ASSERT_TRUE(built->ok);
    // $fib calls itself: never a candidate. $ping calls $pong only: it is small and is
    // inlined into "f" (its call of $pong stays a call).
    EXPECT_EQ(inline_into(*built, 3), 1);
    std::string text = to_string(built->function);
    EXPECT_TRUE(contains(text, "call f0(")) << text;
    EXPECT_TRUE(contains(text, "call f2(")) << text;
    EXPECT_FALSE(contains(text, "call f1(")) << text;

    // Into $fib itself nothing goes (its calls are recursive).
    auto fib = build(R"(
(module
  (func $fib (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2))))))))
)", 0);
    ASSERT_TRUE(fib->ok);
    EXPECT_EQ(inline_into(*fib, 0), 0);
    EXPECT_EQ(count_of(to_string(fib->function), "call f0("), 2u);

    // Mutual recursion: $pong calls $ping, which calls $pong back: $ping is not
    // inlined into $pong.
    auto pong = build(R"(
(module
  (func $ping (param i32) (result i32)
    (if (result i32) (local.get 0) (then (call $pong (i32.sub (local.get 0) (i32.const 1)))) (else (i32.const 0))))
  (func $pong (param i32) (result i32) (call $ping (local.get 0))))
)", 1);
    ASSERT_TRUE(pong->ok);
    EXPECT_EQ(inline_into(*pong, 1), 0);
    EXPECT_TRUE(contains(to_string(pong->function), "call f0("));
}

TEST(Inline, RefusedAndLargeCalleesStayCalls)
{
    auto built = build(R"(
(module
  (memory 1)
  (func $refused (param i32) (result i32) (try_table (result i32) (local.get 0)))
  (func $tail (param i32) (result i32) (return_call $refused (local.get 0)))
  (func $big (param i32) (result i32)
    (i32.add (i32.mul (local.get 0) (local.get 0)) (i32.mul (i32.add (local.get 0) (i32.const 1)) (local.get 0)))
    (i32.xor (i32.load (local.get 0)) (i32.load offset=4 (local.get 0)))
    (i32.xor (i32.load offset=8 (local.get 0)) (i32.load offset=12 (local.get 0)))
    (i32.xor (i32.load offset=16 (local.get 0)) (i32.load offset=20 (local.get 0)))
    (i32.add) (i32.add) (i32.add)
    (i32.store offset=24 (local.get 0) (i32.load offset=28 (local.get 0)))
    (i32.store offset=32 (local.get 0) (i32.load offset=36 (local.get 0)))
    (i32.store offset=40 (local.get 0) (i32.load offset=44 (local.get 0)))
    (i32.store offset=48 (local.get 0) (i32.load offset=52 (local.get 0)))
    (i32.store offset=56 (local.get 0) (i32.load offset=60 (local.get 0)))
    (i32.store offset=64 (local.get 0) (i32.load offset=68 (local.get 0)))
    (i32.store offset=72 (local.get 0) (i32.load offset=76 (local.get 0)))
    (i32.store offset=80 (local.get 0) (i32.load offset=84 (local.get 0))))
  (func (export "f") (param i32) (result i32)
    (i32.add (call $refused (local.get 0)) (i32.add (call $tail (local.get 0)) (call $big (local.get 0))))))
)", 3);
    ASSERT_TRUE(built->ok);
    EXPECT_EQ(inline_into(*built, 3), 0);
    std::string text = to_string(built->function);
    EXPECT_TRUE(contains(text, "call f0(")) << text;
    EXPECT_TRUE(contains(text, "call f1(")) << text;
    EXPECT_TRUE(contains(text, "call f2(")) << text;
    Inliner inliner(built->loaded->module);
    EXPECT_FALSE(MUST(inliner.is_candidate(0)));
    EXPECT_FALSE(MUST(inliner.is_candidate(1)));
    EXPECT_FALSE(MUST(inliner.is_candidate(2)));
    EXPECT_FALSE(MUST(inliner.is_candidate(3 + 1))); // out of range
    // Past the instruction limit too, whatever the body size.
    InlineLimits limits;
    limits.max_body_bytes = 100000;
    Inliner by_count(built->loaded->module, limits);
    EXPECT_FALSE(MUST(by_count.is_candidate(2)));
    limits.max_callee_insts = 1000;
    Inliner generous(built->loaded->module, limits);
    EXPECT_TRUE(MUST(generous.is_candidate(2)));
}

// A caller with many calls of a small callee grows by at most its own size plus the
// growth base: the rest stay calls.
TEST(Inline, GrowthPerCallerIsBounded)
{
    constexpr u32 kCalls = 200;
    std::string wat = "(module (memory 1) (func $g (param i32) (result i32) "
                      "(i32.add (i32.load (local.get 0)) (i32.mul (local.get 0) (i32.const 7))))"
                      " (func (export \"f\") (param i32) (result i32) (local.get 0)";
    for (u32 k = 0; k < kCalls; ++k)
        wat += " (call $g)";
    wat += "))";
    auto built = build(wat.c_str(), 1);
    ASSERT_TRUE(built->ok);
    InlineLimits limits;
    limits.growth_base = 40;
    // The caller counts kCalls calls; each copy of $g counts 3 instructions (load, mul,
    // add; constants and jumps are free).
    i64 inlined = inline_into(*built, 1, limits);
    i64 bound = (kCalls + limits.growth_base) / 3;
    EXPECT_EQ(inlined, bound);
    EXPECT_EQ(count_of(to_string(built->function), "call f0("), kCalls - static_cast<u64>(bound));
}

// A long block of calls: each split moves only the code up to the next site (the
// sites are inlined from the last), so the list pool stays linear in the function.
// Split from the first, every site's continuation copied the rest of the block: about
// 3000^2 / 2 words for 3000 calls.
TEST(Inline, ManyCallsInOneBlockKeepTheListsLinear)
{
    constexpr u32 kCalls = 3000;
    std::string wat = "(module (func $g (param i32 i32) (result i32) (i32.sub (local.get 0) (local.get 1)))"
                      " (func (export \"f\") (param i32) (result i32) (local.get 0)";
    for (u32 k = 0; k < kCalls; ++k)
        wat += " (call $g (i32.const " + std::to_string(k) + "))";
    wat += "))";
    auto built = build(wat.c_str(), 1);
    ASSERT_TRUE(built->ok);
    Inliner inliner(built->loaded->module, {});
    EXPECT_EQ(MUST(inliner.run(built->function)), kCalls);
    const Function& f = built->function;
    EXPECT_EQ(verify_detail(f, &built->loaded->module), "");
    EXPECT_LE(f.lists().storage_size(), 16 * usize { f.inst_count() + f.block_count() })
        << f.lists().storage_size() << " words for " << f.inst_count() << " instructions";
    std::string text = to_string(f);
    EXPECT_EQ(count_of(text, "call f0("), 0u);
    EXPECT_EQ(count_of(text, "i32.sub"), usize { kCalls });
}

} // namespace wk::engine::opt
