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

// SSA construction of locals costs about the local.get/set/tee and the branches, not
// locals x blocks (builder_ssa.cpp). Each shape reads every one of many locals after
// many blocks; lookups through the predecessors (the construction before) wrote each
// local's definition into every block on the way: 10000 locals after 100 loops, or 5000
// after 1000 blocks or ifs, were refused by the budget (in the tier, 50000 locals after
// 200 loops took 20 s and 433 MB before the refusal; now 0.3 s, compiled).
struct LocalsShape {
    const char* name;
    std::string wat;
    u32 locals;
    u32 merges;         // blocks whose parameters stand for changed locals
    u32 params_per_merge; // locals changed in each
};

std::string many_locals_module(u32 locals, const std::string& middle)
{
    std::string wat = "(module (func (param i32) (result i32) (local";
    for (u32 i = 0; i < locals; ++i)
        wat += " i32";
    wat += ")" + middle + " i32.const 0";
    for (u32 i = 0; i < locals; ++i)
        wat += " local.get " + std::to_string(1 + i) + " i32.add";
    return wat + "))";
}

std::string bump(u32 local) { return " local.get " + std::to_string(local) + " local.get 0 i32.add local.set " + std::to_string(local); }

std::vector<LocalsShape> many_locals_shapes()
{
    std::vector<LocalsShape> shapes;
    std::string loops, blocks, ifs;
    for (u32 k = 0; k < 100; ++k)
        loops += " loop" + bump(1 + k) + " local.get 0 br_if 0 end";
    shapes.push_back({ "loops", many_locals_module(10000, loops), 10000, 100, 1 });
    for (u32 k = 0; k < 1000; ++k)
        blocks += " block local.get 0 br_if 0" + bump(1 + (2 * k) % 5000) + bump(2 + (2 * k) % 5000) + " end";
    shapes.push_back({ "blocks", many_locals_module(5000, blocks), 5000, 1000, 2 });
    for (u32 k = 0; k < 1000; ++k)
        ifs += " local.get 0 if" + bump(1 + (2 * k) % 5000) + " else" + bump(2 + (2 * k) % 5000) + " end";
    shapes.push_back({ "ifs", many_locals_module(5000, ifs), 5000, 1000, 2 });
    return shapes;
}

TEST(OptBuilder, LocalsReadAfterManyBlocksTakeLinearWork)
{
    for (const LocalsShape& shape : many_locals_shapes()) {
        SCOPED_TRACE(shape.name);
        auto loaded = load(shape.wat.c_str());
        ASSERT_TRUE(loaded);
        usize body = loaded->module.codes[0].size;
        Builder builder(loaded->module);
        Function f;
        auto result = builder.build(0, f);
        ASSERT_FALSE(result.is_error()) << result.error().message();
        EXPECT_EQ(verify_detail(f, &loaded->module), "");
        // Only the changed locals are parameters: one per loop header, two per merge.
        EXPECT_EQ(blocks_with_params(f, shape.params_per_merge), shape.merges) << shape.name;
        u32 params = 0;
        for (Block block : f.layout())
            params += block != f.entry() ? static_cast<u32>(f.params(block).size()) : 0;
        EXPECT_EQ(params, shape.merges * shape.params_per_merge);
        // Every local read at the end is its definition from the entry or its last change.
        EXPECT_LE(builder.ssa_work(), body / 2) << "work " << builder.ssa_work() << " for a body of " << body;
        EXPECT_LE(f.storage_size(), 32 * body) << "IR words " << f.storage_size() << " for a body of " << body;
    }
}

// Every loop of a nest assigns every local: each header needs them all as parameters,
// locals x depth in the SSA form itself. The budget refuses it (the pre-pass that finds
// the loops' locals stops at the budget too), before anything grows past it.
TEST(OptBuilder, LocalsChangedInDeepLoopNestsHitTheBudget)
{
    constexpr u32 kLocals = 2000;
    constexpr u32 kDepth = 500;
    std::string middle;
    for (u32 k = 0; k < kDepth; ++k)
        middle += " loop";
    for (u32 i = 0; i < kLocals; ++i)
        middle += bump(1 + i);
    for (u32 k = 0; k < kDepth; ++k)
        middle += " local.get 0 br_if 0 end";
    std::string wat = many_locals_module(kLocals, middle);
    auto loaded = load(wat.c_str());
    ASSERT_TRUE(loaded);
    usize budget = usize { loaded->module.codes[0].size } * 256 + 65536;
    Builder builder(loaded->module);
    Function f;
    auto result = builder.build(0, f);
    ASSERT_TRUE(result.is_error());
    EXPECT_EQ(result.error().kind(), ErrorKind::Unsupported);
    EXPECT_STREQ(result.error().message(), "implementation limit: function too large for the optimising tier");
    EXPECT_LE(builder.ssa_work(), budget);
    EXPECT_LE(f.storage_size(), 2 * budget) << "built on past the budget";
}

// A local changed inside a block (or an if's arm) and branched out with: the merge takes
// it as a parameter, the other locals pass through untouched, and locals changed only
// on paths that do not reach the merge are not parameters.
TEST(OptBuilder, MergesTakeOnlyTheLocalsChangedSinceTheirConstructBegan)
{
    auto built = build(R"((module (func (param i32) (result i32) (local i32 i32 i32)
        (local.set 3 (i32.const 5))
        (block $b
          (local.set 1 (i32.const 1))
          (br_if $b (local.get 0))
          (local.set 2 (i32.const 2))
          (if (local.get 0) (then (local.set 3 (i32.const 3)) (return (i32.const 9))))
          (local.set 1 (i32.const 4)))
        (i32.add (i32.add (local.get 1) (local.get 2)) (local.get 3)))))");
    ASSERT_TRUE(built->ok);
    const Function& f = built->function;
    std::string text = to_string(f);
    // $b's merge: local 1 (1 or 4) and local 2 (0 or 2); local 3 is 5 on both edges.
    EXPECT_EQ(blocks_with_params(f, 2), 1u) << text;
    EXPECT_EQ(blocks_with_params(f, 3), 0u) << text;
    EXPECT_TRUE(contains(text, "const.i32 5")) << text;
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
