// Copy propagation through block parameters (simplify_block_params): the worklist
// gives what sweeping the layout to a fixed point gives, with work linear in the
// parameters and edge arguments on nested loops (docs/optimizing-compiler.md,
// "Hostile input").
#include "opt_support.h"

namespace wk::engine::opt {

using namespace testing;

namespace {

// The pass as it was: sweeps over the layout until no parameter is trivial, each
// removed at once. The reference for the worklist's results.
u32 sweep_to_fixed_point(Function& f)
{
    u32 removed = 0;
    bool progress = true;
    while (progress) {
        progress = false;
        for (Block block : f.layout()) {
            if (block == f.entry())
                continue;
            for (u32 k = static_cast<u32>(f.params(block).size()); k > 0; --k) {
                Value param = f.params(block)[k - 1];
                Value same = kNone;
                bool trivial = true;
                for (u32 edge : f.preds(block)) {
                    Value arg = f.resolve(f.edge_args(edge)[k - 1]);
                    if (arg == param || arg == same)
                        continue;
                    if (same != kNone) {
                        trivial = false;
                        break;
                    }
                    same = arg;
                }
                if (!trivial || same == kNone)
                    continue;
                f.remove_param(block, k - 1);
                f.make_alias(param, same);
                ++removed;
                progress = true;
            }
        }
    }
    f.resolve_aliases();
    return removed;
}

// `depth` nested loops; `live` locals set under `if (i32.const 0)` in the innermost,
// so that their parameters in every header become trivial only after folding, the
// innermost first (each outer header's back-edge argument is the inner header's
// parameter). Flat text: no nesting in the WAT parser.
std::string folded_loops(u32 depth, u32 live)
{
    std::string wat = "(module (func (param i32) (result i32) (local";
    for (u32 k = 0; k < live; ++k)
        wat += " i32";
    wat += ")";
    for (u32 k = 0; k < depth; ++k)
        wat += " loop";
    for (u32 k = 0; k < live; ++k)
        wat += " i32.const 0 if i32.const " + std::to_string(k + 7) + " local.set " + std::to_string(k + 1) + " end";
    for (u32 k = 0; k < depth; ++k)
        wat += " local.get " + std::to_string(1 + k % live) + " br_if 0 end";
    wat += " local.get 1 local.get 0 i32.add))";
    return wat;
}

u32 non_entry_params(const Function& f)
{
    u32 count = 0;
    for (Block block : f.layout())
        count += block == f.entry() ? 0 : static_cast<u32>(f.params(block).size());
    return count;
}

// Builds `wat` twice, runs simplify, fold and strength reduction on both, then the
// reference on one and the pass on the other: the functions must print the same.
void expect_same_as_reference(const std::string& wat)
{
    auto mine = build(wat.c_str());
    auto reference = build(wat.c_str());
    ASSERT_TRUE(mine->ok && reference->ok);
    for (Function* f : { &mine->function, &reference->function }) {
        MUST(simplify_block_params(*f));
        MUST(fold_constants(*f));
        MUST(reduce_strength(*f));
    }
    u32 expected = sweep_to_fixed_point(reference->function);
    SimplifyStats stats;
    EXPECT_EQ(MUST(simplify_block_params(mine->function, &stats)), expected);
    EXPECT_EQ(verify_detail(mine->function, &mine->loaded->module), "") << to_string(mine->function);
    EXPECT_EQ(to_string(mine->function), to_string(reference->function));
}

} // namespace

TEST(OptSimplify, SameResultsAsSweepingToAFixedPoint)
{
    expect_same_as_reference(folded_loops(30, 3));
    // A swap in a loop (a cycle of two parameters that is not trivial), a value
    // that only looks changed, and a br_table merge where one case changes nothing.
    expect_same_as_reference(R"((module (func (param i32 i32 i32) (result i32) (local i32)
        (loop $l
          (local.set 3 (local.get 0)) (local.set 0 (local.get 1)) (local.set 1 (local.get 3))
          (local.set 2 (select (local.get 2) (local.get 2) (local.get 0)))
          (block $b (block $a
            (br_table $a $b (local.get 1))) (local.set 2 (i32.const 0)))
          (br_if $l (local.get 0)))
        (i32.add (local.get 1) (local.get 2)))))");
    expect_same_as_reference(R"((module (func (param i32) (result i32) (local i32 i32)
        (loop $outer
          (if (i32.const 1) (then (local.set 1 (local.get 1))) (else (local.set 1 (i32.const 3))))
          (loop $inner
            (if (i32.const 0) (then (local.set 2 (local.get 1))))
            (br_if $inner (local.get 0)))
          (br_if $outer (local.get 2)))
        (i32.add (local.get 1) (local.get 2)))))");
}

TEST(OptSimplify, NestedLoopsTakeWorkLinearInTheParameters)
{
    // Sweeping took one sweep per nesting level (1000 levels: 7.4 s in the tier);
    // the worklist re-checks each header's parameters once, when the inner one goes.
    for (u32 depth : { 1000u, 3000u }) {
        SCOPED_TRACE(depth);
        auto built = build(folded_loops(depth, 4).c_str());
        ASSERT_TRUE(built->ok);
        Function& f = built->function;
        MUST(simplify_block_params(f));
        MUST(fold_constants(f));
        MUST(reduce_strength(f));
        ASSERT_GE(non_entry_params(f), 4 * depth);
        SimplifyStats stats;
        u32 removed = MUST(simplify_block_params(f, &stats));
        EXPECT_GE(removed, 4 * depth);
        EXPECT_EQ(non_entry_params(f), 0u) << "a parameter left";
        EXPECT_GE(stats.size, 12 * usize { depth }); // 4 parameters of 2 edges per header
        EXPECT_LE(stats.steps, 4 * stats.size) << "steps " << stats.steps << " for size " << stats.size;
        EXPECT_LE(stats.nodes, 2 * stats.size);
        EXPECT_EQ(verify_detail(f, &built->loaded->module), "");
    }
}

TEST(OptSimplify, LongAliasChainsFeedingManyParametersStayLinear)
{
    // 1500 nested loops whose parameters alias innermost first, and after them 1500
    // merges of the chain's end with a constant. Every header's back-edge argument and
    // every merge's argument is the innermost value, so re-checking the users of each
    // value aliased walks about 1500 users per link (2.25 million); the witnesses of
    // the merges are never merged with each other, so they are not looked at again.
    std::string wat = "(module (func (param i32) (result i32) (local i32 i32)";
    for (u32 k = 0; k < 1500; ++k)
        wat += " loop";
    wat += " i32.const 0 if i32.const 7 local.set 1 end";
    for (u32 k = 0; k < 1500; ++k)
        wat += " local.get 0 br_if 0 end";
    for (u32 k = 0; k < 1500; ++k)
        wat += " local.get 1 local.set 2 local.get 0 if i32.const " + std::to_string(k) + " local.set 2 end"
               " local.get 2 drop";
    wat += " local.get 2))";
    auto built = build(wat.c_str());
    ASSERT_TRUE(built->ok);
    Function& f = built->function;
    MUST(simplify_block_params(f));
    MUST(fold_constants(f));
    MUST(reduce_strength(f));
    SimplifyStats stats;
    EXPECT_GE(MUST(simplify_block_params(f, &stats)), 1500u);
    EXPECT_LE(stats.steps, 4 * stats.size) << "steps " << stats.steps << " for size " << stats.size;
    EXPECT_EQ(verify_detail(f, &built->loaded->module), "");
    EXPECT_FALSE(optimize(f, { .verify = true, .module = &built->loaded->module }).is_error());
}

} // namespace wk::engine::opt
