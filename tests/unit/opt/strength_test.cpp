// Strength reduction and algebraic simplification (reduce_strength). Exactness over
// many operands is checked against the engine in fold_diff_test.cpp; these tests
// check which rewrites happen and which deliberately do not.
#include "opt_support.h"

namespace wk::engine::opt {

using namespace testing;

namespace {

u32 count_ops(const Function& function, Op op)
{
    u32 count = 0;
    for (Block block : function.layout()) {
        for (Inst inst : function.insts(block))
            count += function.inst(inst).op == op;
    }
    return count;
}

// Builds, reduces, verifies; returns the printed IR.
std::string reduced(const char* wat, u32 expected_changes)
{
    auto built = build(wat);
    EXPECT_TRUE(built->ok);
    if (!built->ok)
        return "";
    Function& f = built->function;
    u32 changes = MUST(reduce_strength(f));
    EXPECT_EQ(verify_detail(f, &built->loaded->module), "") << to_string(f);
    EXPECT_EQ(changes, expected_changes) << to_string(f);
    return to_string(f);
}

} // namespace

TEST(OptStrength, MultiplyByPowerOfTwoBecomesShift)
{
    std::string text = reduced(R"((module (func (param i32 i64) (result i32)
        (i32.mul (local.get 0) (i32.const 8))
        (i32.mul (i32.const 0x80000000) (local.get 0)) (i32.add)
        (i32.wrap_i64 (i64.mul (local.get 1) (i64.const 0x100000000))) (i32.add))))",
                               3);
    EXPECT_FALSE(contains(text, ".mul")) << text;
    EXPECT_EQ(count_of(text, "i32.shl"), 2u) << text;
    EXPECT_TRUE(contains(text, "const.i32 3")) << text;
    EXPECT_TRUE(contains(text, "const.i32 31")) << text;
    EXPECT_TRUE(contains(text, "i64.shl")) << text;
    EXPECT_TRUE(contains(text, "const.i64 32")) << text;
}

TEST(OptStrength, MultiplyByZeroOneAndMinusOne)
{
    std::string text = reduced(R"((module (func (param i64) (result i64)
        (i64.mul (local.get 0) (i64.const 0))
        (i64.mul (local.get 0) (i64.const -1)) (i64.add)
        (i64.mul (local.get 0) (i64.const 3)) (i64.add))))",
                               2);
    EXPECT_EQ(count_of(text, "i64.mul"), 1u) << text; // by 3 stays
    EXPECT_TRUE(contains(text, "i64.sub")) << text;    // 0 - x
}

TEST(OptStrength, UnsignedDivisionAndRemainderByPowersOfTwo)
{
    std::string text = reduced(R"((module (func (param i32) (result i32)
        (i32.div_u (local.get 0) (i32.const 16))
        (i32.rem_u (local.get 0) (i32.const 16)) (i32.add)
        (i32.div_u (local.get 0) (i32.const 0)) (i32.add)
        (i32.div_u (local.get 0) (i32.const 3)) (i32.add)
        (i32.rem_u (local.get 0) (i32.const 1)) (i32.add))))",
                               3);
    EXPECT_TRUE(contains(text, "i32.shr_u")) << text;
    EXPECT_TRUE(contains(text, "i32.and")) << text;
    EXPECT_TRUE(contains(text, "const.i32 15")) << text;
    EXPECT_EQ(count_of(text, "i32.div_u"), 2u) << text; // by 0 (traps) and by 3 stay
    EXPECT_FALSE(contains(text, "i32.rem_u")) << text;  // rem_u by 1 is 0
}

TEST(OptStrength, SignedDivisionOnlyWithTheRoundingFixUp)
{
    auto built = build(R"((module (func (param i32) (result i32)
        (i32.div_s (local.get 0) (i32.const 4))
        (i32.div_s (local.get 0) (i32.const -4)) (i32.add)
        (i32.div_s (local.get 0) (i32.const 0x80000000)) (i32.add)
        (i32.div_s (local.get 0) (i32.const -1)) (i32.add)
        (i32.rem_s (local.get 0) (i32.const -1)) (i32.add)
        (i32.rem_s (local.get 0) (i32.const 8)) (i32.add))))");
    ASSERT_TRUE(built->ok);
    Function& f = built->function;
    EXPECT_EQ(MUST(reduce_strength(f)), 3u);
    EXPECT_EQ(verify_detail(f, &built->loaded->module), "");
    // by -4, INT_MIN and -1 (which traps on INT_MIN) stay divisions
    EXPECT_EQ(count_ops(f, Op::I32DivS), 3u) << to_string(f);
    EXPECT_EQ(count_ops(f, Op::I32RemS), 0u) << to_string(f);
    // x / 4 and x rem 8: sign, bias, add each, then a shift or and+sub
    EXPECT_EQ(count_ops(f, Op::I32ShrS), 3u) << to_string(f);
    EXPECT_EQ(count_ops(f, Op::I32ShrU), 2u) << to_string(f);
    EXPECT_TRUE(contains(to_string(f), "const.i32 -8")) << to_string(f);
}

TEST(OptStrength, SameOperandOnBothSidesIntegersOnly)
{
    auto built = build(R"((module (func (param i32 f32 i64) (result i32)
        (i32.sub (local.get 0) (local.get 0))
        (i32.xor (local.get 0) (local.get 0)) (i32.add)
        (i32.and (local.get 0) (local.get 0)) (i32.add)
        (i32.or (local.get 0) (local.get 0)) (i32.add)
        (i64.lt_s (local.get 2) (local.get 2)) (i32.add)
        (i64.ge_u (local.get 2) (local.get 2)) (i32.add)
        (f32.eq (local.get 1) (local.get 1)) (i32.add)
        (i32.trunc_sat_f32_s (f32.sub (local.get 1) (local.get 1))) (i32.add))))");
    ASSERT_TRUE(built->ok);
    Function& f = built->function;
    EXPECT_EQ(MUST(reduce_strength(f)), 6u);
    EXPECT_EQ(verify_detail(f, &built->loaded->module), "");
    std::string text = to_string(f);
    EXPECT_EQ(count_ops(f, Op::I32Sub) + count_ops(f, Op::I32Xor) + count_ops(f, Op::I32And)
                  + count_ops(f, Op::I32Or) + count_ops(f, Op::I64LtS) + count_ops(f, Op::I64GeU),
              0u)
        << text;
    // NaN: f32.eq x x is 0 for a NaN, and f32.sub x x is NaN for infinities
    EXPECT_EQ(count_ops(f, Op::F32Eq), 1u) << text;
    EXPECT_EQ(count_ops(f, Op::F32Sub), 1u) << text;
}

TEST(OptStrength, EqzOfComparisons)
{
    std::string text = reduced(R"((module (func (param i32 i32 i64 f64) (result i32)
        (i32.eqz (i32.lt_s (local.get 0) (local.get 1)))
        (i32.eqz (i32.eqz (i64.gt_u (local.get 2) (i64.const 7)))) (i32.add)
        (i32.eqz (i32.eqz (local.get 1))) (i32.add)
        (i32.eqz (i64.eqz (local.get 2))) (i32.add)
        (i32.eqz (f64.lt (local.get 3) (local.get 3))) (i32.add))))",
                               5);
    EXPECT_TRUE(contains(text, "i32.ge_s v0, v1")) << text;
    // eqz(eqz(a > b)): the inner eqz became a <= b, the outer a > b again
    EXPECT_EQ(count_of(text, "i64.gt_u"), 2u) << text; // the original (now unused) and the rebuilt one
    EXPECT_TRUE(contains(text, "i32.ne v1")) << text;   // not known to be 0 or 1
    EXPECT_TRUE(contains(text, "i64.ne v2")) << text;
    EXPECT_EQ(count_of(text, "i32.eqz"), 2u) << text; // inner eqz of v1 (now unused), and eqz of the f64.lt
}

TEST(OptStrength, PipelineVerifiesAndReachesAFixedPointQuickly)
{
    auto built = build(R"((module (memory 1) (func (param i32) (result i32) (local i32)
        (loop $l
          (local.set 1 (i32.add (local.get 1)
                         (i32.load (i32.mul (i32.rem_u (local.get 0) (i32.const 64)) (i32.const 4)))))
          (br_if $l (i32.eqz (i32.eqz (i32.lt_u (local.get 1) (i32.const 100))))))
        (local.get 1))))");
    ASSERT_TRUE(built->ok);
    Function& f = built->function;
    ASSERT_FALSE(optimize(f, { .verify = true, .module = &built->loaded->module }).is_error()) << to_string(f);
    std::string text = to_string(f);
    EXPECT_EQ(count_ops(f, Op::I32Mul) + count_ops(f, Op::I32RemU) + count_ops(f, Op::I32Eqz), 0u) << text;
    EXPECT_EQ(MUST(reduce_strength(f)), 0u) << text;
}

} // namespace wk::engine::opt
