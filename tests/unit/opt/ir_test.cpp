// The IR containers and the verifier, on functions built by hand.
#include "opt_support.h"

namespace wk::engine::opt {

using namespace testing;

TEST(OptListPool, GrowEraseAndReuse)
{
    ListPool pool;
    List a, b;
    for (u32 i = 0; i < 100; ++i) {
        ASSERT_FALSE(pool.push(a, i).is_error());
        ASSERT_FALSE(pool.push(b, 1000 + i).is_error());
    }
    ASSERT_EQ(pool.size(a), 100u);
    ASSERT_EQ(pool.size(b), 100u);
    for (u32 i = 0; i < 100; ++i) {
        EXPECT_EQ(pool.get(a, i), i);
        EXPECT_EQ(pool.get(b, i), 1000 + i);
    }
    pool.erase(a, 0);
    pool.erase(a, 50);
    EXPECT_EQ(pool.size(a), 98u);
    EXPECT_EQ(pool.get(a, 0), 1u);
    EXPECT_EQ(pool.get(a, 49), 50u);
    EXPECT_EQ(pool.get(a, 50), 52u);
    usize before = pool.storage_size();
    pool.free(b);
    EXPECT_EQ(pool.size(b), 0u);
    // A list of the freed chunk's size class reuses it instead of growing the pool.
    u32 values[100] = {};
    List c = MUST(pool.make(Span<const u32>(values, 100)));
    EXPECT_EQ(pool.storage_size(), before);
    EXPECT_EQ(pool.size(c), 100u);
}

namespace {

// entry(v0: i32): v1 = i32.add v0, v0; brif v0, b1(v1), b2 ; b1(p): return p ; b2: return v0
struct Diamond {
    Function f;
    Block entry, b1, b2;
    Value v0, v1, p;
    Inst add, branch;

    Diamond()
    {
        entry = MUST(f.create_block());
        b1 = MUST(f.create_block());
        b2 = MUST(f.create_block());
        f.set_entry(entry);
        MUST(f.set_result_types(Span<const Type>(&kI32, 1)));
        v0 = MUST(f.append_param(entry, Type::I32));
        p = MUST(f.append_param(b1, Type::I32));
        Value adds[2] = { v0, v0 };
        add = MUST(f.append_inst(entry, Op::I32Add, Span<const Value>(adds, 2), Type::I32));
        v1 = f.result(add);
        EdgeSpec edges[2] = { { b1, Span<const Value>(&v1, 1) }, { b2, {} } };
        branch = MUST(f.append_terminator(entry, Op::Branch, Span<const Value>(&v0, 1), Span<const EdgeSpec>(edges, 2)));
        MUST(f.append_terminator(b1, Op::Return, Span<const Value>(&p, 1), {}));
        MUST(f.append_terminator(b2, Op::Return, Span<const Value>(&v0, 1), {}));
        MUST(f.append_to_layout(entry));
        MUST(f.append_to_layout(b1));
        MUST(f.append_to_layout(b2));
    }
    static constexpr Type kI32 = Type::I32;
};

} // namespace

TEST(OptVerifier, AcceptsAWellFormedFunction)
{
    Diamond d;
    EXPECT_EQ(verify_detail(d.f), "");
    EXPECT_EQ(to_string(d.f), "function 4294967295 -> (i32)\n"
                              "block0(v0: i32):\n"
                              "    v2 = i32.add v0, v0\n"
                              "    brif v0, block1(v2), block2\n"
                              "block1(v1: i32):\n"
                              "    return v1\n"
                              "block2:\n"
                              "    return v0\n");
}

TEST(OptVerifier, RejectsUseNotDominatedByItsDefinition)
{
    Diamond d;
    // block2 returns the parameter of block1, which does not dominate it.
    d.f.lists().set(d.f.inst(d.f.terminator(d.b2)).args, 0, d.p);
    std::string detail = verify_detail(d.f);
    EXPECT_TRUE(contains(detail, "definition does not dominate use")) << detail;
}

TEST(OptVerifier, RejectsUseBeforeDefinitionInABlock)
{
    Diamond d;
    d.f.lists().set(d.f.inst(d.add).args, 1, d.v1); // v1 = i32.add v0, v1
    std::string detail = verify_detail(d.f);
    EXPECT_TRUE(contains(detail, "use before definition")) << detail;
}

TEST(OptVerifier, RejectsTypeMismatches)
{
    Diamond d;
    d.f.value(d.p).type = Type::I64;
    std::string detail = verify_detail(d.f);
    EXPECT_FALSE(detail.empty());

    Diamond e;
    e.f.inst(e.add).op = Op::I64Add;
    detail = verify_detail(e.f);
    EXPECT_TRUE(contains(detail, "types do not fit")) << detail;
}

TEST(OptVerifier, RejectsEdgeArgumentCountMismatch)
{
    Diamond d;
    d.f.lists().truncate(d.f.edge(d.f.inst(d.branch).first_edge).args, 0);
    std::string detail = verify_detail(d.f);
    EXPECT_TRUE(contains(detail, "edge argument count")) << detail;
}

TEST(OptVerifier, RejectsMissingTerminatorAndUnreachableBlocks)
{
    Diamond d;
    d.f.lists().truncate(d.f.block(d.b2).insts, 0);
    EXPECT_TRUE(contains(verify_detail(d.f), "empty block"));

    Diamond e;
    Block orphan = MUST(e.f.create_block());
    MUST(e.f.append_terminator(orphan, Op::Return, Span<const Value>(&e.v0, 1), {}));
    MUST(e.f.append_to_layout(orphan));
    EXPECT_TRUE(contains(verify_detail(e.f), "not reachable"));
}

TEST(OptVerifier, RejectsAliasUses)
{
    Diamond d;
    Value extra = MUST(d.f.append_param(d.b2, Type::I32));
    d.f.make_alias(extra, d.v0);
    d.f.lists().set(d.f.inst(d.f.terminator(d.b2)).args, 0, extra);
    EXPECT_FALSE(verify_detail(d.f).empty());
}

TEST(OptVerifier, ChecksCallsAgainstTheModule)
{
    auto built = build(R"((module (func $f (param i64) (result i32) (i32.const 0))
        (func (result i32) (call $f (i64.const 5)))))", 1);
    ASSERT_TRUE(built->ok);
    Function& f = built->function;
    const Module& module = built->loaded->module;
    EXPECT_EQ(verify_detail(f, &module), "");
    for (u32 i = 0; i < f.inst_count(); ++i) {
        if (f.inst(i).op == Op::Call)
            f.inst(i).imm2 = 1; // now calls itself: () -> i32, given one argument
    }
    EXPECT_EQ(verify_detail(f), ""); // without the module this cannot be seen
    EXPECT_TRUE(contains(verify_detail(f, &module), "call argument count")) << verify_detail(f, &module);
}

TEST(OptDominators, DiamondAndLoop)
{
    auto built = build(R"((module (func (param i32) (local i32)
        (if (local.get 0) (then (nop)) (else (nop)))
        (loop (br_if 0 (local.get 0))))))");
    ASSERT_TRUE(built->ok);
    const Function& f = built->function;
    DominatorTree tree;
    ASSERT_FALSE(tree.compute(f).is_error());
    EXPECT_EQ(tree.rpo().size(), f.layout().size());
    EXPECT_EQ(tree.rpo()[0], f.entry());
    for (Block block : f.layout()) {
        EXPECT_TRUE(tree.dominates(f.entry(), block));
        EXPECT_TRUE(tree.dominates(block, block));
        if (block != f.entry())
            EXPECT_FALSE(tree.dominates(block, f.entry()));
    }
    // The then and else blocks do not dominate each other or the merge.
    Block then_block = f.edge(f.inst(f.terminator(f.entry())).first_edge).to;
    Block else_block = f.edge(f.inst(f.terminator(f.entry())).first_edge + 1).to;
    EXPECT_FALSE(tree.dominates(then_block, else_block));
    EXPECT_FALSE(tree.dominates(else_block, then_block));
    Block merge = f.edge(f.inst(f.terminator(then_block)).first_edge).to;
    EXPECT_FALSE(tree.dominates(then_block, merge));
    EXPECT_EQ(tree.idom(merge), f.entry());
}

} // namespace wk::engine::opt
