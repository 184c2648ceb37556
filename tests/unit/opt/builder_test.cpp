// The builder from wasm to IR: the IR it makes for small functions, SSA construction
// for locals, control flow, and the bail-outs for what the tier does not support.
#include "engine/platform.h"
#include "opt_support.h"

namespace wk::engine::opt {

using namespace testing;

namespace {

// Blocks other than the entry with `count` parameters.
u32 blocks_with_params(const Function& function, usize count)
{
    u32 blocks = 0;
    for (Block block : function.layout())
        blocks += block != function.entry() && function.params(block).size() == count;
    return blocks;
}

Error build_error(const char* wat, u32 index = 0)
{
    auto loaded = load(wat);
    EXPECT_TRUE(loaded);
    if (!loaded)
        return Error::from("no module");
    Builder builder(loaded->module);
    Function function;
    auto result = builder.build(index, function);
    EXPECT_TRUE(result.is_error());
    return result.is_error() ? result.error() : Error::from("built");
}

} // namespace

TEST(OptBuilder, StraightLineCode)
{
    auto built = build(R"((module (func (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)))");
    ASSERT_TRUE(built->ok);
    EXPECT_EQ(to_string(built->function), "function 0 -> (i32)\n"
                                          "block0(v0: i32, v1: i32):\n"
                                          "    v2 = i32.add v0, v1\n"
                                          "    return v2\n");
}

TEST(OptBuilder, LocalsStartAtZeroAndSetsAreValues)
{
    auto built = build(R"((module (func (result i64) (local i64 f32)
        local.get 0 i64.const 7 i64.mul local.set 0 local.get 0)))");
    ASSERT_TRUE(built->ok);
    std::string text = to_string(built->function);
    EXPECT_TRUE(contains(text, "const.i64 0")) << text;
    EXPECT_TRUE(contains(text, "const.i64 7")) << text;
    EXPECT_TRUE(contains(text, "i64.mul")) << text;
    EXPECT_TRUE(contains(text, "return v")) << text;
}

TEST(OptBuilder, LoopGetsParametersOnlyForLocalsItChanges)
{
    auto built = build(R"((module (func (param $n i32) (result i32) (local $i i32) (local $sum i32)
        (loop $l
          (local.set $sum (i32.add (local.get $sum) (local.get $i)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
        (local.get $sum))))");
    ASSERT_TRUE(built->ok);
    const Function& f = built->function;
    std::string text = to_string(f);
    // The header carries $i and $sum; $n never changes, so its parameter was trivial.
    EXPECT_EQ(blocks_with_params(f, 2), 1u) << text;
    EXPECT_EQ(blocks_with_params(f, 3), 0u) << text;
    EXPECT_TRUE(contains(text, "i32.lt_u v")) << text;
    EXPECT_TRUE(contains(text, ", v0\n")) << text; // compared against the parameter itself
}

TEST(OptBuilder, IfElseMergesResultsAndLocals)
{
    auto built = build(R"((module (func (param i32) (result i32) (local i32)
        (if (result i32) (local.get 0)
          (then (local.set 1 (i32.const 10)) (i32.const 1))
          (else (local.set 1 (i32.const 20)) (i32.const 2)))
        local.get 1
        i32.add)))");
    ASSERT_TRUE(built->ok);
    const Function& f = built->function;
    std::string text = to_string(f);
    EXPECT_EQ(blocks_with_params(f, 2), 1u) << text; // the merge: the result and local 1
    EXPECT_TRUE(contains(text, "brif v0, block")) << text;
}

TEST(OptBuilder, IfWithoutElsePassesParametersThrough)
{
    auto built = build(R"((module (type $t (func (param i32) (result i32)))
        (func (param i32) (result i32)
          local.get 0
          (if (type $t) (param i32) (result i32) (local.get 0) (then (i32.const 3) (i32.add)))
        )))");
    ASSERT_TRUE(built->ok);
    std::string text = to_string(built->function);
    EXPECT_EQ(count_of(text, "jump block"), 2u) << text;
}

TEST(OptBuilder, BrTableHasOneEdgePerTarget)
{
    auto built = build(R"((module (func (param i32) (result i32)
        (block $a (result i32)
          (block $b (result i32)
            (i32.const 7) (local.get 0) (br_table $a $b $a $b $a))
          (i32.const 1) (i32.add)))))");
    ASSERT_TRUE(built->ok);
    std::string text = to_string(built->function);
    EXPECT_TRUE(contains(text, "cases 0 1 0 1 0\n")) << text;
    EXPECT_EQ(count_of(text, "switch"), 1u) << text;
}

TEST(OptBuilder, BranchesToTheFunctionGoToOneExitBlock)
{
    auto built = build(R"((module (func (param i32) (result i32)
        (br_if 0 (i32.const 5) (local.get 0))
        (drop)
        (i32.const 6))))");
    ASSERT_TRUE(built->ok);
    std::string text = to_string(built->function);
    EXPECT_EQ(count_of(text, "return"), 1u) << text;
    EXPECT_EQ(blocks_with_params(built->function, 1), 1u) << text;
}

TEST(OptBuilder, MemoryAccessesCarryOffsetSizeAndGuard)
{
    auto built = build(R"((module (memory 1) (memory $m64 i64 1)
        (func (param i32 i64) (result i32)
          (i32.store8 offset=3 (local.get 0) (i32.const 9))
          (drop (i32.load offset=0x80000000 (local.get 0)))
          (drop (i64.load16_u $m64 offset=8 (local.get 1)))
          (i32.load offset=16 (local.get 0)))))");
    ASSERT_TRUE(built->ok);
    const Function& f = built->function;
    std::string text = to_string(f);
    EXPECT_TRUE(contains(text, "i32.store8 v0, v")) << text;
    EXPECT_TRUE(contains(text, "offset=3 mem=0 guarded")) << text;
    EXPECT_TRUE(contains(text, "offset=2147483648 mem=0\n")) << text; // too far for the guard region
    EXPECT_TRUE(contains(text, "offset=8 mem=1\n")) << text;           // memory64: checked
    EXPECT_TRUE(contains(text, "offset=16 mem=0 guarded")) << text;
    for (u32 i = 0; i < f.inst_count(); ++i) {
        if (f.inst(i).op == Op::I64Load16U) {
            EXPECT_EQ(f.inst(i).access_log2, 1);
            EXPECT_TRUE(f.inst(i).flags & kAddress64);
        }
        if (f.inst(i).op == Op::I32Store8)
            EXPECT_EQ(f.inst(i).access_log2, 0);
    }
}

TEST(OptBuilder, CallsWithSeveralResults)
{
    auto built = build(R"((module
        (type $pair (func (param i32) (result i32 i64)))
        (table 1 funcref)
        (func $callee (type $pair) (local.get 0) (i64.const 1))
        (func (param i32) (result i64)
          (call $callee (local.get 0))
          (drop)
          (drop)
          (call_indirect (type $pair) (i32.const 1) (local.get 0))
          (return)
        ))
    )", 1);
    ASSERT_TRUE(built->ok);
    std::string text = to_string(built->function);
    EXPECT_TRUE(contains(text, " = call f0(v0)")) << text;
    EXPECT_TRUE(contains(text, "call_indirect type0 table0 (")) << text;
}

TEST(OptBuilder, DeadCodeAfterBranchesIsSkipped)
{
    auto built = build(R"((module (func (param i32) (result i32)
        (block (br 0) (drop (i32.div_s (local.get 0) (i32.const 0))) (loop (br 0)))
        (if (local.get 0) (then (return (i32.const 1)) (drop (i32.const 2))) (else (unreachable)))
        (i32.const 3))))");
    ASSERT_TRUE(built->ok);
    std::string text = to_string(built->function);
    EXPECT_FALSE(contains(text, "div_s")) << text;
    EXPECT_TRUE(contains(text, "trap unreachable")) << text;
}

TEST(OptBuilder, UnsupportedInstructionsBailWithAReason)
{
    // SIMD is translated (v128 values, one op per instruction).
    auto simd = build(R"((module (func (param v128) (result i32) (i32x4.extract_lane 1 (i32x4.add (local.get 0) (v128.const i64x2 1 2))))))", 0);
    ASSERT_TRUE(simd->ok);
    std::string text = to_string(simd->function);
    EXPECT_TRUE(contains(text, "i32x4.add v0, v")) << text;
    EXPECT_TRUE(contains(text, "i32x4.extract_lane v")) << text;

    // GC is translated: field accesses and allocations one op each (type and field
    // index in the immediates); ref.cast a test, a branch and a block that traps.
    auto gc = build(R"((module (type $s (struct (field i32) (field (mut i64))))
        (func (param anyref) (result i32) (struct.get $s 0 (ref.cast (ref $s) (local.get 0))))
        (func (result i64) (struct.get $s 1 (struct.new $s (i32.const 1) (i64.const 2))))))", 1);
    ASSERT_TRUE(gc->ok);
    text = to_string(gc->function);
    EXPECT_TRUE(contains(text, "struct.new v")) << text;
    EXPECT_TRUE(contains(text, "struct.get v")) << text;
    EXPECT_TRUE(contains(text, " [0, 1]")) << text;
    auto cast = build(R"((module (type $s (struct (field i32) (field (mut i64))))
        (func (param anyref) (result i32) (struct.get $s 0 (ref.cast (ref $s) (local.get 0))))))", 0);
    ASSERT_TRUE(cast->ok);
    text = to_string(cast->function);
    EXPECT_TRUE(contains(text, "ref.test v0 target=")) << text;
    EXPECT_TRUE(contains(text, ("trap kind" + std::to_string(static_cast<u32>(TrapKind::IllegalCast))).c_str())) << text;
    EXPECT_TRUE(contains(text, "struct.get v0 [0, 0]")) << text;

    // Every atomic instruction is translated, wait/notify too (one op each, with the memarg).
    auto atomic = build(R"((module (memory 1 1 shared)
        (func (result i32) (memory.atomic.notify offset=8 (i32.const 0) (i32.const 1)))))", 0);
    ASSERT_TRUE(atomic->ok);
    text = to_string(atomic->function);
    EXPECT_TRUE(contains(text, "memory.atomic.notify")) << text;

    Error exceptions = build_error(R"((module (tag $e) (func (block (try_table (catch_all 0) (throw $e))))))");
    EXPECT_STREQ(exceptions.message(), "optimising tier: exceptions not supported yet");
}

TEST(OptBuilder, TailCallsEndTheBlock)
{
    auto built = build(R"((module (type $t (func (param i32) (result i32))) (table 1 funcref)
        (func $f (type $t) (local.get 0))
        (func (param i32) (result i32)
          (if (local.get 0) (then (return_call $f (i32.const 1))))
          (return_call_indirect (type $t) (local.get 0) (i32.const 0))
          (drop (i32.const 5)))))", 1);
    ASSERT_TRUE(built->ok);
    std::string text = to_string(built->function);
    EXPECT_TRUE(contains(text, "    return_call f0(v")) << text;
    EXPECT_TRUE(contains(text, "    return_call_indirect type0 table0 (v0, v")) << text;
    EXPECT_FALSE(contains(text, "const.i32 5")) << text; // dead after the tail call
    EXPECT_FALSE(contains(text, "    return ")) << text;
}

TEST(OptBuilder, BrOnNullBecomesATestAndABranch)
{
    auto built = build(R"((module (type $t (func (result i32)))
        (func (param (ref null $t)) (result i32)
          (block $null
            (block $non_null (result (ref $t))
              (br_on_non_null $non_null (local.get 0))
              (br $null))
            (return (call_ref $t)))
          (block $was_null
            (br_on_null $was_null (local.get 0))
            (drop (ref.as_non_null))
          )
          (i32.const -1))))");
    ASSERT_TRUE(built->ok);
    std::string text = to_string(built->function);
    EXPECT_EQ(count_of(text, "ref.is_null v0"), 2u) << text;
    EXPECT_TRUE(contains(text, "call_ref type0 (v")) << text;
    EXPECT_TRUE(contains(text, "ref.as_non_null v0")) << text;
}

TEST(OptBuilder, UnsupportedCodeInDeadRegionsIsSkipped)
{
    auto built = build(R"((module (func (result i32) (return (i32.const 1)) (v128.const i64x2 1 2) (i32x4.extract_lane 0))))");
    EXPECT_TRUE(built->ok);
}

TEST(OptBuilder, InvalidFunctionIndexIsAnError)
{
    auto loaded = load(R"((module (import "m" "f" (func)) (func)))");
    ASSERT_TRUE(loaded);
    Builder builder(loaded->module);
    Function function;
    EXPECT_TRUE(builder.build(0, function).is_error()); // an import
    EXPECT_TRUE(builder.build(2, function).is_error()); // out of range
    EXPECT_FALSE(builder.build(1, function).is_error());
}

// Deep nesting and long chains must neither recurse on the C++ stack nor go quadratic
// in ways that matter: 3000 nested blocks, and 5000 br_ifs between a local's
// definition and its use.
TEST(OptBuilder, DeepNestingAndLongChains)
{
    std::string wat = "(module (func (param i32) (result i32) (local i32) (local.set 1 (i32.const 4))";
    for (int i = 0; i < 3000; ++i)
        wat += "(block ";
    for (int i = 0; i < 3000; ++i)
        wat += "(br_if 0 (local.get 0)))";
    for (int i = 0; i < 5000; ++i)
        wat += "(br_if 0 (i32.const 1) (local.get 0)) (drop) ";
    wat += "(local.get 1)))";
    auto built = build(wat.c_str());
    ASSERT_TRUE(built->ok);
    EXPECT_GT(built->function.layout().size(), 8000u);
}

// A body built to blow up: 3000 nested blocks of 1000 results each and a br_table to
// all of them make IR quadratic in a body of about 20 KB. The builder refuses it by
// its budget instead of exhausting memory.
TEST(OptBuilder, QuadraticBodiesHitTheBudget)
{
    constexpr int kResults = 1000; // the validator's limit
    constexpr int kBlocks = 3000;
    std::string results;
    for (int i = 0; i < kResults; ++i)
        results += " i32";
    std::string wat = "(module (type $t (func (result" + results + "))) (func (param i32)";
    for (int i = 0; i < kBlocks; ++i)
        wat += "(block (type $t)";
    for (int i = 0; i < kResults; ++i)
        wat += " (local.get 0)";
    wat += " (br_table";
    for (int i = 0; i < kBlocks; ++i)
        wat += " " + std::to_string(i);
    wat += " (local.get 0))";
    for (int i = 0; i < kBlocks; ++i)
        wat += ")";
    wat += "(drop)";
    for (int i = 1; i < kResults; ++i)
        wat += "(drop)";
    wat += "))";
    Error error = build_error(wat.c_str());
    EXPECT_EQ(error.kind(), ErrorKind::Unsupported);
    EXPECT_STREQ(error.message(), "implementation limit: function too large for the optimising tier");
}

// Locals read below many loops: each read writes its definition into every block on
// the way (locals x blocks), which the budget counts like IR storage. 10000 locals read
// after 100 loops need about 3 million definitions, 24 million words: past the budget
// of a 50 KB body (about 13 million).
TEST(OptBuilder, DefinitionsOfLocalsAcrossManyLoopsCountInTheBudget)
{
    constexpr int kLocals = 10000;
    constexpr int kLoops = 100;
    std::string wat = "(module (func (param i32) (result i32) (local";
    for (int i = 0; i < kLocals; ++i)
        wat += " i32";
    wat += ")";
    for (int i = 0; i < kLoops; ++i)
        wat += " loop local.get " + std::to_string(1 + i) + " local.get 0 i32.add local.set " + std::to_string(1 + i)
            + " local.get 0 br_if 0 end";
    wat += " i32.const 0";
    for (int i = 0; i < kLocals; ++i)
        wat += " local.get " + std::to_string(1 + i) + " i32.add";
    wat += "))";
    Error error = build_error(wat.c_str());
    EXPECT_EQ(error.kind(), ErrorKind::Unsupported);
    EXPECT_STREQ(error.message(), "implementation limit: function too large for the optimising tier");
}

// A loop nest where only the innermost loop changes a local: the outer headers still
// need a parameter for it (the value flows around the outer back edges too).
TEST(OptBuilder, NestedLoops)
{
    auto built = build(R"((module (func (param i32) (result i32) (local i32 i32)
        (loop $outer
          (local.set 2 (i32.const 0))
          (loop $inner
            (local.set 1 (i32.add (local.get 1) (i32.const 1)))
            (local.set 2 (i32.add (local.get 2) (i32.const 1)))
            (br_if $inner (i32.lt_u (local.get 2) (i32.const 10))))
          (br_if $outer (i32.lt_u (local.get 1) (local.get 0))))
        (local.get 1))))");
    ASSERT_TRUE(built->ok);
    const Function& f = built->function;
    EXPECT_EQ(blocks_with_params(f, 1), 1u) << to_string(f); // outer: local 1
    EXPECT_EQ(blocks_with_params(f, 2), 1u) << to_string(f); // inner: locals 1 and 2
}

} // namespace wk::engine::opt
