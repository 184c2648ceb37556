// Loop-invariant code motion (hoist_loop_invariants).
#include <algorithm>

#include "opt_support.h"

namespace wk::engine::opt {

using namespace testing;

namespace {

// The loop depth of the block holding the (only live) instruction of `op`.
u32 depth_of(const Function& f, Op op)
{
    std::vector<u32> depth = loop_depths(f);
    u32 found = ~0u;
    for (Block block : f.layout()) {
        for (Inst inst : f.insts(block)) {
            if (f.inst(inst).op == op) {
                EXPECT_EQ(found, ~0u) << "more than one " << op_name(op);
                found = depth[block];
            }
        }
    }
    EXPECT_NE(found, ~0u) << "no " << op_name(op);
    return found;
}

// The pipeline's passes before LICM, verified, so the tests see what LICM sees.
void prepare(Built& built)
{
    Function& f = built.function;
    run_passes_before_licm(f);
    ASSERT_EQ(verify_detail(f, &built.loaded->module), "") << to_string(f);
}

} // namespace

TEST(OptLicm, PureInvariantsLeaveTheLoopTrapsAndLoadsStay)
{
    auto built = build(R"((module (memory 1) (func (param $a i32) (param $b i32) (param $n i32) (result i32)
        (local $i i32) (local $acc i32)
        (loop $l
          (local.set $acc (i32.add (local.get $acc) (i32.xor (local.get $a) (local.get $b))))
          (local.set $acc (i32.add (local.get $acc) (i32.div_s (local.get $a) (local.get $b))))
          (local.set $acc (i32.add (local.get $acc) (i32.load (local.get $a))))
          (local.set $acc (i32.add (local.get $acc) (i32.trunc_f32_s (f32.convert_i32_s (local.get $b)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (local.get $acc))))");
    ASSERT_TRUE(built->ok);
    prepare(*built);
    Function& f = built->function;
    ASSERT_EQ(depth_of(f, Op::I32Xor), 1u);
    ASSERT_EQ(depth_of(f, Op::F32ConvertI32S), 1u);
    u32 blocks = f.block_count();
    u32 moved = MUST(hoist_loop_invariants(f));
    EXPECT_EQ(verify_detail(f, &built->loaded->module), "") << to_string(f);
    EXPECT_EQ(depth_of(f, Op::I32Xor), 0u) << to_string(f);
    EXPECT_EQ(depth_of(f, Op::F32ConvertI32S), 0u) << to_string(f);
    EXPECT_EQ(depth_of(f, Op::I32DivS), 1u) << to_string(f);       // may trap
    EXPECT_EQ(depth_of(f, Op::I32Load), 1u) << to_string(f);       // may trap, memory may change
    EXPECT_EQ(depth_of(f, Op::I32TruncF32S), 1u) << to_string(f);  // may trap
    EXPECT_EQ(depth_of(f, Op::I32LtU), 1u) << to_string(f);        // depends on $i
    EXPECT_EQ(moved, 3u) << to_string(f); // xor, convert, and the constant 1
    // The entry jumps only to the loop: it is the preheader, no block is made.
    EXPECT_EQ(f.block_count(), blocks);
    EXPECT_EQ(MUST(hoist_loop_invariants(f)), 0u);
}

TEST(OptLicm, NestedLoopsHoistAsFarAsOperandsAllow)
{
    auto built = build(R"((module (memory 1) (func (param $a i32) (param $n i32) (local $i i32) (local $j i32)
        (loop $outer
          (local.set $j (i32.const 0))
          (loop $inner
            (i32.store (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j))
                       (i32.rotl (local.get $a) (local.get $n)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br_if $inner (i32.lt_u (local.get $j) (local.get $n))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $outer (i32.lt_u (local.get $i) (local.get $n)))))))");
    ASSERT_TRUE(built->ok);
    prepare(*built);
    Function& f = built->function;
    ASSERT_EQ(depth_of(f, Op::I32Mul), 2u) << to_string(f);
    ASSERT_EQ(depth_of(f, Op::I32Rotl), 2u) << to_string(f);
    EXPECT_GE(MUST(hoist_loop_invariants(f)), 2u);
    EXPECT_EQ(verify_detail(f, &built->loaded->module), "") << to_string(f);
    EXPECT_EQ(depth_of(f, Op::I32Rotl), 0u) << to_string(f); // invariant in both loops
    EXPECT_EQ(depth_of(f, Op::I32Mul), 1u) << to_string(f);  // depends on $i only
    EXPECT_EQ(depth_of(f, Op::I32Store), 2u) << to_string(f);
}

TEST(OptLicm, APreheaderIsMadeWhenTheHeaderHasSeveralOutsidePredecessors)
{
    auto built = build(R"((module (func $g) (func (param $a i32) (param $n i32) (result i32) (local $i i32)
        (if (local.get $a) (then (call $g)) (else (call $g) (call $g)))
        (loop $l
          (local.set $i (i32.add (local.get $i) (i32.shl (local.get $a) (local.get $n))))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (local.get $i))))",
                       1);
    ASSERT_TRUE(built->ok);
    prepare(*built);
    Function& f = built->function;
    ASSERT_EQ(depth_of(f, Op::I32Shl), 1u) << to_string(f);
    // Find the header: the block of the shl; it has two predecessors from outside.
    Block header = kNone;
    for (Block block : f.layout()) {
        for (Inst inst : f.insts(block))
            header = f.inst(inst).op == Op::I32Shl ? block : header;
    }
    ASSERT_EQ(f.preds(header).size(), 3u) << to_string(f);
    u32 blocks = static_cast<u32>(f.layout().size());
    EXPECT_EQ(MUST(hoist_loop_invariants(f)), 1u);
    EXPECT_EQ(verify_detail(f, &built->loaded->module), "") << to_string(f);
    EXPECT_EQ(f.layout().size(), blocks + 1u) << to_string(f);
    EXPECT_EQ(depth_of(f, Op::I32Shl), 0u) << to_string(f);
    EXPECT_EQ(f.preds(header).size(), 2u) << to_string(f); // the preheader and the back edge
}

TEST(OptLicm, NothingToMoveMakesNoBlock)
{
    auto built = build(R"((module (memory 1) (func (param $n i32) (local $i i32)
        (if (local.get $n) (then (nop)) (else (i32.store (i32.const 0) (i32.const 0))))
        (loop $l
          (local.set $i (i32.add (local.get $i) (i32.load (local.get $i))))
          (br_if $l (local.get $i))))))");
    ASSERT_TRUE(built->ok);
    prepare(*built);
    Function& f = built->function;
    u32 blocks = f.block_count();
    EXPECT_EQ(MUST(hoist_loop_invariants(f)), 0u) << to_string(f);
    EXPECT_EQ(f.block_count(), blocks);
    EXPECT_EQ(verify_detail(f, &built->loaded->module), "");
}

TEST(OptLicm, DeeplyNestedLoopsStayWithinTheBudget)
{
    // 2000 nested loops around one invariant: the inner loops are handled, and the
    // pass stops (verified) where the quadratic body walks would exceed its budget.
    std::string wat = "(module (func (param i32 i32) (result i32) (local i32)";
    for (int k = 0; k < 2000; ++k)
        wat += " (loop";
    wat += " (local.set 2 (i32.add (local.get 2) (i32.xor (local.get 0) (local.get 1))))"
           " (br_if 0 (i32.lt_u (local.get 2) (local.get 1)))";
    for (int k = 0; k < 2000; ++k)
        wat += " (br_if 0 (local.get 0)))";
    wat += " (local.get 2)))";
    auto built = build(wat.c_str());
    ASSERT_TRUE(built->ok);
    prepare(*built);
    Function& f = built->function;
    ASSERT_EQ(depth_of(f, Op::I32Xor), 2000u);
    EXPECT_GE(MUST(hoist_loop_invariants(f)), 1u);
    EXPECT_EQ(verify_detail(f, &built->loaded->module), "");
    u32 depth = depth_of(f, Op::I32Xor);
    EXPECT_LT(depth, 2000u);
}


// An OSR version entered at the innermost of three loops (docs/optimizing-compiler.md,
// "On-stack replacement") keeps the nest: each loop has its own header, and what is
// invariant in the inner loops leaves them as in the normal version. (Entered straight
// at the inner header, the three would be one loop headed there, all at depth 1.)
TEST(OptLicm, OsrVersionEnteredAtAnInnerLoopKeepsTheNest)
{
    const char* wat = R"((module (memory 1) (func (param $a i32) (param $n i32) (local $i i32) (local $j i32) (local $k i32)
        (loop $outer
          (local.set $j (i32.const 0))
          (loop $middle
            (local.set $k (i32.const 0))
            (if (i32.and (local.get $j) (i32.const 1))
              (then
                (loop $inner
                  (i32.store (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $k))
                             (i32.add (i32.rotl (local.get $a) (local.get $n)) (local.get $j)))
                  (local.set $k (i32.add (local.get $k) (i32.const 1)))
                  (br_if $inner (i32.lt_u (local.get $k) (local.get $n))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br_if $middle (i32.lt_u (local.get $j) (local.get $n))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $outer (i32.lt_u (local.get $i) (local.get $n)))))))";
    auto loaded = load(wat);
    ASSERT_TRUE(loaded);
    Builder builder(loaded->module);
    Function f;
    ASSERT_FALSE(builder.build(0, f).is_error());
    ASSERT_EQ(builder.loop_offsets().size(), 3u);
    builder.set_osr_loop(builder.loop_offsets()[2]);
    auto built = builder.build(0, f);
    ASSERT_FALSE(built.is_error()) << built.error().message();
    EXPECT_EQ(builder.osr_local_count(), 5u); // the wasm locals only, not the hidden flag
    ASSERT_FALSE(optimize(f, { .verify = true, .module = &loaded->module }).is_error()) << to_string(f);
    std::vector<u32> depth = loop_depths(f);
    u32 deepest = 0;
    for (Block block : f.layout())
        deepest = std::max(deepest, depth[block]);
    EXPECT_EQ(deepest, 3u) << to_string(f);
    EXPECT_EQ(depth_of(f, Op::I32Store), 3u) << to_string(f);
    EXPECT_EQ(depth_of(f, Op::I32Rotl), 0u) << to_string(f); // invariant in all three
    EXPECT_EQ(depth_of(f, Op::I32Mul), 1u) << to_string(f);  // depends on $i only
}

} // namespace wk::engine::opt
