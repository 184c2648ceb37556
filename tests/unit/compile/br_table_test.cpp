// br_table dispatch in every tier: compare trees for small tables, the shared jump table
// (engine/x64/abi/jump_table.h) for large ones. Every index, in range or not (0x80000000
// and 0xffffffff included), must reach its entry or the default.

#include <gtest/gtest.h>

#include <string>

#include "engine/compile/tier_up.h"
#include "tests/unit/compile/session.h"

using namespace wk;
using namespace wk::engine;
using namespace wk::engine::test_session;
using runtime::VMVal;

namespace {

// `entries` br_table entries over four blocks, entry i -> block (i * 3 + i / 7) % 4 (no two
// neighbours alike, so the optimising tier sees `entries` runs), default -> the fifth
// outcome. "switch" returns 10 + the block's number; "carry" passes a value through the
// blocks' results (edge moves in the optimising tier), in a loop of `n` dispatches.
// NOTE: entry i of "carry" targets the same block as entry i of "switch".
std::string module_with(u32 entries)
{
    std::string table;
    std::string carried; // the same blocks, one deeper (inside $default)
    for (u32 i = 0; i < entries; ++i) {
        table += std::to_string((i * 3 + i / 7) % 4) + " ";
        carried += std::to_string((i * 3 + i / 7) % 4 + 1) + " ";
    }
    return R"wat((module
        (func (export "switch") (param i32) (result i32)
          (block (block (block (block (block
            (br_table )wat" + table + R"wat(4 (local.get 0)))
            (return (i32.const 10)))
            (return (i32.const 11)))
            (return (i32.const 12)))
            (return (i32.const 13)))
          (i32.const 14))
        (func (export "carry") (param $index i32) (param $n i32) (result i64) (local $sum i64)
          (loop $next
            (local.set $sum (i64.add (local.get $sum)
              (block $d (result i64) (block $c (result i64) (block $b (result i64) (block $a (result i64)
                (block $default (result i64)
                  (br_table )wat" + carried + R"wat(0 (i64.extend_i32_u (local.get $index)) (local.get $index)))
                (return (i64.const -1)))
                (i64.const 200) (i64.add))
                (i64.const 100) (i64.add))
                (i64.const 300) (i64.add))))
            (br_if $next (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
          (local.get $sum)))
    )wat";
}

// The block entry i goes to, or 4 (the default) past the table.
i64 expected_block(u32 entries, u64 index)
{
    return index < entries ? static_cast<i64>((index * 3 + index / 7) % 4) : 4;
}

void check_every_index(Session& session, u32 entries)
{
    const u64 indices[] = { 0, 1, 2, 63, 64, 65, entries - 1u, entries, entries + 1u, 0x7fffffff, 0x80000000, 0xfffffffe,
                            0xffffffff };
    for (u64 index : indices) {
        i64 block = expected_block(entries, index);
        EXPECT_EQ(call_i64(session, "switch", { VMVal::from_i32(static_cast<i32>(index)) }), 10 + block)
            << "index " << index << " of " << entries;
        // Leaving block a adds 200 + 100 + 300 to the index, b 100 + 300, c 300, d
        // nothing; the default returns -1 at once. Three dispatches.
        const i64 added[] = { 600, 400, 300, 0 };
        i64 carried = block == 4 ? -1 : 3 * (static_cast<i64>(index) + added[block]);
        EXPECT_EQ(call_i64(session, "carry", { VMVal::from_i32(static_cast<i32>(index)), VMVal::from_i32(3) }), carried)
            << "index " << index << " of " << entries;
    }
}

    // Tiered: the third call of a function runs its optimised code.
compile::CompileOptions options_for(compile::Tier tier) { return test_session::tier_options(tier, 2); }

} // namespace

// 1000 entries (a jump table in both tiers), 64 (the largest compare tree), 65 (the
// smallest jump table) and 7.
TEST(BrTable, EveryIndexReachesItsEntryOrTheDefaultInEveryTier)
{
    for (u32 entries : { 1000u, 65u, 64u, 7u }) {
        for (compile::Tier tier : { compile::Tier::Baseline, compile::Tier::Optimized, compile::Tier::Tiered }) {
            SCOPED_TRACE("entries " + std::to_string(entries) + ", tier " + std::to_string(static_cast<int>(tier)));
            auto session = instantiate(module_with(entries), options_for(tier));
            ASSERT_TRUE(session);
            if (tier == compile::Tier::Optimized)
                EXPECT_EQ(session->statistics.optimized_functions, session->statistics.functions);
            check_every_index(*session, entries);
            if (tier == compile::Tier::Tiered)
                EXPECT_EQ(compile::tier_up_counts(*session->compiled.module).tiered_up, 2u);
        }
    }
}
