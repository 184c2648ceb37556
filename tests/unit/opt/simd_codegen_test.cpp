// SIMD (v128) in the optimising tier against the baseline: every lane-wise operation,
// shifts, lanes, shuffles and tests on edge-case operands; more live v128 values than
// xmm registers (spill slots, borrowed registers); v128 arguments and results across
// calls (stack arguments, a results area); v128 loop parameters rotating (parallel-move
// cycles); v128 globals; loads and stores at the last valid offset and one past it.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/opcode.h"
#include "tests/unit/opt/codegen_harness.h"

namespace wk::engine::opt {

namespace {

const u64 kOperands[] = { 0, ~u64 { 0 }, 0x8000'0000'0000'0000, 0x7FFF'FFFF'FFFF'FFFF, 0x0123'4567'89AB'CDEF,
                          0x3FF0'0000'0000'0000, 0x7FF8'0000'0000'0001, 0xC000'0000'4049'0FDB, 0x0000'0001'FFFF'FFFF,
                          0x8080'7F7F'0101'FEFE };

// i64x2 from two i64 parameters.
std::string vec(const char* low, const char* high)
{
    return std::string("(i64x2.replace_lane 1 (i64x2.splat (local.get ") + low + ")) (local.get " + high + "))";
}

// An i64 from a v128 on the stack (both lanes).
std::string fold_lanes(const std::string& v)
{
    return "(local.set $t " + v + ") (i64.xor (i64x2.extract_lane 0 (local.get $t)) (i64.rotl (i64x2.extract_lane 1 (local.get $t)) (i64.const 17)))";
}

void compare_all(TieredInstance& baseline, TieredInstance& optimized, const std::string& name, u32 params, u32& compared)
{
    for (u32 i = 0; i < sizeof(kOperands) / sizeof(kOperands[0]); ++i) {
        std::vector<u64> args;
        for (u32 p = 0; p < params; ++p)
            args.push_back(kOperands[(i + 3 * p) % (sizeof(kOperands) / sizeof(kOperands[0]))]);
        std::string expected = run_text(baseline, name, args);
        std::string actual = run_text(optimized, name, args);
        EXPECT_EQ(expected, actual) << name << " operands " << i;
        ++compared;
    }
}

} // namespace

TEST(OptSimd, EveryLanewiseOpAgreesWithTheBaseline)
{
    // Every v128 op of one to three v128 operands (opcodes.def), in registers and, in
    // a second function, with 16 other v128 values live across it.
    std::string wat = "(module\n";
    std::vector<std::string> names;
    std::vector<u32> arity;
    for (u32 code = 0; code < kOpcodeCount; ++code) {
        const OpcodeInfo& info = opcode_info(static_cast<Opcode>(code));
        if ((info.feature != Feature::Simd && info.feature != Feature::RelaxedSimd) || info.imm != ImmKind::None
            || !info.has_signature || info.result_count != 1 || info.results[0] != SigType::V128 || info.param_count == 0)
            continue;
        bool all_v128 = true;
        for (u32 k = 0; k < info.param_count; ++k)
            all_v128 = all_v128 && info.params[k] == SigType::V128;
        if (!all_v128)
            continue;
        std::string id = std::to_string(names.size());
        std::string call = std::string("(") + info.name + " " + vec("$a", "$b");
        if (info.param_count > 1)
            call += " " + vec("$c", "$d");
        if (info.param_count > 2)
            call += " " + vec("$b", "$a");
        call += ")";
        wat += " (func (export \"op" + id + "\") (param $a i64) (param $b i64) (param $c i64) (param $d i64) (result i64) (local $t v128) "
            + fold_lanes(call) + ")\n";
        // Pressure: 16 v128 values live across the op (more than the 14 allocatable xmm).
        wat += " (func (export \"press" + id + "\") (param $a i64) (param $b i64) (param $c i64) (param $d i64) (result i64) (local $t v128)";
        for (u32 v = 0; v < 16; ++v)
            wat += " (local $v" + std::to_string(v) + " v128)";
        for (u32 v = 0; v < 16; ++v)
            wat += " (local.set $v" + std::to_string(v) + " (i32x4.add " + vec("$a", "$d") + " (i32x4.splat (i32.const " + std::to_string(v * 977 + 1) + "))))";
        wat += " (local.set $t " + call + ")";
        std::string sum = "(local.get $t)";
        for (u32 v = 0; v < 16; ++v)
            sum = "(i64x2.add " + sum + " (local.get $v" + std::to_string(v) + "))";
        wat += " " + fold_lanes(sum) + ")\n";
        names.push_back(info.name);
        arity.push_back(info.param_count);
    }
    wat += ")\n";
    ASSERT_EQ(names.size(), 191u); // every such row of opcodes.def
    auto [baseline, optimized] = instantiate_both(wat);
    ASSERT_TRUE(baseline && optimized);
    EXPECT_EQ(optimized->statistics.optimized_functions, optimized->statistics.functions);
    u32 compared = 0;
    for (usize k = 0; k < names.size(); ++k) {
        compare_all(*baseline, *optimized, "op" + std::to_string(k), 4, compared);
        compare_all(*baseline, *optimized, "press" + std::to_string(k), 4, compared);
    }
    EXPECT_EQ(compared, names.size() * 2 * (sizeof(kOperands) / sizeof(kOperands[0])));
    EXPECT_NE(run_text(*optimized, "op0", { 1, 2, 3, 4 }), run_text(*optimized, "op0", { 5, 2, 3, 4 }));
}

TEST(OptSimd, ScalarOperandsLanesShufflesAndTests)
{
    std::string wat = "(module\n";
    std::vector<std::string> bodies = {
        "(i8x16.shl " + vec("$a", "$b") + " (i32.wrap_i64 (local.get $c)))",
        "(i8x16.shr_s " + vec("$a", "$b") + " (i32.wrap_i64 (local.get $c)))",
        "(i8x16.shr_u " + vec("$a", "$b") + " (i32.wrap_i64 (local.get $c)))",
        "(i16x8.shl " + vec("$a", "$b") + " (i32.wrap_i64 (local.get $c)))",
        "(i16x8.shr_s " + vec("$a", "$b") + " (i32.wrap_i64 (local.get $c)))",
        "(i32x4.shr_u " + vec("$a", "$b") + " (i32.wrap_i64 (local.get $c)))",
        "(i64x2.shr_s " + vec("$a", "$b") + " (i32.wrap_i64 (local.get $c)))",
        "(i64x2.shl " + vec("$a", "$b") + " (i32.const 13))",
        "(i8x16.shuffle 0 17 2 19 4 21 6 23 31 30 29 28 3 3 3 16 " + vec("$a", "$b") + " " + vec("$c", "$a") + ")",
        "(i8x16.replace_lane 7 " + vec("$a", "$b") + " (i32.wrap_i64 (local.get $c)))",
        "(i16x8.replace_lane 5 " + vec("$a", "$b") + " (i32.wrap_i64 (local.get $c)))",
        "(i32x4.replace_lane 2 " + vec("$a", "$b") + " (i32.wrap_i64 (local.get $c)))",
        "(f32x4.replace_lane 3 " + vec("$a", "$b") + " (f32.reinterpret_i32 (i32.wrap_i64 (local.get $c))))",
        "(f64x2.replace_lane 0 " + vec("$a", "$b") + " (f64.reinterpret_i64 (local.get $c)))",
        "(f64x2.replace_lane 1 " + vec("$a", "$b") + " (f64.const 2.5))",
        "(i8x16.splat (i32.wrap_i64 (local.get $c)))",
        "(i16x8.splat (i32.wrap_i64 (local.get $c)))",
        "(f32x4.splat (f32.reinterpret_i32 (i32.wrap_i64 (local.get $c))))",
        "(f64x2.splat (f64.reinterpret_i64 (local.get $c)))",
        "(v128.const i32x4 1 -2 0x7fffffff 0x80000000)",
        "(i64x2.splat (i64.extend_i32_u (i8x16.extract_lane_s 9 " + vec("$a", "$b") + ")))",
        "(i64x2.splat (i64.extend_i32_u (i16x8.extract_lane_u 6 " + vec("$a", "$b") + ")))",
        "(i64x2.splat (i64.reinterpret_f64 (f64.promote_f32 (f32x4.extract_lane 1 " + vec("$a", "$b") + "))))",
        "(i64x2.splat (i64.reinterpret_f64 (f64x2.extract_lane 1 " + vec("$a", "$b") + ")))",
        "(i64x2.splat (i64.extend_i32_u (i32.add (v128.any_true " + vec("$a", "$b") + ") (i32.shl (i8x16.all_true " + vec("$a", "$b") + ") (i32.const 1)))))",
        "(i64x2.splat (i64.extend_i32_u (i32.add (i16x8.bitmask " + vec("$a", "$b") + ") (i32.shl (i32x4.all_true " + vec("$a", "$b") + ") (i32.const 20)))))",
        "(i64x2.splat (i64.extend_i32_u (i32.add (i8x16.bitmask " + vec("$a", "$b") + ") (i64x2.bitmask " + vec("$c", "$b") + "))))",
        "(select (result v128) " + vec("$a", "$b") + " " + vec("$b", "$c") + " (i32.wrap_i64 (local.get $c)))",
    };
    for (usize k = 0; k < bodies.size(); ++k)
        wat += " (func (export \"f" + std::to_string(k) + "\") (param $a i64) (param $b i64) (param $c i64) (result i64) (local $t v128) " + fold_lanes(bodies[k]) + ")\n";
    wat += ")\n";
    auto [baseline, optimized] = instantiate_both(wat);
    ASSERT_TRUE(baseline && optimized);
    EXPECT_EQ(optimized->statistics.optimized_functions, optimized->statistics.functions);
    u32 compared = 0;
    for (usize k = 0; k < bodies.size(); ++k)
        compare_all(*baseline, *optimized, "f" + std::to_string(k), 3, compared);
    EXPECT_EQ(compared, bodies.size() * (sizeof(kOperands) / sizeof(kOperands[0])));
    // The functions compute something: results differ with the operands.
    EXPECT_NE(run_text(*optimized, "f0", { 1, 2, 3 }), run_text(*optimized, "f0", { 5, 2, 3 }));
}

TEST(OptSimd, CallsLoopsGlobalsAndPressure)
{
    // $callee takes 10 v128 arguments (xmm0-7, then two on the stack) and an i64;
    // $pair returns two v128 results (results area); $loop rotates three v128 loop
    // parameters $n times (a parallel-move cycle per iteration) with 20 v128 values
    // live across calls in the loop.
    std::string args10;
    for (u32 k = 0; k < 10; ++k)
        args10 += " (param $p" + std::to_string(k) + " v128)";
    std::string weighted = "(local.get $p0)";
    for (u32 k = 1; k < 10; ++k)
        weighted = "(i32x4.add (i32x4.mul " + weighted + " (i32x4.splat (i32.const 3))) (local.get $p" + std::to_string(k) + "))";
    std::string wat = "(module (global $g (mut v128) (v128.const i64x2 5 6))\n"
                      " (func $callee" + args10 + " (param $s i64) (result v128) (i64x2.add " + weighted + " (i64x2.splat (local.get $s))))\n"
                      " (func $pair (param $x v128) (result v128 v128) (i8x16.swizzle (local.get $x) (v128.const i8x16 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1 40)) (i64x2.mul (local.get $x) (local.get $x)))\n"
                      " (func (export \"loop\") (param $a i64) (param $b i64) (param $n i32) (result i64) (local $t v128)";
    for (u32 v = 0; v < 20; ++v)
        wat += " (local $v" + std::to_string(v) + " v128)";
    wat += " (local $x v128) (local $y v128) (local $z v128)";
    for (u32 v = 0; v < 20; ++v)
        wat += " (local.set $v" + std::to_string(v) + " (i64x2.add " + vec("$a", "$b") + " (i64x2.splat (i64.const " + std::to_string(v * 31 + 7) + "))))";
    wat += " (local.set $x " + vec("$a", "$b") + ") (local.set $y " + vec("$b", "$a") + ") (local.set $z (global.get $g))"
           " (block $done (loop $l (br_if $done (i32.eqz (local.get $n)))"
           "  (local.set $t (call $callee (local.get $x) (local.get $y) (local.get $z) (local.get $v0) (local.get $v1) (local.get $v2)"
           "     (local.get $v3) (local.get $v4) (local.get $v5) (local.get $v19) (i64.extend_i32_u (local.get $n))))"
           "  (local.get $x) (local.get $y) (local.get $z) (local.set $x) (local.set $z) (local.set $y)"
           "  (call $pair (local.get $t)) (local.set $t) (local.set $x (i32x4.add (local.get $x) (local.get $t))) (drop)"
           "  (global.set $g (v128.xor (global.get $g) (local.get $x)))"
           "  (local.set $n (i32.sub (local.get $n) (i32.const 1))) (br $l)))";
    std::string sum = "(i64x2.add (i64x2.add (local.get $x) (local.get $y)) (i64x2.add (local.get $z) (global.get $g)))";
    for (u32 v = 0; v < 20; ++v)
        sum = "(i64x2.sub " + sum + " (local.get $v" + std::to_string(v) + "))";
    wat += " " + fold_lanes(sum) + ")\n)\n";
    auto [baseline, optimized] = instantiate_both(wat);
    ASSERT_TRUE(baseline && optimized);
    EXPECT_EQ(optimized->statistics.optimized_functions, optimized->statistics.functions);
    for (u64 n : { 0u, 1u, 2u, 3u, 7u, 20u }) {
        std::vector<u64> args = { 0x0123'4567'89AB'CDEF, 0xFEDC'BA98'7654'3210, n };
        std::string expected = run_text(*baseline, "loop", args);
        EXPECT_EQ(expected, run_text(*optimized, "loop", args)) << "n " << n;
        EXPECT_EQ(expected.rfind("trap", 0), std::string::npos);
    }
}

TEST(OptSimd, LoadsAndStoresAtTheEndOfMemory)
{
    // Each access at the last offset where it fits and one past it (a trap), for a
    // guarded 32-bit memory and a memory64 (explicit bounds checks).
    struct Access {
        const char* text; // with $p the address
        u32 bytes;
    };
    const Access accesses[] = {
        { "(v128.load offset=3 (local.get $p))", 16 },
        { "(v128.load8x8_s offset=3 (local.get $p))", 8 },
        { "(v128.load16x4_u offset=3 (local.get $p))", 8 },
        { "(v128.load8_splat offset=3 (local.get $p))", 1 },
        { "(v128.load16_splat offset=3 (local.get $p))", 2 },
        { "(v128.load32_zero offset=3 (local.get $p))", 4 },
        { "(v128.load64_splat offset=3 (local.get $p))", 8 },
        { "(v128.load32_lane offset=3 2 (local.get $p) (v128.const i64x2 -1 -1))", 4 },
        { "(v128.load8_lane offset=3 15 (local.get $p) (v128.const i64x2 -1 -1))", 1 },
        { "(block (result v128) (v128.store offset=3 (local.get $p) (v128.const i32x4 1 2 3 4)) (v128.load (i32.const 0)))", 16 },
        { "(block (result v128) (v128.store16_lane offset=3 3 (local.get $p) (v128.const i16x8 1 2 3 4 5 6 7 8)) (v128.load (i32.const 0)))", 2 },
        { "(block (result v128) (v128.store64_lane offset=3 1 (local.get $p) (v128.const i64x2 9 10)) (v128.load (i32.const 0)))", 8 },
    };
    for (bool memory64 : { false, true }) {
        std::string wat = memory64 ? "(module (memory i64 1 1) (data (i64.const 65500) \"\\01\\02\\03\\04\\05\\06\\07\\08\\09\\0a\\0b\\0c\\0d\\0e\\0f\\10\\11\\12\\13\\14\\15\\16\\17\\18\\19\\1a\\1b\\1c\\1d\\1e\\1f\\20\\21\\22\\23\\24\")\n"
                                   : "(module (memory 1 1) (data (i32.const 65500) \"\\01\\02\\03\\04\\05\\06\\07\\08\\09\\0a\\0b\\0c\\0d\\0e\\0f\\10\\11\\12\\13\\14\\15\\16\\17\\18\\19\\1a\\1b\\1c\\1d\\1e\\1f\\20\\21\\22\\23\\24\")\n";
        std::string address_type = memory64 ? "i64" : "i32";
        for (usize k = 0; k < sizeof(accesses) / sizeof(accesses[0]); ++k) {
            std::string text = accesses[k].text;
            if (memory64) {
                // The stored-back reads use an i64 address too.
                for (usize at = text.find("(i32.const 0)"); at != std::string::npos; at = text.find("(i32.const 0)"))
                    text.replace(at, 13, "(i64.const 0)");
            }
            wat += " (func (export \"a" + std::to_string(k) + "\") (param $p " + address_type + ") (result i64) (local $t v128) "
                + fold_lanes(text) + ")\n";
        }
        wat += ")\n";
        auto [baseline, optimized] = instantiate_both(wat);
        ASSERT_TRUE(baseline && optimized);
        EXPECT_EQ(optimized->statistics.optimized_functions, optimized->statistics.functions);
        for (usize k = 0; k < sizeof(accesses) / sizeof(accesses[0]); ++k) {
            u64 last = 65536 - 3 - accesses[k].bytes;
            std::string name = "a" + std::to_string(k);
            for (u64 address : { last - 40, last, last + 1, u64 { 0xFFFF'FFFF }, u64 { 0 } }) {
                std::string expected = run_text(*baseline, name, { address });
                EXPECT_EQ(expected, run_text(*optimized, name, { address })) << accesses[k].text << " at " << address << " memory64 " << memory64;
            }
            EXPECT_EQ(run_text(*optimized, name, { last }).rfind("trap", 0), std::string::npos) << accesses[k].text;
            EXPECT_EQ(run_text(*optimized, name, { last + 1 }), trap_text(TrapKind::MemoryOutOfBounds)) << accesses[k].text;
        }
    }
}

} // namespace wk::engine::opt
