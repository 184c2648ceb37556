// Wide arithmetic (i64.add128, i64.sub128, i64.mul_wide_s, i64.mul_wide_u) in the
// optimising tier: both results against the 128-bit arithmetic of the host compiler and
// against the baseline, at carries, borrows, all-ones operands and the most negative
// values; with many values live across the instruction (the allocator keeps them out of
// rax and rdx there), with constant operands, with one result unused, and with the
// results used in the other order.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/opt/codegen_harness.h"

namespace wk::engine::opt {

namespace {

struct WideOp {
    const char* name;
    u32 operands; // 4 for add128/sub128 (lo hi lo hi), 2 for the multiplies
};

const WideOp kOps[] = { { "i64.add128", 4 }, { "i64.sub128", 4 }, { "i64.mul_wide_s", 2 }, { "i64.mul_wide_u", 2 } };

std::string module_text()
{
    std::string wat = "(module\n";
    for (u32 k = 0; k < 4; ++k) {
        const WideOp& op = kOps[k];
        std::string id = std::to_string(k);
        std::string params = op.operands == 4 ? "(param i64 i64 i64 i64)" : "(param i64 i64)";
        std::string gets;
        for (u32 p = 0; p < op.operands; ++p)
            gets += " (local.get " + std::to_string(p) + ")";
        std::string call = "(" + std::string(op.name) + gets + ")";
        // plain<k>: both results as they are.
        wat += " (func (export \"plain" + id + "\") " + params + " (result i64 i64) " + call + ")\n";
        // swap<k>: high half first (the results' places are a parallel move).
        wat += " (func (export \"swap" + id + "\") " + params + " (result i64 i64) (local $lo i64) (local $hi i64) "
            + call + " (local.set $hi) (local.set $lo) (local.get $hi) (local.get $lo))\n";
        // low<k>, high<k>: one result dropped.
        wat += " (func (export \"low" + id + "\") " + params + " (result i64) " + call + " drop)\n";
        wat += " (func (export \"high" + id + "\") " + params + " (result i64) (local i64) " + call + " (local.set "
            + std::to_string(op.operands) + ") drop (local.get " + std::to_string(op.operands) + "))\n";
        // const<k>: the second and last operands are all-ones constants.
        std::string with_consts = "(" + std::string(op.name) + " (local.get 0) (i64.const -1)";
        if (op.operands == 4)
            with_consts += " (local.get 2) (i64.const -1)";
        with_consts += ")";
        wat += " (func (export \"const" + id + "\") " + params + " (result i64 i64) " + with_consts + ")\n";
        // press<k>: 12 values live across the op, folded into both halves after it.
        wat += " (func (export \"press" + id + "\") " + params + " (result i64 i64) (local $lo i64) (local $hi i64)";
        for (u32 v = 0; v < 12; ++v)
            wat += " (local $v" + std::to_string(v) + " i64)";
        for (u32 v = 0; v < 12; ++v)
            wat += " (local.set $v" + std::to_string(v) + " (i64.mul (local.get " + std::to_string(v % op.operands)
                + ") (i64.const " + std::to_string(v * 7 + 3) + ")))";
        wat += " " + call + " (local.set $hi) (local.set $lo)";
        std::string sum = "(local.get $v0)";
        for (u32 v = 1; v < 12; ++v)
            sum = "(i64.add " + sum + " (i64.rotl (local.get $v" + std::to_string(v) + ") (i64.const " + std::to_string(v) + ")))";
        wat += " (i64.xor (local.get $lo) " + sum + ") (i64.sub (local.get $hi) " + sum + "))\n";
    }
    wat += ")\n";
    return wat;
}

using u128 = unsigned __int128;
using i128 = __int128;

// The two halves the wasm op gives, computed with the host's 128-bit integers.
std::string expected_text(u32 op, const std::vector<u64>& a)
{
    u128 r;
    if (op == 0)
        r = ((u128 { a[1] } << 64) | a[0]) + ((u128 { a[3] } << 64) | a[2]);
    else if (op == 1)
        r = ((u128 { a[1] } << 64) | a[0]) - ((u128 { a[3] } << 64) | a[2]);
    else if (op == 2)
        r = static_cast<u128>(i128 { static_cast<i64>(a[0]) } * i128 { static_cast<i64>(a[1]) });
    else
        r = u128 { a[0] } * u128 { a[1] };
    return std::to_string(static_cast<u64>(r)) + " " + std::to_string(static_cast<u64>(r >> 64)) + " ";
}

} // namespace

TEST(OptWideArithmetic, EveryOpAgreesWithTheBaselineAndTheHost)
{
    auto [baseline, optimized] = instantiate_both(module_text());
    ASSERT_TRUE(baseline && optimized);
    // No function fell back to the baseline.
    EXPECT_EQ(optimized->statistics.optimized_functions, optimized->statistics.functions);
    EXPECT_EQ(optimized->statistics.functions, 24u);
    const u64 values[] = { 0, 1, 2, 0x7FFF'FFFF'FFFF'FFFF, 0x8000'0000'0000'0000, 0xFFFF'FFFF'FFFF'FFFF,
                           0xFFFF'FFFF'0000'0001, 0x1234'5678'9ABC'DEF0 };
    u32 compared = 0;
    for (u32 op = 0; op < 4; ++op) {
        std::string id = std::to_string(op);
        std::vector<std::vector<u64>> cases;
        for (u64 x : values) {
            for (u64 y : values) {
                if (kOps[op].operands == 2) {
                    cases.push_back({ x, y });
                    continue;
                }
                // add/sub: the low halves x, y and high halves from the same set, so low
                // carries/borrows meet every high half (a coarser grid keeps it quick).
                for (u64 hx : { u64 { 0 }, u64 { 0xFFFF'FFFF'FFFF'FFFF }, u64 { 0x8000'0000'0000'0000 }, y })
                    for (u64 hy : { u64 { 0 }, u64 { 1 }, u64 { 0xFFFF'FFFF'FFFF'FFFF }, x })
                        cases.push_back({ x, hx, y, hy });
            }
        }
        for (const std::vector<u64>& args : cases) {
            std::string want = expected_text(op, args);
            EXPECT_EQ(run_text(*optimized, "plain" + id, args), want) << kOps[op].name;
            // The remaining forms against the baseline.
            for (const char* form : { "swap", "low", "high", "const", "press" }) {
                std::string name = form + id;
                EXPECT_EQ(run_text(*optimized, name, args), run_text(*baseline, name, args)) << kOps[op].name << " " << form;
            }
            ++compared;
        }
    }
    EXPECT_GT(compared, 0u);
    // Spot checks of the host reference itself: the most negative squared, all-ones squared.
    EXPECT_EQ(expected_text(2, { 0x8000'0000'0000'0000, 0x8000'0000'0000'0000 }), "0 4611686018427387904 ");
    EXPECT_EQ(expected_text(3, { ~u64 { 0 }, ~u64 { 0 } }), "1 18446744073709551614 ");
}

} // namespace wk::engine::opt
