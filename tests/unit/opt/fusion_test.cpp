// Compare/branch fusion across instructions (regalloc.h, is_fused_early): a compare used
// only by its block's branch stays where it stands and leaves its result in the flags,
// when what lies between is add or sub of a constant (emitted as lea, which keeps the
// flags). Results must equal the baseline's, at the i32 wrap and the i64 displacement limits.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/opt/builder.h"
#include "engine/opt/passes.h"
#include "engine/text/wat.h"
#include "engine/x64/opt/regalloc.h"
#include "tests/unit/opt/allocated.h"
#include "tests/unit/opt/codegen_harness.h"

namespace wk::engine::opt {

namespace {

// A flip loop (fannkuch's): lo goes up, hi down by `step`, until lo >= hi; the compare
// reads hi before it is stepped. TYPE is i32 or i64; "count" returns the iterations (at
// most 5000) plus lo and hi.
std::string flip_loop(const char* type, const std::string& step, const std::string& lo_step)
{
    std::string t = type;
    auto widen = [&](const char* local) {
        return t == "i32" ? "(i64.extend_i32_s (local.get " + std::string(local) + "))" : "(local.get " + std::string(local) + ")";
    };
    return "(func (export \"count_" + t + "_" + step + "_" + lo_step + "\") (param $lo " + t + ") (param $hi " + t
        + ") (result i64) (local $n i64)"
          " (block $done (loop $l"
          "   (br_if $done (i64.ge_u (local.get $n) (i64.const 5000)))"
          "   (local.set $n (i64.add (local.get $n) (i64.const 1)))"
          "   (local.set $lo (" + t + ".add (local.get $lo) (" + t + ".const " + lo_step + ")))"
          "   (" + t + ".lt_s (local.get $lo) (local.get $hi))"
          "   (local.set $hi (" + t + ".sub (local.get $hi) (" + t + ".const " + step + ")))"
          "   (br_if $l)"
          "   (br_if $l (i64.lt_u (local.get $n) (i64.const 3)))))"
          " (i64.add (local.get $n) (i64.add " + widen("$lo") + " " + widen("$hi") + ")))";
}

std::string module_text()
{
    std::string wat = "(module";
    wat += flip_loop("i32", "1", "1");
    wat += flip_loop("i32", "-2147483648", "1"); // a sub that wraps as i32
    wat += flip_loop("i64", "1", "1");
    wat += flip_loop("i64", "2147483647", "-2147483648"); // the largest displacements a lea takes
    wat += flip_loop("i64", "-2147483648", "1"); // lea by +2^31 does not fit: not fused
    wat += ")";
    return wat;
}

} // namespace

TEST(Fusion, ACompareBeforeAConstantStepIsFusedWithItsBranch)
{
    std::string wat = module_text();
    // Functions 0-3 fuse their lt_s early; in function 4 the i64 sub by -2^31 is in the way.
    for (u32 index = 0; index < 5; ++index) {
        auto allocated = testing::allocate(wat, index);
        ASSERT_TRUE(allocated);
        const Function& function = allocated->function;
        const x64::opt::Allocator& allocator = allocated->allocator;
        u32 early = 0;
        for (Value v = 0; v < function.value_count(); ++v) {
            if (function.value(v).kind == ValueKind::Result && allocator.is_fused_early(v))
                ++early;
        }
        EXPECT_EQ(early, index < 4 ? 1u : 0u) << "function " << index;
    }

    auto [baseline, optimized] = instantiate_both(wat);
    ASSERT_TRUE(baseline && optimized);
    EXPECT_EQ(optimized->statistics.optimized_functions, optimized->statistics.functions);
    const char* names[] = { "count_i32_1_1", "count_i32_-2147483648_1", "count_i64_1_1",
                            "count_i64_2147483647_-2147483648", "count_i64_-2147483648_1" };
    const u64 values[] = { 0, 1, 5, 1000, 0x7fff'ffff, 0x8000'0000, 0xffff'ffff, 0x1'0000'0000, ~u64 { 0 },
                           0x8000'0000'0000'0000 };
    u32 compared = 0;
    for (const char* name : names) {
        for (u64 lo : values) {
            for (u64 hi : values) {
                std::string expected = run_text(*baseline, name, { lo, hi });
                EXPECT_EQ(run_text(*optimized, name, { lo, hi }), expected) << name << " " << lo << " " << hi;
                ++compared;
            }
        }
    }
    EXPECT_GT(compared, 300u);
}

} // namespace wk::engine::opt

namespace wk::engine::opt {

// x + (y << k) is one lea when k is 1 to 3 and the shift has no other use (regalloc.h,
// is_folded): exact for every operand, the i32 wrap included.
TEST(Fusion, AShiftedAddendIsFoldedIntoALea)
{
    std::string wat = "(module";
    u32 functions = 0;
    for (const char* t : { "i32", "i64" }) {
        std::string type = t;
        for (u32 k = 0; k <= 4; ++k) {
            wat += " (func (export \"sum_" + type + "_" + std::to_string(k) + "\") (param $x " + type + ") (param $y "
                + type + ") (result " + type + ") (" + type + ".add (local.get $x) (" + type + ".shl (local.get $y) ("
                + type + ".const " + std::to_string(k + (k == 2 ? 64 : 0)) + "))))";
            ++functions;
        }
        // The shift used twice, and an add whose shift comes from another block: not folded.
        wat += " (func (export \"twice_" + type + "\") (param $x " + type + ") (param $y " + type + ") (result " + type
            + ") (local $s " + type + ") (local.set $s (" + type + ".shl (local.get $y) (" + type + ".const 2)))"
              " (" + type + ".add (local.get $s) (" + type + ".add (local.get $x) (local.get $s))))";
        wat += " (func (export \"across_" + type + "\") (param $x " + type + ") (param $y " + type + ") (result " + type
            + ") (local $s " + type + ") (local.set $s (" + type + ".shl (local.get $y) (" + type + ".const 3)))"
              " (if (" + type + ".eqz (local.get $x)) (then (return (local.get $s))))"
              " (" + type + ".add (local.get $x) (local.get $s)))";
        functions += 2;
    }
    wat += ")";
    u32 folded_total = 0;
    for (u32 index = 0; index < functions; ++index) {
        auto allocated = testing::allocate(wat, index);
        ASSERT_TRUE(allocated);
        const Function& function = allocated->function;
        const x64::opt::Allocator& allocator = allocated->allocator;
        u32 folded = 0;
        for (Value v = 0; v < function.value_count(); ++v) {
            if (function.value(v).kind == ValueKind::Result && allocator.is_folded(v))
                ++folded;
        }
        // Per type: k = 0 (folding makes it a plain add) and 4 are not folded, 1 to 3 (2 as 66 mod 64) are.
        u32 k = index % 7;
        EXPECT_EQ(folded, k >= 1 && k <= 3 ? 1u : 0u) << "function " << index;
        folded_total += folded;
    }
    EXPECT_EQ(folded_total, 6u);

    auto [baseline, optimized] = instantiate_both(wat);
    ASSERT_TRUE(baseline && optimized);
    EXPECT_EQ(optimized->statistics.optimized_functions, optimized->statistics.functions);
    const u64 values[] = { 0, 1, 3, 0x7fff'ffff, 0x8000'0000, 0xffff'ffff, 0x1'0000'0000, 0x2000'0000'0000'0001,
                           0x7fff'ffff'ffff'ffff, ~u64 { 0 } };
    u32 compared = 0;
    for (u32 index = 0; index < functions; ++index) {
        std::string type = index < 7 ? "i32" : "i64";
        u32 k = index % 7;
        std::string name = k <= 4 ? "sum_" + type + "_" + std::to_string(k) : (k == 5 ? "twice_" : "across_") + type;
        for (u64 x : values) {
            for (u64 y : values) {
                // i32 parameters take the low halves (the harness passes the bits).
                u64 mask = type == "i32" ? 0xffff'ffffu : ~u64 { 0 };
                std::string expected = run_text(*baseline, name, { x & mask, y & mask });
                EXPECT_EQ(run_text(*optimized, name, { x & mask, y & mask }), expected) << name << " " << x << " " << y;
                ++compared;
            }
        }
    }
    EXPECT_EQ(compared, functions * 100);
}

} // namespace wk::engine::opt

namespace wk::engine::opt {

// A compare used only by a select after it in its block gives the select its flags
// (regalloc.h, is_fused_early; lower.cpp emit_select): cmov or a jcc on the compare's
// own condition, no setcc/movzx/test. Every kind of compare, each select type, a lea
// between the two, and a compare used twice (not fused); results equal the baseline's.
TEST(Fusion, ACompareUsedByASelectGivesItsFlags)
{
    const char* compares[] = { "i32.eq", "i32.lt_s", "i32.gt_u", "i32.le_u", "i32.eqz", "i64.ne", "i64.le_s", "i64.ge_u",
                               "i64.gt_s", "i64.eqz" };
    const char* types[] = { "i32", "i64", "f64" };
    std::string wat = "(module";
    u32 functions = 0;
    for (const char* c : compares) {
        std::string compare = c;
        bool narrow = compare.starts_with("i32");
        std::string x = narrow ? "(i32.wrap_i64 (local.get $x))" : "(local.get $x)";
        std::string y = narrow ? "(i32.wrap_i64 (local.get $y))" : "(local.get $y)";
        std::string cond = compare.ends_with("eqz") ? "(" + compare + " " + x + ")" : "(" + compare + " " + x + " " + y + ")";
        for (const char* t : types) {
            std::string type = t;
            std::string a = type == "i32" ? "(i32.add (i32.wrap_i64 (local.get $x)) (i32.const 7))"
                : type == "i64"           ? "(i64.add (local.get $x) (i64.const 7))"
                                          : "(f64.convert_i64_s (local.get $x))";
            std::string b = type == "i32" ? "(i32.wrap_i64 (local.get $y))" : type == "i64" ? "(local.get $y)" : "(f64.convert_i64_u (local.get $y))";
            std::string widen = type == "i32" ? "i64.extend_i32_u" : type == "i64" ? "" : "i64.reinterpret_f64";
            std::string select = "(select (result " + type + ") " + a + " " + b + " " + cond + ")";
            wat += " (func (export \"f" + std::to_string(functions) + "\") (param $x i64) (param $y i64) (result i64) "
                + (widen.empty() ? select : "(" + widen + " " + select + ")") + ")";
            ++functions;
        }
    }
    // The compare first, then an add of a constant (a lea) before the select: fused.
    wat += " (func (export \"f" + std::to_string(functions++) + "\") (param $x i64) (param $y i64) (result i64) (local $c i32)"
           " (local.set $c (i64.lt_u (local.get $x) (local.get $y)))"
           " (select (i64.add (local.get $x) (i64.const -5)) (local.get $y) (local.get $c)))";
    // The compare used twice: not fused.
    wat += " (func (export \"f" + std::to_string(functions++) + "\") (param $x i64) (param $y i64) (result i64) (local $c i32)"
           " (local.set $c (i64.lt_s (local.get $x) (local.get $y)))"
           " (i64.add (i64.extend_i32_u (local.get $c)) (select (local.get $x) (local.get $y) (local.get $c))))";
    wat += ")";
    for (u32 index = 0; index < functions; ++index) {
        auto allocated = testing::allocate(wat, index);
        ASSERT_TRUE(allocated);
        const Function& function = allocated->function;
        u32 early = 0;
        for (Value v = 0; v < function.value_count(); ++v) {
            if (function.value(v).kind == ValueKind::Result && allocated->allocator.is_fused_early(v))
                ++early;
        }
        EXPECT_EQ(early, index + 1 < functions ? 1u : 0u) << "function " << index;
    }

    auto [baseline, optimized] = instantiate_both(wat);
    ASSERT_TRUE(baseline && optimized);
    EXPECT_EQ(optimized->statistics.optimized_functions, optimized->statistics.functions);
    const u64 values[] = { 0, 1, 5, 0x7fff'ffff, 0x8000'0000, 0xffff'ffff, 0x1'0000'0000, 0x7fff'ffff'ffff'ffff,
                           0x8000'0000'0000'0000, ~u64 { 0 } };
    u32 compared = 0;
    for (u32 index = 0; index < functions; ++index) {
        std::string name = "f" + std::to_string(index);
        for (u64 x : values) {
            for (u64 y : values) {
                std::string expected = run_text(*baseline, name, { x, y });
                EXPECT_EQ(run_text(*optimized, name, { x, y }), expected) << name << " " << x << " " << y;
                ++compared;
            }
        }
    }
    EXPECT_EQ(compared, functions * 100);
}

} // namespace wk::engine::opt
