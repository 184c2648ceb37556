// The dominator tree (Lengauer and Tarjan) against the iterative algorithm it replaced
// (Cooper, Harvey and Kennedy), written here as the reference, on functions whose
// control flow is irregular, deep or wide.
#include "opt_support.h"

namespace wk::engine::opt {

using namespace testing;

namespace {

// Immediate dominators by Cooper, Harvey and Kennedy's iteration over the tree's own
// reverse post-order (kNone for unreachable blocks; the entry's is itself).
std::vector<Block> reference_idoms(const Function& f, const DominatorTree& tree)
{
    std::vector<Block> idom(f.block_count(), kNone);
    std::vector<u32> order(f.block_count(), kNone);
    Span<const Block> rpo = tree.rpo();
    for (u32 k = 0; k < rpo.size(); ++k)
        order[rpo[k]] = k;
    idom[f.entry()] = f.entry();
    auto intersect = [&](Block a, Block b) {
        while (a != b) {
            while (order[a] > order[b])
                a = idom[a];
            while (order[b] > order[a])
                b = idom[b];
        }
        return a;
    };
    for (bool changed = true; changed;) {
        changed = false;
        for (u32 k = 1; k < rpo.size(); ++k) {
            Block found = kNone;
            for (u32 edge : f.preds(rpo[k])) {
                Block from = f.edge(edge).from;
                if (order[from] == kNone || idom[from] == kNone)
                    continue;
                found = found == kNone ? from : intersect(from, found);
            }
            if (found != idom[rpo[k]]) {
                idom[rpo[k]] = found;
                changed = true;
            }
        }
    }
    return idom;
}

void expect_reference_dominators(const std::string& wat)
{
    auto built = build(wat.c_str());
    ASSERT_TRUE(built->ok);
    const Function& f = built->function;
    DominatorTree tree;
    MUST(tree.compute(f));
    std::vector<Block> expected = reference_idoms(f, tree);
    u32 compared = 0;
    for (Block block : tree.rpo()) {
        EXPECT_EQ(tree.idom(block), expected[block]) << "block " << block << "\n" << to_string(f);
        if (block != f.entry())
            EXPECT_TRUE(tree.dominates(tree.idom(block), block));
        ++compared;
    }
    EXPECT_EQ(compared, f.layout().size());
}

} // namespace

TEST(OptDominators, SameTreeAsTheIterativeAlgorithm)
{
    expect_reference_dominators(R"((module (func (param i32) (result i32) (local i32)
        (block $exit
          (loop $l
            (block $c (block $b (block $a
              (br_table $a $b $c $exit (local.get 0)))
              (local.set 1 (i32.const 1)) (br $l))
              (if (local.get 1) (then (br $exit)))
              (local.set 1 (i32.const 2)))
            (loop $inner
              (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
              (br_if $inner (local.get 0))
              (br_if $l (local.get 1)))))
        (local.get 1))))");
    // Deep nests: loops, blocks left by br_if to various depths, ifs.
    std::string loops = "(module (func (param i32) (result i32)";
    for (int k = 0; k < 400; ++k)
        loops += " loop block";
    loops += " local.get 0 br_if 1";
    for (int k = 0; k < 400; ++k)
        loops += " local.get 0 br_if " + std::to_string(k % 3) + " end local.get 0 br_if 0 end";
    loops += " local.get 0))";
    expect_reference_dominators(loops);
    std::string ifs = "(module (func (param i32) (result i32) (local i32)";
    for (int k = 0; k < 300; ++k)
        ifs += " local.get 0 if local.get 0 i32.const " + std::to_string(k) + " i32.eq br_if " + std::to_string(k / 2) + " else";
    for (int k = 0; k < 300; ++k)
        ifs += " end";
    ifs += " local.get 1))";
    expect_reference_dominators(ifs);
}

} // namespace wk::engine::opt
