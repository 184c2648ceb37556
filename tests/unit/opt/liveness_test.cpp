// The register allocator's liveness (regalloc.cpp, compute_liveness): live-in sets by
// walks back from each use to the definition, the same sets as the backward data flow
// over bit sets that it replaced (computed here as the reference), in storage and work
// linear in the sets, so that functions of many blocks with small sets are allocated
// (the dense bit sets, blocks x values, refused them).
#include <gtest/gtest.h>

#include <set>

#include "allocated.h"

namespace wk::engine::opt {

using namespace testing;

namespace {

// Live-in sets by the textbook data flow: in(b) = uses before definitions in b, plus
// (out(b) minus what b defines), out(b) = the union of the successors' in, iterated
// until nothing changes. Constants are never live (their uses rematerialise them).
std::vector<std::set<Value>> reference_live_in(const Function& f)
{
    auto is_const = [&](Value v) {
        return f.value(v).kind == ValueKind::Result && f.inst(f.value(v).def).op == Op::Const;
    };
    std::vector<std::set<Value>> gen(f.block_count()), kill(f.block_count()), in(f.block_count());
    for (Block b : f.layout()) {
        for (Value p : f.params(b))
            kill[b].insert(p);
        for (Inst i : f.insts(b)) {
            auto read = [&](Value v) {
                if (!is_const(v) && !kill[b].count(v))
                    gen[b].insert(v);
            };
            for (Value v : f.args(i))
                read(v);
            const InstData& data = f.inst(i);
            for (u32 e = data.first_edge; e < data.first_edge + data.edge_count; ++e) {
                for (Value v : f.edge_args(e))
                    read(v);
            }
            for (u32 r = 0; r < data.result_count; ++r)
                kill[b].insert(f.result(i, r));
        }
    }
    for (bool changed = true; changed;) {
        changed = false;
        for (Block b : f.layout()) {
            std::set<Value> next = gen[b];
            const InstData& data = f.inst(f.terminator(b));
            for (u32 e = data.first_edge; e < data.first_edge + data.edge_count; ++e) {
                for (Value v : in[f.edge(e).to]) {
                    if (!kill[b].count(v))
                        next.insert(v);
                }
            }
            if (next != in[b]) {
                in[b] = std::move(next);
                changed = true;
            }
        }
    }
    return in;
}

std::string shapes_module()
{
    // Loops in loops with a br_table out of them, ifs, a block left early, a call: every
    // kind of edge, and values live across loops they are not used in.
    return R"((module (memory 1)
      (func $g (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
      (func (param i32 i32) (result i32) (local i32 i32 i64)
        (local.set 2 (i32.mul (local.get 0) (i32.const 3)))
        (block $out
          (loop $a
            (local.set 3 (i32.add (local.get 3) (local.get 1)))
            (block $c (block $b
              (br_table $b $c $out (i32.and (local.get 3) (i32.const 3))))
              (local.set 4 (i64.extend_i32_u (call $g (local.get 3)))))
            (loop $inner
              (if (i32.lt_u (local.get 3) (local.get 2))
                (then (local.set 3 (i32.add (local.get 3) (i32.const 7))))
                (else (i32.store (local.get 3) (local.get 2))))
              (br_if $inner (i32.and (local.get 3) (i32.const 1))))
            (br_if $a (i32.lt_u (local.get 3) (i32.const 1000)))))
        (i32.add (i32.wrap_i64 (local.get 4)) (i32.add (local.get 3) (local.get 2))))))";
}

} // namespace

TEST(Liveness, SameSetsAsTheDataFlow)
{
    std::vector<std::string> modules = { shapes_module() };
    // Nested ifs and a br_if chain, small.
    std::string ifs = "(module (func (param i32) (result i32) (local i32)";
    for (int k = 0; k < 40; ++k)
        ifs += " local.get 0 i32.const " + std::to_string(k) + " i32.lt_u if local.get 1 i32.const 1 i32.add local.set 1";
    for (int k = 0; k < 40; ++k)
        ifs += " end";
    modules.push_back(ifs + " local.get 1))");
    for (const std::string& wat : modules) {
        auto loaded = load(wat.c_str());
        ASSERT_TRUE(loaded);
        usize module_entries = 0;
        for (u32 index = 0; index < loaded->module.codes.size(); ++index) {
            auto allocated = allocate(wat, index);
            ASSERT_TRUE(allocated);
            const Function& f = allocated->function;
            std::vector<std::set<Value>> expected = reference_live_in(f);
            usize entries = 0;
            for (Block b : f.layout()) {
                Span<const Value> live = allocated->allocator.live_in_values(b);
                std::set<Value> got(live.begin(), live.end());
                EXPECT_EQ(got, expected[b]) << "block " << b << " of function " << index;
                EXPECT_TRUE(std::is_sorted(live.begin(), live.end()));
                EXPECT_EQ(got.size(), live.size()) << "a value listed twice";
                entries += expected[b].size();
                for (Value v : expected[b])
                    EXPECT_TRUE(allocated->allocator.live_in(b, v));
            }
            EXPECT_EQ(allocated->allocator.live_in_size(), entries);
            module_entries += entries;
        }
        EXPECT_GT(module_entries, 10u);
    }
}

// Thousands of blocks and values with a few live at each block: bit sets (blocks x
// values, at most 64 MiB) refused these; the walks cost about the sets' entries times
// the predecessors.
TEST(Liveness, ManyBlocksWithSmallSetsAreAllocated)
{
    std::string ifs = "(module (func (param i32) (result i32) (local i32)";
    for (int k = 0; k < 5000; ++k)
        ifs += " local.get 0 i32.const " + std::to_string(k) + " i32.lt_u if local.get 1 i32.const 1 i32.add local.set 1";
    for (int k = 0; k < 5000; ++k)
        ifs += " end";
    ifs += " local.get 1))";
    std::string chain = "(module (func (param i32) (result i32) (local i32 i32 i32 i32) block";
    for (int k = 0; k < 20000; ++k)
        chain += " local.get " + std::to_string(1 + k % 4) + " i32.const " + std::to_string(k) + " i32.add local.set "
            + std::to_string(1 + k % 4) + " local.get 0 i32.const " + std::to_string(k) + " i32.eq br_if 0";
    chain += " end local.get 1 local.get 2 i32.add local.get 3 i32.add local.get 4 i32.add))";
    for (const std::string* wat : { &ifs, &chain }) {
        auto allocated = allocate(*wat, 0);
        ASSERT_TRUE(allocated);
        const Function& f = allocated->function;
        u64 blocks = f.layout().size();
        u64 bits_bytes = blocks * ((f.value_count() + 63) / 64) * 8 * 3;
        EXPECT_GT(bits_bytes, 64ull << 20) << "the dense sets would have fitted";
        u64 edges = 0;
        for (Block b : f.layout())
            edges += f.preds(b).size();
        usize entries = allocated->allocator.live_in_size();
        EXPECT_LE(entries, 8 * blocks) << entries << " live-in entries for " << blocks << " blocks";
        EXPECT_LE(allocated->allocator.liveness_work(), 4 * (entries + edges + blocks));
    }
}

} // namespace wk::engine::opt
