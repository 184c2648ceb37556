// Hostile shapes (docs/optimizing-compiler.md, "Hostile input") compiled by the
// optimising tier in seconds, giving the baseline's results: 3000 nested loops whose
// locals are set under `if (i32.const 0)` (simplify's old sweeps took minutes) and
// 1500 inlined calls in one block (the inliner's old splits were quadratic; at 5000 the
// allocator's liveness refuses the function); many locals read after many loops, blocks
// and ifs (SSA construction by lookups was locals x blocks and refused them).
#include <gtest/gtest.h>

#include "codegen_harness.h"

namespace wk::engine::opt {

namespace {

void expect_same_results(const std::string& wat, const std::vector<std::vector<u64>>& calls)
{
    TierPair tiers = instantiate_both(wat);
    ASSERT_TRUE(tiers.baseline && tiers.optimized);
    EXPECT_EQ(tiers.optimized->statistics.optimized_functions, tiers.optimized->statistics.functions);
    for (const auto& args : calls) {
        std::string baseline = run_text(*tiers.baseline, "f", args);
        EXPECT_EQ(run_text(*tiers.optimized, "f", args), baseline) << "f(" << args[0] << ")";
        EXPECT_EQ(baseline.rfind("trap", 0), std::string::npos) << baseline;
    }
}

} // namespace

TEST(HostileCodegen, DeepNestOfLoopsWhoseBodiesFoldAway)
{
    // The innermost loop counts the parameter down; every outer loop goes round while
    // local 2 (set only under `if (i32.const 0)`) is non-zero, so never.
    std::string wat = "(module (func (export \"f\") (param i32) (result i32) (local i32 i32)";
    for (int k = 0; k < 3000; ++k)
        wat += " loop";
    wat += " i32.const 0 if i32.const 9 local.set 2 end"
           " local.get 1 local.get 0 i32.add local.set 1"
           " local.get 0 i32.const 1 i32.sub local.tee 0 br_if 0 end";
    for (int k = 1; k < 3000; ++k)
        wat += " local.get 2 br_if 0 end";
    wat += " local.get 1 local.get 2 i32.add))";
    expect_same_results(wat, { { 1 }, { 10 }, { 1000 } });
}

TEST(HostileCodegen, InlinedCallsInOneLongBlock)
{
    std::string wat = "(module (func $g (param i32 i32) (result i32) (i32.sub (local.get 0) (local.get 1)))"
                      " (func (export \"f\") (param i32) (result i32) (local.get 0)";
    for (int k = 0; k < 1500; ++k)
        wat += " (call $g (i32.mul (local.get 0) (i32.const " + std::to_string(k % 7) + ")))";
    wat += "))";
    expect_same_results(wat, { { 0 }, { 3 }, { 0xFFFF'FFFF } });
}

// Every local is read at the end, after sequential constructs that each change a few:
// the optimising tier built these by looking each local up through every block on the
// way (locals x blocks) and refused them by its budget; now every function compiles.
TEST(HostileCodegen, ManyLocalsReadAfterManyLoopsBlocksAndIfs)
{
    auto module = [](u32 locals, const std::string& middle) {
        std::string wat = "(module (func (export \"f\") (param i32) (result i32) (local";
        for (u32 i = 0; i < locals; ++i)
            wat += " i32";
        wat += ")" + middle + " i32.const 0";
        for (u32 i = 0; i < locals; ++i)
            wat += " local.get " + std::to_string(1 + i) + " i32.const " + std::to_string(i % 13) + " i32.mul i32.add";
        return wat + "))";
    };
    auto bump = [](u32 local, u32 by) {
        return " local.get " + std::to_string(local) + " local.get 0 i32.add i32.const " + std::to_string(by)
            + " i32.add local.set " + std::to_string(local);
    };
    std::string loops, blocks, ifs;
    // Loop k goes round while the parameter is above k (a counter in local 1).
    for (u32 k = 0; k < 200; ++k)
        loops += " loop" + bump(2 + (3 * k) % 20000, k) + bump(1, 1) + " local.get 1 local.get 0 i32.lt_u br_if 0 end";
    SCOPED_TRACE("loops");
    expect_same_results(module(20000, loops), { { 0 }, { 3 }, { 7 } });
    for (u32 k = 0; k < 1000; ++k)
        blocks += " block local.get 0 i32.const " + std::to_string(k) + " i32.lt_u br_if 0" + bump(1 + (2 * k) % 5000, k)
            + bump(2 + (2 * k) % 5000, 1) + " end";
    SCOPED_TRACE("blocks");
    expect_same_results(module(5000, blocks), { { 0 }, { 500 }, { 2000 } });
    for (u32 k = 0; k < 1000; ++k)
        ifs += " local.get 0 i32.const " + std::to_string(k) + " i32.gt_u if" + bump(1 + (2 * k) % 5000, k) + " else"
            + bump(2 + (2 * k) % 5000, 3) + " end";
    SCOPED_TRACE("ifs");
    expect_same_results(module(5000, ifs), { { 0 }, { 500 }, { 2000 } });
}

} // namespace wk::engine::opt
