// Constant folding against wasm semantics: each case is a function returning OP of
// constants; after folding it returns a constant with the spec's result, or (where
// the operation traps or yields a NaN) still computes it.
#include "opt_support.h"

namespace wk::engine::opt {

using namespace testing;

namespace {

// Returns the folded constant's printed form ("const.i32 7"), or "" if the op remained.
std::string fold(const std::string& result_type, const std::string& body)
{
    std::string wat = "(module (func (result " + result_type + ") " + body + "))";
    auto built = build(wat.c_str());
    if (!built->ok)
        return "<build failed>";
    auto folded = fold_constants(built->function);
    EXPECT_FALSE(folded.is_error());
    std::string detail = verify_detail(built->function);
    EXPECT_EQ(detail, "");
    MUST(eliminate_dead_code(built->function));
    std::string text = to_string(built->function);
    // After DCE a fully folded function is one constant and a return.
    if (built->function.inst_count() == 0 || count_of(text, "\n    ") != 2)
        return "";
    usize at = text.find("= const.");
    if (at == std::string::npos)
        return "";
    usize end = text.find('\n', at);
    return text.substr(at + 2, end - at - 2);
}

} // namespace

TEST(OptFold, IntegerArithmeticWraps)
{
    EXPECT_EQ(fold("i32", "(i32.add (i32.const 0x7fffffff) (i32.const 1))"), "const.i32 -2147483648");
    EXPECT_EQ(fold("i32", "(i32.sub (i32.const 0) (i32.const 1))"), "const.i32 -1");
    EXPECT_EQ(fold("i32", "(i32.mul (i32.const 0x10000) (i32.const 0x10000))"), "const.i32 0");
    EXPECT_EQ(fold("i64", "(i64.mul (i64.const 0x100000000) (i64.const 0x100000000))"), "const.i64 0");
    EXPECT_EQ(fold("i64", "(i64.add (i64.const -1) (i64.const 5))"), "const.i64 4");
}

TEST(OptFold, ShiftCountsAreMasked)
{
    EXPECT_EQ(fold("i32", "(i32.shl (i32.const 1) (i32.const 33))"), "const.i32 2");
    EXPECT_EQ(fold("i32", "(i32.shr_s (i32.const -8) (i32.const 1))"), "const.i32 -4");
    EXPECT_EQ(fold("i32", "(i32.shr_u (i32.const -8) (i32.const 33))"), "const.i32 2147483644");
    EXPECT_EQ(fold("i64", "(i64.shl (i64.const 1) (i64.const 65))"), "const.i64 2");
    EXPECT_EQ(fold("i32", "(i32.rotl (i32.const 0x80000001) (i32.const 1))"), "const.i32 3");
    EXPECT_EQ(fold("i64", "(i64.rotr (i64.const 1) (i64.const 1))"), "const.i64 -9223372036854775808");
}

TEST(OptFold, DivisionFoldsOnlyWhenItCannotTrap)
{
    EXPECT_EQ(fold("i32", "(i32.div_s (i32.const -7) (i32.const 2))"), "const.i32 -3");
    EXPECT_EQ(fold("i32", "(i32.rem_s (i32.const -7) (i32.const 2))"), "const.i32 -1");
    EXPECT_EQ(fold("i32", "(i32.div_u (i32.const -1) (i32.const 2))"), "const.i32 2147483647");
    EXPECT_EQ(fold("i32", "(i32.div_s (i32.const 1) (i32.const 0))"), "");
    EXPECT_EQ(fold("i32", "(i32.rem_u (i32.const 1) (i32.const 0))"), "");
    EXPECT_EQ(fold("i32", "(i32.div_s (i32.const 0x80000000) (i32.const -1))"), "");
    // rem_s of INT_MIN by -1 is defined: 0.
    EXPECT_EQ(fold("i32", "(i32.rem_s (i32.const 0x80000000) (i32.const -1))"), "const.i32 0");
    EXPECT_EQ(fold("i64", "(i64.div_s (i64.const 0x8000000000000000) (i64.const -1))"), "");
    EXPECT_EQ(fold("i64", "(i64.rem_s (i64.const 0x8000000000000000) (i64.const -1))"), "const.i64 0");
}

TEST(OptFold, BitCountsComparesAndConversions)
{
    EXPECT_EQ(fold("i32", "(i32.clz (i32.const 0))"), "const.i32 32");
    EXPECT_EQ(fold("i32", "(i32.ctz (i32.const 0x100))"), "const.i32 8");
    EXPECT_EQ(fold("i64", "(i64.popcnt (i64.const -1))"), "const.i64 64");
    EXPECT_EQ(fold("i32", "(i32.lt_s (i32.const -1) (i32.const 0))"), "const.i32 1");
    EXPECT_EQ(fold("i32", "(i32.lt_u (i32.const -1) (i32.const 0))"), "const.i32 0");
    EXPECT_EQ(fold("i32", "(i32.wrap_i64 (i64.const 0x1ffffffff))"), "const.i32 -1");
    EXPECT_EQ(fold("i64", "(i64.extend_i32_u (i32.const -1))"), "const.i64 4294967295");
    EXPECT_EQ(fold("i64", "(i64.extend_i32_s (i32.const -1))"), "const.i64 -1");
    EXPECT_EQ(fold("i32", "(i32.extend8_s (i32.const 0x80))"), "const.i32 -128");
}

TEST(OptFold, FloatArithmeticFoldsUnlessNaN)
{
    EXPECT_EQ(fold("f32", "(f32.add (f32.const 1.5) (f32.const 2.25))"), "const.f32 0x40700000");
    EXPECT_EQ(fold("f64", "(f64.mul (f64.const 0.5) (f64.const 4))"), "const.f64 0x4000000000000000");
    EXPECT_EQ(fold("f32", "(f32.div (f32.const 0) (f32.const 0))"), "");      // NaN: left to the machine
    EXPECT_EQ(fold("f64", "(f64.add (f64.const nan) (f64.const 1))"), "");
    EXPECT_EQ(fold("f32", "(f32.div (f32.const 1) (f32.const 0))"), "const.f32 0x7f800000");
    EXPECT_EQ(fold("f32", "(f32.neg (f32.const nan))"), "const.f32 0xffc00000"); // sign only: exact
    EXPECT_EQ(fold("f32", "(f32.min (f32.const 0) (f32.const -0))"), "const.f32 0x80000000");
    EXPECT_EQ(fold("f32", "(f32.max (f32.const -0) (f32.const 0))"), "const.f32 0x0");
    EXPECT_EQ(fold("f32", "(f32.min (f32.const nan) (f32.const 0))"), "");
    EXPECT_EQ(fold("i32", "(f64.lt (f64.const nan) (f64.const 1))"), "const.i32 0");
    EXPECT_EQ(fold("i32", "(f64.ne (f64.const nan) (f64.const nan))"), "const.i32 1");
    EXPECT_EQ(fold("f32", "(f32.sqrt (f32.const 4))"), ""); // not folded by design
}

TEST(OptFold, FloatToIntegerTrapsAreLeftAlone)
{
    EXPECT_EQ(fold("i32", "(i32.trunc_f32_s (f32.const -3.9))"), "const.i32 -3");
    EXPECT_EQ(fold("i32", "(i32.trunc_f64_s (f64.const -2147483648.9))"), "const.i32 -2147483648");
    EXPECT_EQ(fold("i32", "(i32.trunc_f64_s (f64.const -2147483649))"), "");
    EXPECT_EQ(fold("i32", "(i32.trunc_f32_u (f32.const 3e9))"), "const.i32 -1294967296");
    EXPECT_EQ(fold("i32", "(i32.trunc_f32_s (f32.const 3e9))"), "");
    EXPECT_EQ(fold("i32", "(i32.trunc_f32_u (f32.const nan))"), "");
    EXPECT_EQ(fold("i32", "(i32.trunc_sat_f32_s (f32.const 3e9))"), "const.i32 2147483647");
    EXPECT_EQ(fold("i32", "(i32.trunc_sat_f32_u (f32.const -5))"), "const.i32 0");
    EXPECT_EQ(fold("i64", "(i64.trunc_sat_f64_s (f64.const nan))"), "const.i64 0");
    EXPECT_EQ(fold("i64", "(i64.trunc_f64_s (f64.const -9223372036854775808))"), "const.i64 -9223372036854775808");
    EXPECT_EQ(fold("i64", "(i64.trunc_f64_s (f64.const 9223372036854775808))"), "");
    EXPECT_EQ(fold("i64", "(i64.trunc_f64_u (f64.const 18446744073709549568))"), "const.i64 -2048");
    EXPECT_EQ(fold("f32", "(f32.convert_i64_u (i64.const -1))"), "const.f32 0x5f800000");
    EXPECT_EQ(fold("f32", "(f32.demote_f64 (f64.const nan))"), "");
}

TEST(OptFold, ChainsFoldInOneWalk)
{
    EXPECT_EQ(fold("i32", "(i32.mul (i32.add (i32.const 2) (i32.const 3)) (i32.sub (i32.const 10) (i32.const 3)))"),
              "const.i32 35");
}

TEST(OptFold, IdentitiesBecomeTheOperand)
{
    auto built = build(R"((module (func (param i32 i64) (result i32)
        (i32.add (i32.shl (i32.or (local.get 0) (i32.const 0)) (i32.const 32))
                 (i32.wrap_i64 (i64.mul (i64.const 1) (local.get 1)))))))");
    ASSERT_TRUE(built->ok);
    ASSERT_FALSE(fold_constants(built->function).is_error());
    EXPECT_EQ(verify_detail(built->function), "");
    std::string text = to_string(built->function);
    EXPECT_FALSE(contains(text, "i32.or")) << text;
    EXPECT_FALSE(contains(text, "i32.shl")) << text;
    EXPECT_FALSE(contains(text, "i64.mul")) << text;
    EXPECT_TRUE(contains(text, "i32.wrap_i64 v1")) << text;
    EXPECT_TRUE(contains(text, "i32.add v0, v")) << text;
}

TEST(OptFold, ConstantBranchesBecomeJumps)
{
    auto built = build(R"((module (func (param i32) (result i32)
        (if (result i32) (i32.const 0) (then (i32.div_s (local.get 0) (i32.const 3))) (else (i32.const 7)))
        (block (block (br_table 0 1 0 (i32.const 1))))
        )))");
    ASSERT_TRUE(built->ok);
    u32 blocks_before = static_cast<u32>(built->function.layout().size());
    ASSERT_FALSE(fold_constants(built->function).is_error());
    EXPECT_EQ(verify_detail(built->function), "");
    std::string text = to_string(built->function);
    EXPECT_FALSE(contains(text, "brif")) << text;
    EXPECT_FALSE(contains(text, "switch")) << text;
    EXPECT_FALSE(contains(text, "div_s")) << text; // the then block became unreachable
    EXPECT_LT(built->function.layout().size(), blocks_before);
}

} // namespace wk::engine::opt
