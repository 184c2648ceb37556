// Atomics (threads proposal) in the optimising tier against the baseline: every
// load, store, read-modify-write and compare-exchange form at aligned, misaligned and
// out-of-bounds addresses, with many values live across the instruction (so the
// registers it borrows, rax and rdx, hold values that must survive).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/text/wat.h"
#include "tests/unit/opt/codegen_harness.h"

namespace wk::engine::opt {

namespace {

struct Form {
    const char* name; // e.g. "i32.atomic.rmw8.add_u"
    bool wide;        // i64 operands
    u32 operands;     // after the address: 0 load, 1 store/rmw, 2 cmpxchg
    bool result;
};

std::vector<Form> forms()
{
    std::vector<Form> all;
    const char* types[7][2] = { { "i32", "" }, { "i64", "" }, { "i32", "8" }, { "i32", "16" },
                                { "i64", "8" }, { "i64", "16" }, { "i64", "32" } };
    static std::vector<std::string> names;
    names.clear();
    names.reserve(64);
    const char* groups[] = { "load", "store", "add", "sub", "and", "or", "xor", "xchg", "cmpxchg" };
    for (u32 g = 0; g < 9; ++g) {
        for (auto& type : types) {
            std::string width = type[1];
            std::string name = std::string(type[0]) + ".atomic.";
            if (g == 0)
                name += std::string(groups[g]) + width + (width.empty() ? "" : "_u");
            else if (g == 1)
                name += std::string(groups[g]) + width;
            else
                name += "rmw" + width + "." + groups[g] + (width.empty() ? "" : "_u");
            names.push_back(name);
            all.push_back({ nullptr, std::string(type[0]) == "i64", g == 0 ? 0u : g == 8 ? 2u : 1u, g != 1 });
        }
    }
    for (usize k = 0; k < all.size(); ++k)
        all[k].name = names[k].c_str();
    return all;
}

std::string module_text(const std::vector<Form>& all)
{
    std::string wat = "(module (memory 1 1 shared)\n";
    for (usize k = 0; k < all.size(); ++k) {
        const Form& f = all[k];
        std::string t = f.wide ? "i64" : "i32";
        std::string id = std::to_string(k);
        // op<k>(addr, a, b): the op's result (or 0) plus the 8 bytes at the address after.
        wat += " (func (export \"op" + id + "\") (param $p i32) (param $a " + t + ") (param $b " + t + ") (result i64)";
        std::string call = "(" + std::string(f.name) + " offset=4 (local.get $p)";
        if (f.operands >= 1)
            call += " (local.get $a)";
        if (f.operands == 2)
            call += " (local.get $b)";
        call += ")";
        std::string as_i64 = f.wide ? call : "(i64.extend_i32_u " + call + ")";
        if (f.result)
            wat += " (i64.add " + as_i64 + " (i64.load offset=4 (local.get $p))))\n";
        else
            wat += " " + call + " (i64.load offset=4 (local.get $p)))\n";
        // Pressure: 12 values live across the op.
        wat += " (func (export \"press" + id + "\") (param $p i32) (param $a " + t + ") (param $b " + t + ") (result i64)";
        for (u32 v = 0; v < 12; ++v)
            wat += " (local $v" + std::to_string(v) + " i64)";
        for (u32 v = 0; v < 12; ++v)
            wat += " (local.set $v" + std::to_string(v) + " (i64.mul (i64.extend_i32_u (local.get $p)) (i64.const " + std::to_string(v * 7 + 3) + ")))";
        if (f.result)
            wat += " (local.set $v0 (i64.add (local.get $v0) " + as_i64 + "))";
        else
            wat += " " + call;
        std::string sum = "(local.get $v0)";
        for (u32 v = 1; v < 12; ++v)
            sum = "(i64.add " + sum + " (i64.rotl (local.get $v" + std::to_string(v) + ") (i64.const " + std::to_string(v) + ")))";
        wat += " " + sum + ")\n";
    }
    wat += " (func (export \"fence\") (result i32) (atomic.fence) (i32.const 1)))\n";
    return wat;
}

} // namespace

TEST(OptAtomics, EveryFormAgreesWithTheBaseline)
{
    std::vector<Form> all = forms();
    ASSERT_EQ(all.size(), 63u);
    std::string wat = module_text(all);
    auto [baseline, optimized] = instantiate_both(wat);
    ASSERT_TRUE(baseline && optimized);
    EXPECT_EQ(optimized->statistics.optimized_functions, optimized->statistics.functions);
    const u64 addresses[] = { 0, 4, 1, 2, 3, 60, 65520, 65524, 65526, 65528, 65532, 0xFFFF'FFF0 };
    const u64 values[][2] = { { 0x1234'5678'9ABC'DEF0, 0xFF }, { 0xFFFF'FFFF'FFFF'FFFF, 0x8000'0000 }, { 0, 1 } };
    u32 compared = 0, traps = 0;
    for (usize k = 0; k < all.size(); ++k) {
        std::string id = std::to_string(k);
        for (u64 address : addresses) {
            for (const auto& v : values) {
                u64 a = all[k].wide ? v[0] : v[0] & 0xFFFF'FFFF;
                u64 b = all[k].wide ? v[1] : v[1] & 0xFFFF'FFFF;
                for (const char* prefix : { "op", "press" }) {
                    // Fresh memory contents in both: a store of the same bytes first.
                    std::string name = prefix + id;
                    std::string expected = run_text(*baseline, name, { address, a, b });
                    std::string actual = run_text(*optimized, name, { address, a, b });
                    EXPECT_EQ(expected, actual) << all[k].name << " " << prefix << " at " << address;
                    traps += expected.rfind("trap", 0) == 0;
                    ++compared;
                }
            }
        }
    }
    // Both outcomes occurred: in-bounds results and traps (misaligned, out of bounds).
    EXPECT_GT(traps, 0u);
    EXPECT_LT(traps, compared);
    EXPECT_EQ(run_text(*optimized, "fence", {}), "1 ");
}

} // namespace wk::engine::opt
