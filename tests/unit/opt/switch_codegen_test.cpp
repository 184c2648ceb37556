// The optimising tier's compare tree for br_table (switch.cpp): the default is the last
// range of the binary search, merged with the last case's run when they share a target.
// Every index, in range or past it, must reach the target the baseline reaches.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/opt/codegen_harness.h"

namespace wk::engine::opt {

TEST(Switch, TheDefaultIsTheSearchsLastRange)
{
    // br_table labels (0 to 3 are the blocks returning 10 to 13), the default last.
    const char* tables[] = {
        "0 1 2 3",         // three runs, the default (3) a fourth
        "0 0 1 1 2 2",     // the default (2) merges with the last run
        "1 1 1 1",         // one target for everything
        "2 0 1 3 2",       // the default equals the first case's target
        "3 2 1 0 1 2 3 0", // the default (0) equals the second-to-last case's target
        "0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3 3",
        "0",               // no cases, only the default
    };
    std::string wat = "(module";
    u32 count = 0;
    for (const char* table : tables) {
        wat += " (func (export \"s" + std::to_string(count++) + "\") (param i32) (result i32)"
               " (block (block (block (block (br_table " + std::string(table) + " (local.get 0)) (return (i32.const 10)))"
               " (return (i32.const 11))) (return (i32.const 12)))) (i32.const 13))";
    }
    wat += ")";
    auto [baseline, optimized] = instantiate_both(wat);
    ASSERT_TRUE(baseline && optimized);
    EXPECT_EQ(optimized->statistics.optimized_functions, optimized->statistics.functions);
    u32 compared = 0;
    for (u32 k = 0; k < count; ++k) {
        std::string name = "s" + std::to_string(k);
        for (u64 index : { 0ull, 1ull, 2ull, 3ull, 4ull, 5ull, 6ull, 7ull, 15ull, 16ull, 17ull, 0x7fffffffull,
                           0x80000000ull, 0xfffffffeull, 0xffffffffull }) {
            std::string expected = run_text(*baseline, name, { index });
            EXPECT_EQ(run_text(*optimized, name, { index }), expected) << name << " index " << index;
            EXPECT_NE(expected.find("1"), std::string::npos) << name; // a block's number, not an error
            ++compared;
        }
    }
    EXPECT_EQ(compared, count * 15);
}

} // namespace wk::engine::opt
