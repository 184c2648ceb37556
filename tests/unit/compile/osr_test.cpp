// On-stack replacement (engine/compile/tier_up.h, docs/optimizing-compiler.md "On-stack
// replacement"): a function called once whose loop runs long moves to its optimised OSR
// entry while the loop runs. Every test runs the same module in the baseline tier too
// and compares the results, and checks through the tier-up counts that the OSR entry
// was compiled and entered (so a test whose loop stayed in the baseline fails).

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <utility>

#include "engine/compile/compiled_module.h"
#include "engine/compile/tier_up.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/store.h"
#include "engine/text/wat.h"
#include "tests/unit/compile/session.h"

using namespace wk;
using namespace wk::engine;
using test_session::wait_idle;
using runtime::VMVal;
using Session = test_session::TierSession;
using test_session::call;
using test_session::instantiate;

namespace {

compile::CompileOptions options_for(compile::Tier tier, i32 threshold)
{
    compile::CompileOptions options;
    options.tier = tier;
    options.tier_up_threshold = threshold;
    options.tier_up_synchronous = true;
    return options;
}

// Nested loops; the inner one (with a parameter and a result) is the first header whose
// counter fires (threshold 5: prologue, outer header, then the inner header's third
// pass), with an i64 and an f64 below the outer block and an i32 below the inner loop
// on the operand stack, and live locals of every scalar and reference type.
const char* const kNested = R"wat((module
    (type $t (func (result i32)))
    (elem declare func $g)
    (func $g (type $t) i32.const 17)
    (func (export "mix") (param $n i32) (param $e externref) (result i64 externref)
        (local $i i32) (local $j i32) (local $a i64) (local $x f32) (local $y f64) (local $r (ref null $t))
        ref.func $g
        local.set $r
        i64.const 1000
        f64.const 0.25
        block $done
            loop $outer
                i32.const 0 local.set $j
                i32.const 7
                local.get $i
                loop $inner (param i32) (result i32)
                    local.get $a local.get $j i64.extend_i32_u i64.const 3 i64.mul i64.add
                    local.get $i i64.extend_i32_u i64.xor
                    i64.const 0x1_0000_0001 i64.mul
                    local.set $a
                    local.get $x f32.const 0.5 f32.add local.set $x
                    local.get $y local.get $x f64.promote_f32 f64.add f64.const 1.0001 f64.mul local.set $y
                    i32.const 3 i32.add
                    local.get $j i32.const 1 i32.add local.tee $j
                    i32.const 10 i32.lt_u
                    br_if $inner
                end
                i32.add
                i64.extend_i32_u local.get $a i64.add local.set $a
                local.get $i i32.const 1 i32.add local.tee $i
                local.get $n i32.lt_u
                br_if $outer
            end
        end
        local.get $y f64.add f64.const 2 f64.mul i64.reinterpret_f64
        i64.add
        local.get $a i64.add
        local.get $x i32.reinterpret_f32 i64.extend_i32_s i64.add
        local.get $r call_ref $t i64.extend_i32_u i64.const 1_000_000 i64.mul i64.add
        local.get $e)

    ;; Several results (returned through the results area), a loop with no stack below.
    (func (export "multi") (param $n i32) (result i32 i64 f64 f32)
        (local $i i32) (local $s i64) (local $f f64) (local $g f32)
        loop
            local.get $s local.get $i i64.extend_i32_u i64.add i64.const 3 i64.rotl local.set $s
            local.get $f f64.const 0.5 f64.add f64.sqrt local.set $f
            local.get $g f32.const 1.25 f32.add local.set $g
            local.get $i i32.const 1 i32.add local.tee $i
            local.get $n i32.lt_u
            br_if 0
        end
        local.get $i local.get $s local.get $f local.get $g)

    ;; A trap raised inside the OSR code (integer division by zero at i = k), under a caller.
    (func $looper (param $n i32) (param $k i32) (result i32)
        (local $i i32) (local $s i32)
        loop
            local.get $s i32.const 1000 local.get $k local.get $i i32.sub i32.div_s i32.add local.set $s
            local.get $i i32.const 1 i32.add local.tee $i
            local.get $n i32.lt_u
            br_if 0
        end
        local.get $s)
    (func (export "caller") (param i32 i32) (result i32)
        local.get 0 local.get 1 call $looper i32.const 1 i32.add)
))wat";

// An exception thrown by a callee of the OSR code, passing through the OSR frame and the
// baseline frame it runs on, caught by the caller's try_table.
const char* const kThrough = R"wat((module
    (tag $x (param i32))
    (func $maybe (param i32)
        local.get 0 i32.const 40 i32.eq if local.get 0 i32.const 100 i32.mul throw $x end)
    (func $loop (param $n i32) (result i32)
        (local $i i32) (local $s i32)
        loop
            local.get $i call $maybe
            local.get $s local.get $i i32.add local.set $s
            local.get $i i32.const 1 i32.add local.tee $i
            local.get $n i32.lt_u
            br_if 0
        end
        local.get $s)
    (func (export "run") (param i32) (result i32)
        block $caught (result i32)
            try_table (catch $x $caught)
                local.get 0 call $loop
                return
            end
            unreachable
        end
        i32.const 1 i32.add)
))wat";

// The same through the legacy instructions: a delegate to the function label passes
// $relay's catch_all by, run's inner clause rethrows, its outer one catches.
const char* const kThroughLegacy = R"wat((module
    (tag $x (param i32))
    (func $maybe (param i32)
        local.get 0 i32.const 40 i32.eq if local.get 0 i32.const 100 i32.mul throw $x end)
    (func $loop (param $n i32) (result i32)
        (local $i i32) (local $s i32)
        loop
            local.get $i call $maybe
            local.get $s local.get $i i32.add local.set $s
            local.get $i i32.const 1 i32.add local.tee $i
            local.get $n i32.lt_u
            br_if 0
        end
        local.get $s)
    (func $relay (param i32) (result i32)
        try (result i32)
            try (result i32)
                local.get 0 call $loop
            delegate 1
        catch_all
            i32.const -1
        end)
    (func (export "run") (param i32) (result i32)
        try (result i32)
            try (result i32)
                local.get 0 call $relay
            catch $x
                drop
                rethrow 0
            end
        catch $x
            i32.const 1 i32.add
        end)
))wat";

struct Pair {
    Session tiered;
    Session baseline;
};

void make_pair(Pair& pair, const char* wat)
{
    instantiate(pair.tiered, wat, options_for(compile::Tier::Tiered, 5));
    instantiate(pair.baseline, wat, options_for(compile::Tier::Baseline, 5));
}

// Makes the entry of each loop that fires for that loop itself, not for the loop around
// it, so that a test enters at an inner loop (the way in through the outer headers).
void enter_at_inner_loops(Session& tiered)
{
    static_cast<compile::TierUpManager*>(tiered.compiled.module->tier_up())->set_osr_at_enclosing_loops(false);
}

} // namespace

TEST(Osr, NestedLoopsWithLiveValuesOfEveryType)
{
    int external = 0;
    for (i32 n : { 1, 3, 40 }) {
        SCOPED_TRACE(n);
        Pair pair;
        make_pair(pair, kNested);
        ASSERT_TRUE(pair.tiered.instance && pair.baseline.instance);
        enter_at_inner_loops(pair.tiered);
        auto got = call(*pair.tiered.instance, "mix", { VMVal::from_i32(n), VMVal::from_ref(&external) });
        auto want = call(*pair.baseline.instance, "mix", { VMVal::from_i32(n), VMVal::from_ref(&external) });
        ASSERT_FALSE(got.trap);
        ASSERT_FALSE(want.trap);
        ASSERT_EQ(got.results.size(), 2u);
        ASSERT_EQ(want.results.size(), 2u);
        EXPECT_EQ(got.results[0].u64_value(), want.results[0].u64_value());
        EXPECT_EQ(got.results[1].u64_value(), reinterpret_cast<uptr>(&external));
        compile::TierUpCounts counts = compile::tier_up_counts(*pair.tiered.compiled.module);
        EXPECT_EQ(counts.osr_compiled, 1u);
        EXPECT_EQ(counts.osr_refused, 0u);
        EXPECT_EQ(counts.osr_entered, 1u);
        // A second call starts in the optimised function (its slot was rewritten).
        auto again = call(*pair.tiered.instance, "mix", { VMVal::from_i32(n), VMVal::from_ref(&external) });
        ASSERT_FALSE(again.trap);
        EXPECT_EQ(again.results[0].u64_value(), want.results[0].u64_value());
        EXPECT_EQ(compile::tier_up_counts(*pair.tiered.compiled.module).osr_entered, 1u);
    }
}

TEST(Osr, LoopInFunctionWithSeveralResults)
{
    Pair pair;
    make_pair(pair, kNested);
    ASSERT_TRUE(pair.tiered.instance && pair.baseline.instance);
    auto got = call(*pair.tiered.instance, "multi", { VMVal::from_i32(1000) });
    auto want = call(*pair.baseline.instance, "multi", { VMVal::from_i32(1000) });
    ASSERT_FALSE(got.trap);
    ASSERT_EQ(got.results.size(), 4u);
    ASSERT_EQ(want.results.size(), 4u);
    EXPECT_EQ(got.results[0].i32_value(), 1000);
    for (u32 k = 0; k < 4; ++k) {
        u64 mask = k == 0 || k == 3 ? 0xFFFF'FFFFu : ~u64 { 0 };
        EXPECT_EQ(got.results[k].u64_value() & mask, want.results[k].u64_value() & mask) << k;
    }
    compile::TierUpCounts counts = compile::tier_up_counts(*pair.tiered.compiled.module);
    EXPECT_EQ(counts.osr_compiled, 1u);
    EXPECT_EQ(counts.osr_entered, 1u);
}

TEST(Osr, TrapInOsrCodeHasBacktrace)
{
    Pair pair;
    make_pair(pair, kNested);
    ASSERT_TRUE(pair.tiered.instance && pair.baseline.instance);
    // No trap: k beyond n.
    auto fine = call(*pair.tiered.instance, "caller", { VMVal::from_i32(100), VMVal::from_i32(500) });
    auto fine_want = call(*pair.baseline.instance, "caller", { VMVal::from_i32(100), VMVal::from_i32(500) });
    ASSERT_FALSE(fine.trap);
    EXPECT_EQ(fine.results[0].i32_value(), fine_want.results[0].i32_value());

    Pair fresh;
    make_pair(fresh, kNested);
    ASSERT_TRUE(fresh.tiered.instance);
    auto trapped = call(*fresh.tiered.instance, "caller", { VMVal::from_i32(100), VMVal::from_i32(60) });
    ASSERT_TRUE(trapped.trap);
    EXPECT_EQ(trapped.trap->kind, TrapKind::IntegerDivideByZero);
    EXPECT_TRUE(test_session::in_later_code(fresh.tiered.compiled, trapped.trap->pc));
    EXPECT_EQ(compile::tier_up_counts(*fresh.tiered.compiled.module).osr_entered, 1u);
    // $looper (function 3) twice, its OSR frame and the baseline frame under it, then
    // the caller (function 4).
    ASSERT_EQ(trapped.backtrace.size(), 3u);
    EXPECT_EQ(trapped.backtrace[0], 3u);
    EXPECT_EQ(trapped.backtrace[1], 3u);
    EXPECT_EQ(trapped.backtrace[2], 4u);
}

TEST(Osr, ExceptionThroughOsrAndBaselineFrames)
{
    Pair pair;
    make_pair(pair, kThrough);
    ASSERT_TRUE(pair.tiered.instance && pair.baseline.instance);
    // 100 first: the OSR entry is made during it, and $maybe throws at i = 40 from under
    // the OSR code; 30 then runs the optimised $loop and throws nothing.
    for (i32 n : { 100, 30 }) {
        SCOPED_TRACE(n);
        auto got = call(*pair.tiered.instance, "run", { VMVal::from_i32(n) });
        auto want = call(*pair.baseline.instance, "run", { VMVal::from_i32(n) });
        ASSERT_FALSE(got.trap);
        ASSERT_FALSE(want.trap);
        EXPECT_EQ(got.results[0].i32_value(), want.results[0].i32_value());
    }
    compile::TierUpCounts counts = compile::tier_up_counts(*pair.tiered.compiled.module);
    EXPECT_EQ(counts.osr_compiled, 1u);
    EXPECT_GE(counts.osr_entered, 1u);
}

TEST(Osr, LegacyExceptionThroughOsrAndBaselineFrames)
{
    Pair pair;
    make_pair(pair, kThroughLegacy);
    ASSERT_TRUE(pair.tiered.instance && pair.baseline.instance);
    // As above: 100 throws from under the OSR code (40 * 100, plus run's 1), 30 does not
    // (0 + ... + 29).
    for (auto [n, expected] : { std::pair { 100, 4001 }, std::pair { 30, 435 } }) {
        SCOPED_TRACE(n);
        auto got = call(*pair.tiered.instance, "run", { VMVal::from_i32(n) });
        auto want = call(*pair.baseline.instance, "run", { VMVal::from_i32(n) });
        ASSERT_FALSE(got.trap);
        ASSERT_FALSE(want.trap);
        EXPECT_EQ(want.results[0].i32_value(), expected);
        EXPECT_EQ(got.results[0].i32_value(), want.results[0].i32_value());
    }
    compile::TierUpCounts counts = compile::tier_up_counts(*pair.tiered.compiled.module);
    EXPECT_EQ(counts.osr_compiled, 1u);
    EXPECT_GE(counts.osr_entered, 1u);
}

TEST(Osr, FrameTooLargeForAnEntryStaysInTheBaseline)
{
    // 9000 locals: above the builder's limit for an OSR entry (8192 values).
    std::string wat = "(module (func (export \"f\") (param $n i32) (result i32) (local $i i32) (local";
    for (u32 k = 0; k < 9000; ++k)
        wat += " i32";
    wat += ") loop local.get $i i32.const 1 i32.add local.tee $i local.get $n i32.lt_u br_if 0 end local.get $i))";
    Pair pair;
    make_pair(pair, wat.c_str());
    ASSERT_TRUE(pair.tiered.instance);
    auto got = call(*pair.tiered.instance, "f", { VMVal::from_i32(100) });
    ASSERT_FALSE(got.trap);
    EXPECT_EQ(got.results[0].i32_value(), 100);
    compile::TierUpCounts counts = compile::tier_up_counts(*pair.tiered.compiled.module);
    EXPECT_EQ(counts.osr_compiled, 0u);
    EXPECT_EQ(counts.osr_refused, 1u);
    EXPECT_EQ(counts.osr_entered, 0u);
}

namespace {

} // namespace

TEST(Osr, BackgroundCompilerMakesTheEntry)
{
    // The background thread compiles the entry while the loop runs on (and polls for it
    // every 100 iterations). Whether the loop ends before the entry is ready depends on
    // the machine's load: only the result and the compile are asserted.
    Session tiered;
    compile::CompileOptions options = options_for(compile::Tier::Tiered, 100);
    options.tier_up_synchronous = false;
    instantiate(tiered, kNested, options);
    Session baseline;
    instantiate(baseline, kNested, options_for(compile::Tier::Baseline, 100));
    ASSERT_TRUE(tiered.instance && baseline.instance);
    auto got = call(*tiered.instance, "multi", { VMVal::from_i32(3'000'000) });
    auto want = call(*baseline.instance, "multi", { VMVal::from_i32(3'000'000) });
    ASSERT_FALSE(got.trap);
    for (u32 k = 0; k < 4; ++k) {
        u64 mask = k == 0 || k == 3 ? 0xFFFF'FFFFu : ~u64 { 0 };
        EXPECT_EQ(got.results[k].u64_value() & mask, want.results[k].u64_value() & mask) << k;
    }
    ASSERT_TRUE(wait_idle(*static_cast<compile::TierUpManager*>(tiered.compiled.module->tier_up())));
    compile::TierUpCounts counts = compile::tier_up_counts(*tiered.compiled.module);
    EXPECT_EQ(counts.osr_compiled, 1u);
    EXPECT_LE(counts.osr_entered, 1u);
    std::printf("background OSR: entered %u time(s)\n", counts.osr_entered);
}

// Two loops of one function, each entered from its own baseline frame: the inner
// recursion's frame (depth 0) runs loop A, the outer frame's (depth 1, still baseline code
// when it called down) then runs loop B, which gets a second entry.
const char* const kTwoLoops = R"wat((module
    (func $f (export "f") (param $depth i32) (param $n i32) (result i64)
        (local $i i32) (local $s i64)
        local.get $depth
        if
            local.get $depth i32.const 1 i32.sub local.get $n call $f
            local.set $s
            loop $b
                local.get $s i64.const 7 i64.mul local.get $i i64.extend_i32_u i64.add local.set $s
                local.get $i i32.const 1 i32.add local.tee $i
                local.get $n i32.lt_u
                br_if $b
            end
        else
            loop $a
                local.get $s local.get $i i64.extend_i32_u i64.xor i64.const 3 i64.rotl local.set $s
                local.get $i i32.const 1 i32.add local.tee $i
                local.get $n i32.lt_u
                br_if $a
            end
        end
        local.get $s))
)wat";

TEST(Osr, EachBaselineFrameEntersAtItsOwnLoop)
{
    Session tiered;
    instantiate(tiered, kTwoLoops, options_for(compile::Tier::Tiered, 10));
    Session baseline;
    instantiate(baseline, kTwoLoops, options_for(compile::Tier::Baseline, 10));
    ASSERT_TRUE(tiered.instance && baseline.instance);
    auto got = call(*tiered.instance, "f", { VMVal::from_i32(1), VMVal::from_i32(500) });
    auto want = call(*baseline.instance, "f", { VMVal::from_i32(1), VMVal::from_i32(500) });
    ASSERT_FALSE(got.trap);
    EXPECT_EQ(got.results[0].u64_value(), want.results[0].u64_value());
    compile::TierUpCounts counts = compile::tier_up_counts(*tiered.compiled.module);
    EXPECT_EQ(counts.osr_compiled, 2u);
    EXPECT_EQ(counts.osr_entered, 2u);
}

// A loop of pure operations with one parameter and one result: the optimised function
// could run without a frame, but its OSR entry reads the baseline frame and must keep
// one (the OSR prologue is emitted only with a frame).
TEST(Osr, PureLoopEntryKeepsItsFrame)
{
    const char* wat = R"wat((module
        (func (export "pure") (param $n i32) (result i32) (local $i i32) (local $s i32)
            loop
                local.get $s local.get $i i32.const 7 i32.mul i32.xor i32.const 3 i32.rotl local.set $s
                local.get $i i32.const 1 i32.add local.tee $i
                local.get $n i32.lt_u
                br_if 0
            end
            local.get $s)))wat";
    Pair pair;
    make_pair(pair, wat);
    ASSERT_TRUE(pair.tiered.instance && pair.baseline.instance);
    auto got = call(*pair.tiered.instance, "pure", { VMVal::from_i32(1000) });
    auto want = call(*pair.baseline.instance, "pure", { VMVal::from_i32(1000) });
    ASSERT_FALSE(got.trap);
    ASSERT_FALSE(want.trap);
    EXPECT_EQ(got.results[0].i32_value(), want.results[0].i32_value());
    compile::TierUpCounts counts = compile::tier_up_counts(*pair.tiered.compiled.module);
    EXPECT_EQ(counts.osr_compiled, 1u);
    EXPECT_EQ(counts.osr_entered, 1u);
}

// A tail call after the loop: the OSR entry, called as osr(vmctx, baseline_rbp), has no
// incoming argument area to hand on, so the tier refuses the entry and the loop finishes
// in the baseline (the function itself may still tier up for its next call).
TEST(Osr, TailCallAfterTheLoopRefusesTheEntry)
{
    const char* wat = R"wat((module
        (func $finish (param i64 i64 i64 i64 i64 i64 i64 i32) (result i32)
            local.get 7 local.get 6 i32.wrap_i64 i32.add)
        (func (export "f") (param $n i32) (param $a i64) (param $b i64) (param $c i64) (param $d i64)
                           (param $e i64) (param $f i64) (param $g i64) (result i32)
            (local $i i32) (local $s i32)
            loop
                local.get $s local.get $i i32.add local.set $s
                local.get $i i32.const 1 i32.add local.tee $i
                local.get $n i32.lt_u
                br_if 0
            end
            local.get $a local.get $b local.get $c local.get $d local.get $e local.get $f local.get $g
            local.get $s
            return_call $finish)))wat";
    Pair pair;
    make_pair(pair, wat);
    ASSERT_TRUE(pair.tiered.instance && pair.baseline.instance);
    std::initializer_list<VMVal> args = { VMVal::from_i32(500), VMVal::from_i64(1), VMVal::from_i64(2),
                                          VMVal::from_i64(3), VMVal::from_i64(4), VMVal::from_i64(5),
                                          VMVal::from_i64(6), VMVal::from_i64(70) };
    for (int round = 0; round < 2; ++round) {
        auto got = call(*pair.tiered.instance, "f", args);
        auto want = call(*pair.baseline.instance, "f", args);
        ASSERT_FALSE(got.trap);
        ASSERT_FALSE(want.trap);
        EXPECT_EQ(got.results[0].i32_value(), want.results[0].i32_value());
    }
    compile::TierUpCounts counts = compile::tier_up_counts(*pair.tiered.compiled.module);
    EXPECT_EQ(counts.osr_entered, 0u);
    EXPECT_GE(counts.osr_refused, 1u);
}

// A function whose recursion leaves `frames` baseline frames, each of which then runs its
// own loop (frame d runs loop d): every loop fires in a different frame, so each needs an
// entry of its own. More loops than the function has slots (8) reuse the slot of a loop
// that ran earlier; the 16 entries a function may make bound how many frames move.
std::string many_loops_module(u32 loops)
{
    std::string wat = R"wat((module
    (func $f (export "f") (param $d i32) (param $n i32) (result i64)
        (local $i i32) (local $s i64)
        local.get $d
        if
            local.get $d i32.const 1 i32.sub local.get $n call $f
            local.set $s
        end
)wat";
    for (u32 k = 0; k < loops; ++k) {
        std::string mul = std::to_string(k + 3);
        wat += "        local.get $d i32.const " + std::to_string(k) + " i32.eq\n        if\n            loop\n";
        wat += "                local.get $s i64.const " + mul + " i64.mul local.get $i i64.extend_i32_u i64.add local.set $s\n";
        wat += "                local.get $i i32.const 1 i32.add local.tee $i local.get $n i32.lt_u br_if 0\n";
        wat += "            end\n        end\n";
    }
    wat += "        local.get $s))\n";
    return wat;
}

void run_frames_at_many_loops(u32 frames, u32 expect_entered)
{
    std::string wat = many_loops_module(frames);
    // The threshold exceeds the recursion's calls, so the first counter to fire is frame
    // 0's loop, after every frame is on the stack in baseline code.
    i32 threshold = static_cast<i32>(frames) + 10;
    Session tiered;
    instantiate(tiered, wat.c_str(), options_for(compile::Tier::Tiered, threshold));
    Session baseline;
    instantiate(baseline, wat.c_str(), options_for(compile::Tier::Baseline, threshold));
    ASSERT_TRUE(tiered.instance && baseline.instance);
    std::initializer_list<VMVal> args = { VMVal::from_i32(static_cast<i32>(frames) - 1), VMVal::from_i32(300) };
    auto got = call(*tiered.instance, "f", args);
    auto want = call(*baseline.instance, "f", args);
    ASSERT_FALSE(got.trap);
    ASSERT_FALSE(want.trap);
    EXPECT_EQ(got.results[0].u64_value(), want.results[0].u64_value());
    compile::TierUpCounts counts = compile::tier_up_counts(*tiered.compiled.module);
    EXPECT_EQ(counts.osr_compiled, expect_entered);
    EXPECT_EQ(counts.osr_entered, expect_entered);
    EXPECT_EQ(counts.osr_refused, 0u);
}

TEST(Osr, FramesAtMoreLoopsThanSlotsEachGetAnEntry)
{
    run_frames_at_many_loops(12, 12);
}

TEST(Osr, EntriesPerFunctionAreBounded)
{
    run_frames_at_many_loops(20, 16);
}

// A function that runs loop A, then loop B, while the background thread takes no job:
// both entries are queued (B asking last, every 100 iterations, 30 times each: fewer than
// would make the loop compile its entry itself, OsrSchedule.*). Released, the thread
// makes B's entry and drops A's (its frame went on to B; a loop that asks again gets a
// slot again), so one of the function's compiles is not spent on a loop no frame is in.
TEST(Osr, QueuedEntryOfALoopTheFrameLeftIsDropped)
{
    const char* wat = R"wat((module
        (func (export "two") (param $n i32) (result i64) (local $i i32) (local $s i64)
            loop $a
                local.get $s local.get $i i64.extend_i32_u i64.add local.set $s
                local.get $i i32.const 1 i32.add local.tee $i
                local.get $n i32.lt_u
                br_if $a
            end
            i32.const 0 local.set $i
            loop $b
                local.get $s i64.const 3 i64.mul local.get $i i64.extend_i32_u i64.xor local.set $s
                local.get $i i32.const 1 i32.add local.tee $i
                local.get $n i32.lt_u
                br_if $b
            end
            local.get $s)))wat";
    Session tiered;
    compile::CompileOptions options = options_for(compile::Tier::Tiered, 100);
    options.tier_up_synchronous = false;
    instantiate(tiered, wat, options);
    Session baseline;
    instantiate(baseline, wat, options_for(compile::Tier::Baseline, 100));
    ASSERT_TRUE(tiered.instance && baseline.instance);
    auto& manager = *static_cast<compile::TierUpManager*>(tiered.compiled.module->tier_up());
    manager.hold_worker(true);
    auto got = call(*tiered.instance, "two", { VMVal::from_i32(3000) });
    auto want = call(*baseline.instance, "two", { VMVal::from_i32(3000) });
    ASSERT_FALSE(got.trap);
    EXPECT_EQ(got.results[0].u64_value(), want.results[0].u64_value());
    EXPECT_FALSE(manager.idle()); // both entries and the function wait
    manager.hold_worker(false);
    ASSERT_TRUE(wait_idle(manager));
    compile::TierUpCounts counts = compile::tier_up_counts(*tiered.compiled.module);
    EXPECT_EQ(counts.osr_compiled, 1u);
    EXPECT_EQ(counts.osr_dropped, 1u);
    EXPECT_EQ(counts.osr_entered, 0u);
    EXPECT_EQ(counts.tiered_up, 1u);
    // The function's next call runs its optimised code, with the same result.
    auto again = call(*tiered.instance, "two", { VMVal::from_i32(3000) });
    EXPECT_EQ(again.results[0].u64_value(), want.results[0].u64_value());
}

// v128 values in the OSR entry: a v128 local, a v128 below the loop on the operand stack
// and the loop's v128 parameter, all loaded from the baseline frame's 16-byte slots. Both
// lanes of the result are compared with the baseline's, so a half-loaded value fails.
TEST(Osr, V128LocalsAndOperandsEnterTheLoop)
{
    const char* wat = R"wat((module
        (func (export "vec") (param $n i32) (result i64 i64)
            (local $i i32) (local $v v128) (local $w v128)
            v128.const i32x4 1 2 3 0xffffffff local.set $v
            v128.const i64x2 0x0123456789abcdef 0xfedcba9876543210
            v128.const i32x4 0x80000000 7 0x7fffffff 9
            loop $l (param v128) (result v128)
                local.get $v i32x4.add
                local.get $i i32x4.splat i32x4.add
                local.get $v v128.const i32x4 5 7 11 13 i32x4.mul
                local.get $i i32x4.splat v128.xor
                v128.const i32x4 0x10203040 0x50607080 0x0a0b0c0d 0x01020304
                i8x16.shuffle 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19
                local.set $v
                local.get $i i32.const 1 i32.add local.tee $i
                local.get $n i32.lt_u
                br_if $l
            end
            i64x2.add
            local.get $v i64x2.mul
            local.tee $w i64x2.extract_lane 0
            local.get $w i64x2.extract_lane 1)))wat";
    for (i32 n : { 10, 1000 }) {
        SCOPED_TRACE(n);
        Session tiered;
        instantiate(tiered, wat, options_for(compile::Tier::Tiered, 2));
        Session baseline;
        instantiate(baseline, wat, options_for(compile::Tier::Baseline, 2));
        ASSERT_TRUE(tiered.instance && baseline.instance);
        auto got = call(*tiered.instance, "vec", { VMVal::from_i32(n) });
        auto want = call(*baseline.instance, "vec", { VMVal::from_i32(n) });
        ASSERT_FALSE(got.trap);
        ASSERT_FALSE(want.trap);
        ASSERT_EQ(got.results.size(), 2u);
        ASSERT_EQ(want.results.size(), 2u);
        EXPECT_EQ(got.results[0].u64_value(), want.results[0].u64_value());
        EXPECT_EQ(got.results[1].u64_value(), want.results[1].u64_value());
        compile::TierUpCounts counts = compile::tier_up_counts(*tiered.compiled.module);
        EXPECT_EQ(counts.osr_compiled, 1u);
        EXPECT_EQ(counts.osr_refused, 0u);
        EXPECT_EQ(counts.osr_entered, 1u);
    }
}

// A loop nest entered at its innermost loop, where the two loops around it take the way
// in through their headers (builder_osr.cpp): the outer loops have no parameters and an
// empty stack at their headers, the inner one sits in an `if` in the middle loop with an
// i32 below it on the stack and a loop parameter, and can leave the middle loop early.
// Live locals of every type change at every level; the results are the baseline's.
TEST(Osr, LoopNestEnteredAtTheInnermostLoopThroughTheOuterHeaders)
{
    const char* wat = R"wat((module
        (type $t (func (result i32)))
        (elem declare func $g)
        (func $g (type $t) i32.const 23)
        (func (export "nest") (param $n i32) (param $e externref) (result i64 i64 externref)
            (local $i i32) (local $j i32) (local $k i32) (local $a i64) (local $x f32) (local $y f64)
            (local $v v128) (local $r (ref null $t)) (local $keep externref)
            ref.func $g local.set $r
            v128.const i32x4 1 2 3 4 local.set $v
            loop $outer
                i32.const 1 local.set $j
                local.get $a i64.const 5 i64.rotl local.set $a
                block $leave
                    loop $middle
                        local.get $x f32.const 0.75 f32.add local.set $x
                        local.get $j i32.const 3 i32.rem_u
                        if
                            i32.const 0 local.set $k
                            i32.const 7
                            local.get $j
                            loop $inner (param i32) (result i32)
                                local.get $a local.get $k i64.extend_i32_u i64.add
                                i64.const 0x1_0000_0003 i64.mul local.set $a
                                local.get $y local.get $x f64.promote_f32 f64.add f64.const 1.0001 f64.mul local.set $y
                                local.get $v local.get $k i32x4.splat i32x4.add local.set $v
                                local.get $e local.set $keep
                                i32.const 5 i32.add
                                local.get $k i32.const 1 i32.add local.tee $k
                                i32.const 12 i32.lt_u
                                br_if $inner
                            end
                            i32.add
                            i64.extend_i32_u local.get $a i64.xor local.set $a
                            local.get $a i64.const 0xff i64.and i64.const 0xfe i64.eq
                            br_if $leave
                        end
                        local.get $j i32.const 1 i32.add local.tee $j
                        i32.const 9 i32.lt_u
                        br_if $middle
                    end
                end
                local.get $i i32.const 1 i32.add local.tee $i
                local.get $n i32.lt_u
                br_if $outer
            end
            local.get $a
            local.get $y i64.reinterpret_f64 i64.add
            local.get $x i32.reinterpret_f32 i64.extend_i32_u i64.add
            local.get $r call_ref $t i64.extend_i32_u i64.const 1_000_003 i64.mul i64.add
            local.get $v i64x2.extract_lane 0
            local.get $v i64x2.extract_lane 1 i64.xor
            local.get $keep)))wat";
    int external = 0;
    for (i32 n : { 1, 4, 30 }) {
        SCOPED_TRACE(n);
        Session tiered;
        instantiate(tiered, wat, options_for(compile::Tier::Tiered, 5));
        Session baseline;
        instantiate(baseline, wat, options_for(compile::Tier::Baseline, 5));
        ASSERT_TRUE(tiered.instance && baseline.instance);
        enter_at_inner_loops(tiered);
        auto got = call(*tiered.instance, "nest", { VMVal::from_i32(n), VMVal::from_ref(&external) });
        auto want = call(*baseline.instance, "nest", { VMVal::from_i32(n), VMVal::from_ref(&external) });
        ASSERT_FALSE(got.trap);
        ASSERT_FALSE(want.trap);
        ASSERT_EQ(got.results.size(), 3u);
        ASSERT_EQ(want.results.size(), 3u);
        EXPECT_EQ(got.results[0].u64_value(), want.results[0].u64_value());
        EXPECT_EQ(got.results[1].u64_value(), want.results[1].u64_value());
        EXPECT_EQ(got.results[2].u64_value(), reinterpret_cast<uptr>(&external));
        compile::TierUpCounts counts = compile::tier_up_counts(*tiered.compiled.module);
        EXPECT_EQ(counts.osr_compiled, 1u);
        EXPECT_EQ(counts.osr_refused, 0u);
        EXPECT_EQ(counts.osr_entered, 1u);
    }
}

namespace {

// An inner loop inside an outer one; `inner` iterations per outer one, each a few
// operations on values both loops carry.
std::string two_loops(u32 inner)
{
    return R"wat((module
        (func (export "two") (param $n i32) (result i64)
            (local $i i32) (local $j i32) (local $a i64)
            loop $outer
                i32.const 0 local.set $j
                loop $inner
                    local.get $a local.get $j i64.extend_i32_u i64.add
                    local.get $i i64.extend_i32_u i64.xor i64.const 0x1_0000_0003 i64.mul local.set $a
                    local.get $j i32.const 1 i32.add local.tee $j
                    i32.const )wat"
        + std::to_string(inner) + R"wat( i32.lt_u
                    br_if $inner
                end
                local.get $i i32.const 1 i32.add local.tee $i
                local.get $n i32.lt_u
                br_if $outer
            end
            local.get $a)))wat";
}

} // namespace

// The inner loop's counter fires first; its entry is made for the loop around it (so
// that the inner loop runs without the way in's test in the outer one), and the frame
// moves to it at the outer loop's next header.
TEST(Osr, InnerLoopEntersAtTheLoopAroundIt)
{
    std::string wat = two_loops(20);
    for (i32 n : { 2, 50 }) {
        SCOPED_TRACE(n);
        Pair pair;
        make_pair(pair, wat.c_str());
        ASSERT_TRUE(pair.tiered.instance && pair.baseline.instance);
        auto got = call(*pair.tiered.instance, "two", { VMVal::from_i32(n) });
        auto want = call(*pair.baseline.instance, "two", { VMVal::from_i32(n) });
        ASSERT_FALSE(got.trap);
        ASSERT_FALSE(want.trap);
        EXPECT_EQ(got.results[0].u64_value(), want.results[0].u64_value());
        compile::TierUpCounts counts = compile::tier_up_counts(*pair.tiered.compiled.module);
        EXPECT_EQ(counts.osr_outer, 1u);
        EXPECT_EQ(counts.osr_compiled, 1u);
        EXPECT_EQ(counts.osr_entered, 1u);
    }
}

// An inner loop that runs longer than the manager waits for the outer header: after
// kOsrParentPolls asks the inner loop gets an entry of its own and the frame enters it.
TEST(Osr, LongInnerLoopStopsWaitingForTheLoopAroundIt)
{
    std::string wat = two_loops(100'000);
    Pair pair;
    make_pair(pair, wat.c_str());
    ASSERT_TRUE(pair.tiered.instance && pair.baseline.instance);
    auto got = call(*pair.tiered.instance, "two", { VMVal::from_i32(2) });
    auto want = call(*pair.baseline.instance, "two", { VMVal::from_i32(2) });
    ASSERT_FALSE(got.trap);
    ASSERT_FALSE(want.trap);
    EXPECT_EQ(got.results[0].u64_value(), want.results[0].u64_value());
    compile::TierUpCounts counts = compile::tier_up_counts(*pair.tiered.compiled.module);
    EXPECT_EQ(counts.osr_outer, 1u);
    EXPECT_EQ(counts.osr_compiled, 2u);
    EXPECT_EQ(counts.osr_entered, 1u);
}
