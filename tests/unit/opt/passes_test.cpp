// Copy propagation, dead code elimination, GVN and the pipeline.
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

u32 param_count(const Function& function)
{
    u32 count = 0;
    for (Block block : function.layout())
        count += static_cast<u32>(function.params(block).size());
    return count;
}

} // namespace

// entry(v0): jump b1(v0) ; b1(p): brif v0, b1(p), b2 ; b2: return p
// p only ever receives v0 (or itself), which the builder's eager check cannot see
// when the IR is made by hand; the pass removes it.
TEST(OptSimplify, SelfLoopParameterBecomesItsOnlyValue)
{
    Function f;
    Block entry = MUST(f.create_block());
    Block loop = MUST(f.create_block());
    Block exit = MUST(f.create_block());
    f.set_entry(entry);
    Type i32 = Type::I32;
    MUST(f.set_result_types(Span<const Type>(&i32, 1)));
    Value v0 = MUST(f.append_param(entry, Type::I32));
    Value p = MUST(f.append_param(loop, Type::I32));
    EdgeSpec into { loop, Span<const Value>(&v0, 1) };
    MUST(f.append_terminator(entry, Op::Jump, {}, Span<const EdgeSpec>(&into, 1)));
    EdgeSpec edges[2] = { { loop, Span<const Value>(&p, 1) }, { exit, {} } };
    MUST(f.append_terminator(loop, Op::Branch, Span<const Value>(&v0, 1), Span<const EdgeSpec>(edges, 2)));
    MUST(f.append_terminator(exit, Op::Return, Span<const Value>(&p, 1), {}));
    MUST(f.append_to_layout(entry));
    MUST(f.append_to_layout(loop));
    MUST(f.append_to_layout(exit));
    ASSERT_EQ(verify_detail(f), "");

    EXPECT_EQ(MUST(simplify_block_params(f)), 1u);
    EXPECT_EQ(verify_detail(f), "");
    EXPECT_EQ(param_count(f), 1u); // only the entry's
    EXPECT_TRUE(contains(to_string(f), "return v0")) << to_string(f);
    EXPECT_EQ(MUST(simplify_block_params(f)), 0u);
}

// Parameters that become trivial only after another is removed (a chain through two
// loops) are removed by the repeat.
TEST(OptSimplify, ChainsOfParametersThroughFolding)
{
    auto built = build(R"((module (func (param i32) (result i32) (local i32)
        (local.set 1 (i32.const 5))
        (loop $a
          (loop $b
            (if (i32.const 0) (then (local.set 1 (i32.const 6))))
            (br_if $b (local.get 0)))
          (br_if $a (local.get 0)))
        (local.get 1))))");
    ASSERT_TRUE(built->ok);
    u32 before = param_count(built->function);
    ASSERT_FALSE(optimize(built->function, { .verify = true }).is_error()) << to_string(built->function);
    EXPECT_LT(param_count(built->function), before);
    std::string text = to_string(built->function);
    EXPECT_EQ(param_count(built->function), 1u) << text; // the function parameter
    EXPECT_TRUE(contains(text, "const.i32 5")) << text;
}

TEST(OptDce, RemovesUnusedPureCodeButKeepsTraps)
{
    auto built = build(R"((module (memory 1) (global $g (mut i32) (i32.const 0))
        (func (param i32) (result i32)
          (drop (i32.add (local.get 0) (i32.const 5)))
          (drop (i32.div_s (local.get 0) (local.get 0)))
          (drop (i32.load (local.get 0)))
          (drop (global.get $g))
          (global.set $g (i32.const 1))
          (local.get 0))))");
    ASSERT_TRUE(built->ok);
    Function& f = built->function;
    u32 changes = MUST(eliminate_dead_code(f));
    EXPECT_EQ(verify_detail(f), "");
    EXPECT_EQ(count_ops(f, Op::I32Add), 0u);
    EXPECT_EQ(count_ops(f, Op::GlobalGet), 0u);
    EXPECT_EQ(count_ops(f, Op::I32DivS), 1u);   // may trap
    EXPECT_EQ(count_ops(f, Op::I32Load), 1u);   // may trap (out of bounds)
    EXPECT_EQ(count_ops(f, Op::GlobalSet), 1u); // an effect
    EXPECT_GE(changes, 3u);
}

TEST(OptDce, RemovesParametersOnlyDeadCodeUses)
{
    auto built = build(R"((module (func (param i32) (result i32) (local i32)
        (loop $l
          (local.set 1 (i32.add (local.get 1) (i32.const 1)))
          (br_if $l (local.get 0)))
        (local.get 0))))");
    ASSERT_TRUE(built->ok);
    Function& f = built->function;
    ASSERT_EQ(param_count(f), 2u) << to_string(f); // v0 and the loop's local 1
    MUST(eliminate_dead_code(f));
    EXPECT_EQ(verify_detail(f), "");
    EXPECT_EQ(param_count(f), 1u) << to_string(f);
    EXPECT_EQ(count_ops(f, Op::I32Add), 0u) << to_string(f);
}

TEST(OptGvn, MergesEqualPureOpsIncludingCommuted)
{
    auto built = build(R"((module (memory 1) (func (param i32 i32) (result i32)
        (i32.mul (i32.add (local.get 0) (local.get 1)) (i32.add (local.get 1) (local.get 0)))
        (i32.sub (local.get 0) (local.get 1)) (i32.sub (local.get 1) (local.get 0)) (i32.add)
        (i32.add)
        (i32.load (local.get 0)) (i32.load (local.get 0)) (i32.add)
        (i32.add))))");
    ASSERT_TRUE(built->ok);
    Function& f = built->function;
    u32 adds = count_ops(f, Op::I32Add);
    EXPECT_EQ(MUST(value_number(f)), 1u);
    EXPECT_EQ(verify_detail(f), "");
    EXPECT_EQ(count_ops(f, Op::I32Add), adds - 1);
    EXPECT_EQ(count_ops(f, Op::I32Sub), 2u);  // not commutative
    EXPECT_EQ(count_ops(f, Op::I32Load), 2u); // memory may change between loads (not here, but GVN does not know)
}

TEST(OptGvn, OnlyDominatingCopiesAreReused)
{
    auto built = build(R"((module (func (param i32 i32) (result i32)
        (if (result i32) (local.get 0)
          (then (i32.div_u (local.get 0) (local.get 1)))
          (else (i32.div_u (local.get 0) (local.get 1))))
        (i32.div_u (local.get 0) (local.get 1))
        (i32.add))))");
    ASSERT_TRUE(built->ok);
    Function& f = built->function;
    EXPECT_EQ(MUST(value_number(f)), 0u); // neither branch dominates the other or the merge
    EXPECT_EQ(count_ops(f, Op::I32DivU), 3u);

    auto hoisted = build(R"((module (func (param i32 i32) (result i32)
        (drop (i32.div_u (local.get 0) (local.get 1)))
        (if (result i32) (local.get 0)
          (then (i32.div_u (local.get 0) (local.get 1)))
          (else (i32.div_u (local.get 1) (local.get 0)))))))");
    ASSERT_TRUE(hoisted->ok);
    EXPECT_EQ(MUST(value_number(hoisted->function)), 1u); // the then copy
    EXPECT_EQ(verify_detail(hoisted->function), "");
}

TEST(OptCfg, ChainsOfBlocksMergeIntoOne)
{
    auto built = build(R"((module (func (param i32) (result i32)
        (block (result i32) (block (result i32) (block (result i32) (local.get 0))))
        (i32.const 1) (i32.add))))");
    ASSERT_TRUE(built->ok);
    Function& f = built->function;
    ASSERT_EQ(f.layout().size(), 4u) << to_string(f);
    EXPECT_EQ(MUST(simplify_cfg(f)), 3u);
    EXPECT_EQ(verify_detail(f), "");
    EXPECT_EQ(to_string(f), "function 0 -> (i32)\n"
                            "block0(v0: i32):\n"
                            "    v4 = const.i32 1\n"
                            "    v5 = i32.add v0, v4\n"
                            "    return v5\n");
}

TEST(OptCfg, BranchesGoStraightThroughEmptyBlocks)
{
    auto built = build(R"((module (func (param i32) (result i32) (local i32)
        (if (local.get 0) (then (local.set 1 (i32.const 3))) (else))
        (local.get 1))))");
    ASSERT_TRUE(built->ok);
    Function& f = built->function;
    std::string before = to_string(f);
    EXPECT_GE(MUST(simplify_cfg(f)), 1u);
    EXPECT_EQ(verify_detail(f), "");
    std::string text = to_string(f);
    // The else block only jumped to the merge: the brif now goes there directly.
    EXPECT_EQ(f.layout().size(), 3u) << before << text;
    EXPECT_TRUE(contains(text, "brif v0, block1, block3(v1)")) << text;
}

// A chain of forwarders (2000 nested blocks, each left by a br_if from the innermost body,
// so each block's end only jumps to the next end) threads in work and list storage linear
// in the chain: threaded from its first forwarder, each handed all the predecessors it had
// gathered to the next (about n^2 / 2 edge moves; the list pool held 2,764,055 words for
// these 8,001 instructions; 93 s and 2 GB at 20,000 blocks).
TEST(OptCfg, AChainOfForwardersThreadsInLinearStorage)
{
    constexpr u32 kDepth = 2000;
    std::string wat = "(module (func (param i32) (result i32)";
    for (u32 k = 0; k < kDepth; ++k)
        wat += " (block";
    for (u32 k = 0; k < kDepth; ++k)
        wat += " (br_if " + std::to_string(k) + " (i32.eq (local.get 0) (i32.const " + std::to_string(k) + ")))";
    for (u32 k = 0; k < kDepth; ++k)
        wat += ")";
    wat += " (local.get 0)))";
    auto built = build(wat.c_str());
    ASSERT_TRUE(built->ok);
    Function& f = built->function;
    usize blocks_before = f.layout().size();
    EXPECT_GE(MUST(simplify_cfg(f)), kDepth - 1);
    EXPECT_EQ(verify_detail(f), "");
    EXPECT_LT(f.layout().size(), blocks_before - (kDepth - 1));
    EXPECT_LE(f.lists().storage_size(), 16 * usize { f.inst_count() + f.block_count() })
        << f.lists().storage_size() << " words for " << f.inst_count() << " instructions";
}

TEST(OptPipeline, LoopWithConstantsAndRedundancy)
{
    auto built = build(R"((module (memory 1) (func (param $n i32) (result i32) (local $i i32) (local $acc i32)
        (loop $l
          (i32.store (i32.mul (local.get $i) (i32.const 4))
                     (i32.add (i32.mul (local.get $i) (i32.const 4)) (i32.mul (i32.const 2) (i32.const 8))))
          (local.set $acc (i32.add (local.get $acc) (i32.load (i32.mul (local.get $i) (i32.const 4)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (local.get $acc))))");
    ASSERT_TRUE(built->ok);
    Function& f = built->function;
    StringBuilder log;
    auto result = optimize(f, { .verify = true, .log = &log, .verbose = true });
    auto log_text = MUST(log.to_string());
    ASSERT_FALSE(result.is_error()) << std::string(log_text.view().data(), log_text.view().size());
    EXPECT_EQ(count_ops(f, Op::I32Mul), 0u) << to_string(f); // 2*8 folded; i*4 reduced
    EXPECT_EQ(count_ops(f, Op::I32Shl), 1u) << to_string(f); // i<<2, once
    EXPECT_TRUE(contains(to_string(f), "const.i32 16")) << to_string(f);
    EXPECT_EQ(count_ops(f, Op::I32Load), 1u);
    EXPECT_EQ(count_ops(f, Op::I32Store), 1u);
    EXPECT_TRUE(contains(std::string(log_text.view().data(), log_text.view().size()), "pass gvn:"));
}

} // namespace wk::engine::opt
