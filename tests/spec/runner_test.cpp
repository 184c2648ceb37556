#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "base/string.h"
#include "engine/spec/runner.h"

using namespace wk;
using namespace wk::engine::spec;

namespace {

struct Run {
    Tally tally;
    std::string failures;
};

Run run(std::string_view source, std::string_view file = "t.wast")
{
    Run result;
    StringBuilder failures;
    run_script(file, source, result.tally, failures);
    result.failures = std::string(failures.view());
    return result;
}

Counts const& of(Run const& run, CommandClass c) { return run.tally[c]; }

} // namespace

TEST(SpecRunner, ValidModulesPassAndDefinitionsCountApart)
{
    auto r = run("(module (func (result i32) i32.const 1))\n"
                 "(module definition $d (memory 1))\n"
                 "(module binary \"\\00asm\" \"\\01\\00\\00\\00\")\n");
    EXPECT_EQ(of(r, CommandClass::Module).passed, 2u);
    EXPECT_EQ(of(r, CommandClass::ModuleDefinition).passed, 1u);
    EXPECT_EQ(r.tally.totals().failed, 0u);
    EXPECT_EQ(r.failures, "");
}

TEST(SpecRunner, InvalidPlainModuleFailsWithLineAndValidatorOffset)
{
    auto r = run("\n\n(module (func (result i32) i64.const 1))\n", "dir/x.wast");
    EXPECT_EQ(of(r, CommandClass::Module).failed, 1u);
    EXPECT_EQ(r.failures.rfind("dir/x.wast:3: module: expected a valid module, got invalid (validator at offset 0x", 0),
              0u)
        << r.failures;
}

TEST(SpecRunner, AssertInvalidPassesOnlyForValidatorRejections)
{
    auto r = run("(assert_invalid (module (func (result i32) i64.const 1)) \"type mismatch\")\n"
                 "(assert_invalid (module (func (result i32) i32.const 1)) \"type mismatch\")\n"
                 "(assert_invalid (module quote \"(func i32.frob)\") \"unknown operator\")\n");
    EXPECT_EQ(of(r, CommandClass::AssertInvalid).passed, 1u);
    EXPECT_EQ(of(r, CommandClass::AssertInvalid).failed, 2u);
    EXPECT_NE(r.failures.find("t.wast:2: assert_invalid: expected invalid (\"type mismatch\"), got a valid module\n"),
              std::string::npos)
        << r.failures;
    EXPECT_NE(r.failures.find("t.wast:3: assert_invalid: expected invalid (\"unknown operator\"), got malformed (quoted "
                              "text offset "),
              std::string::npos)
        << r.failures;
}

TEST(SpecRunner, AssertMalformedPassesForTextAndDecoderRejections)
{
    auto r = run("(assert_malformed (module quote \"(func i32.frob)\") \"unknown operator\")\n"
                 "(assert_malformed (module binary \"\\00asm\" \"\\02\\00\\00\\00\") \"unknown binary version\")\n"
                 "(assert_malformed (module binary \"\\00asm\") \"unexpected end\")\n"
                 "(assert_malformed (module quote \"(func)\") \"nothing wrong\")\n"
                 "(assert_malformed (module (func (result i32) i64.const 1)) \"wrong kind\")\n");
    EXPECT_EQ(of(r, CommandClass::AssertMalformed).passed, 3u);
    EXPECT_EQ(of(r, CommandClass::AssertMalformed).failed, 2u);
    EXPECT_NE(r.failures.find("t.wast:4: assert_malformed: expected malformed (\"nothing wrong\"), got a valid module\n"),
              std::string::npos)
        << r.failures;
    EXPECT_NE(r.failures.find("t.wast:5: assert_malformed: expected malformed (\"wrong kind\"), got invalid (validator"),
              std::string::npos)
        << r.failures;
}

TEST(SpecRunner, CustomAssertionsNeedTheirErrorKind)
{
    auto r = run("(assert_malformed_custom (module quote \"(@custom \\\"x\\\" (before nowhere) \\\"\\\")\") \"m\")\n"
                 "(assert_malformed_custom (module (func)) \"m\")\n"
                 "(assert_invalid_custom (module (func (result i32) i64.const 1)) \"i\")\n"
                 "(assert_invalid_custom (module (func)) \"i\")\n");
    EXPECT_EQ(of(r, CommandClass::AssertMalformedCustom).passed, 1u) << r.failures;
    EXPECT_EQ(of(r, CommandClass::AssertMalformedCustom).failed, 1u);
    EXPECT_EQ(of(r, CommandClass::AssertInvalidCustom).passed, 1u);
    EXPECT_EQ(of(r, CommandClass::AssertInvalidCustom).failed, 1u);
    EXPECT_NE(r.failures.find("t.wast:4: assert_invalid_custom: expected invalid (\"i\"), got a valid module"),
              std::string::npos)
        << r.failures;
}

TEST(SpecRunner, RulesFollowTheScriptsSuite)
{
    std::string_view script = "(assert_invalid (module (memory 1) (memory 1)) \"multiple memories\")\n";
    auto threads = run(script, "suite/proposals/threads/memory.wast");
    EXPECT_EQ(of(threads, CommandClass::AssertInvalid).passed, 1u) << threads.failures;
    auto core = run(script, "suite/memory.wast");
    EXPECT_EQ(of(core, CommandClass::AssertInvalid).failed, 1u);
}

TEST(SpecRunner, ExecutionCommandsRun)
{
    auto r = run("(module $m (func (export \"f\") (result i32) i32.const 1)\n"
                 "  (func (export \"boom\") unreachable)\n"
                 "  (func $deep (export \"deep\") call $deep)\n"
                 "  (global (export \"g\") i64 (i64.const 7)))\n"
                 "(register \"m\" $m)\n"
                 "(invoke \"f\")\n"
                 "(get \"g\")\n"
                 "(assert_return (invoke \"f\") (i32.const 1))\n"
                 "(assert_return (get \"g\") (i64.const 7))\n"
                 "(assert_trap (invoke \"boom\") \"unreachable\")\n"
                 "(assert_exhaustion (invoke \"deep\") \"call stack exhausted\")\n"
                 "(assert_unlinkable (module (import \"x\" \"y\" (func))) \"unknown import\")\n"
                 "(assert_unlinkable (module (import \"m\" \"f\" (func (param i32)))) \"incompatible import type\")\n"
                 "(assert_uninstantiable (module (func $s unreachable) (start $s)) \"unreachable\")\n"
                 "(module (import \"m\" \"f\" (func $f (result i32))) (func (export \"h\") (result i32) call $f))\n"
                 "(assert_return (invoke \"h\") (i32.const 1))\n"
                 "(assert_return (invoke $m \"f\") (i32.const 1))\n"
                 "(module definition $d (func (export \"k\") (result f32) f32.const nan))\n"
                 "(module instance $i $d)\n"
                 "(assert_return (invoke $i \"k\") (f32.const nan:canonical))\n");
    EXPECT_EQ(r.failures, "");
    EXPECT_EQ(of(r, CommandClass::Module).passed, 2u);
    for (auto c : { CommandClass::Register, CommandClass::Invoke, CommandClass::Get, CommandClass::AssertTrap,
                    CommandClass::AssertExhaustion, CommandClass::AssertUninstantiable, CommandClass::ModuleDefinition,
                    CommandClass::ModuleInstance })
        EXPECT_EQ(of(r, c).passed, 1u) << command_class_name(c);
    EXPECT_EQ(of(r, CommandClass::AssertReturn).passed, 5u);
    EXPECT_EQ(of(r, CommandClass::AssertUnlinkable).passed, 2u);
    EXPECT_EQ(r.tally.totals().skipped, 0u);
}

TEST(SpecRunner, WrongOutcomesFailWithWhatHappened)
{
    auto r = run("(module (func (export \"f\") (result i32) i32.const 2)\n"
                 "  (func (export \"boom\") unreachable))\n"
                 "(assert_return (invoke \"f\") (i32.const 1))\n"
                 "(assert_trap (invoke \"f\") \"unreachable\")\n"
                 "(assert_trap (invoke \"boom\") \"integer divide by zero\")\n"
                 "(assert_return (invoke \"boom\"))\n"
                 "(assert_return (invoke \"nope\"))\n"
                 "(assert_return (invoke \"f\" (i32.const 1)) (i32.const 2))\n"
                 "(assert_uninstantiable (module) \"unreachable\")\n"
                 "(assert_unlinkable (module) \"unknown import\")\n"
                 "(assert_return (invoke $nobody \"f\") (i32.const 2))\n");
    EXPECT_EQ(r.tally.totals().failed, 9u) << r.failures;
    for (char const* line : {
             "t.wast:3: assert_return: expected the pattern, got result 0 = i32:0x2\n",
             "t.wast:4: assert_trap: expected trap \"unreachable\", got results\n",
             "t.wast:5: assert_trap: expected trap \"integer divide by zero\", got trap \"unreachable\"\n",
             "t.wast:6: assert_return: expected results, got trap \"unreachable\"\n",
             "t.wast:7: assert_return: expected a call of \"nope\", got invalid (unknown export)\n",
             "t.wast:8: assert_return: expected a call of \"f\", got invalid (wrong number of arguments)\n",
             "t.wast:9: assert_uninstantiable: expected a trap \"unreachable\", got an instance\n",
             "t.wast:10: assert_unlinkable: expected unlinkable \"unknown import\", got an instance\n",
             "t.wast:11: assert_return: expected a module to act on, got none\n",
         })
        EXPECT_NE(r.failures.find(line), std::string::npos) << line << "\nin\n" << r.failures;
}

TEST(SpecRunner, GcResultsAreCheckedByTheirHeapType)
{
    auto r = run("(module (type $s (struct (field i32))) (type $a (array i8))\n"
                 "  (func (export \"get\") (result i32) (struct.get $s 0 (struct.new $s (i32.const 1))))\n"
                 "  (func (export \"s\") (result anyref) (struct.new_default $s))\n"
                 "  (func (export \"a\") (result anyref) (array.new_default $a (i32.const 2)))\n"
                 "  (func (export \"i\") (result anyref) (ref.i31 (i32.const 5)))\n"
                 "  (func (export \"x\") (param externref) (result anyref) (any.convert_extern (local.get 0))))\n"
                 "(assert_return (invoke \"get\") (i32.const 1))\n"
                 "(assert_return (invoke \"s\") (ref.struct))\n"
                 "(assert_return (invoke \"s\") (ref.eq))\n"
                 "(assert_return (invoke \"a\") (ref.array))\n"
                 "(assert_return (invoke \"i\") (ref.i31))\n"
                 "(assert_return (invoke \"x\" (ref.extern 3)) (ref.any))\n"
                 "(assert_return (invoke \"s\") (ref.array))\n"
                 "(assert_return (invoke \"i\") (ref.struct))\n"
                 "(assert_return (invoke \"x\" (ref.extern 3)) (ref.eq))\n");
    EXPECT_EQ(of(r, CommandClass::AssertReturn).passed, 6u) << r.failures;
    EXPECT_EQ(of(r, CommandClass::AssertReturn).failed, 3u) << r.failures;
    EXPECT_EQ(r.tally.totals().skipped, 0u);
}

TEST(SpecRunner, CustomDescriptorModulesRun)
{
    auto r = run("(module $g (rec (type $s (descriptor $d) (struct)) (type $d (describes $s) (struct)))\n"
                 "  (func (export \"f\") (drop (struct.new_desc $s (ref.null none))))\n"
                 "  (func (export \"g\") (result i32) (ref.test (ref $s) (struct.new_desc $s (struct.new $d)))))\n"
                 "(assert_trap (invoke \"f\") \"null descriptor reference\")\n"
                 "(register \"g\" $g)\n"
                 "(assert_return (invoke \"g\") (i32.const 1))\n",
                 "proposals/custom-descriptors/t.wast");
    EXPECT_EQ(r.failures, "");
    EXPECT_EQ(of(r, CommandClass::Module).passed, 1u);
    EXPECT_EQ(of(r, CommandClass::AssertTrap).passed, 1u);
    EXPECT_EQ(of(r, CommandClass::Register).passed, 1u);
    EXPECT_EQ(of(r, CommandClass::AssertReturn).passed, 1u);
    EXPECT_EQ(r.tally.totals().skipped, 0u);
}

TEST(SpecRunner, ExceptionsAreCaughtAcrossFramesOrReported)
{
    auto r = run("(module $m (tag $e (export \"e\") (param i32 i64))\n"
                 "  (func $thrower (export \"thrower\") (param i32) (throw $e (local.get 0) (i64.const 7)))\n"
                 "  (func (export \"catch\") (param i32) (result i32 i64)\n"
                 "    (block $h (result i32 i64) (try_table (catch $e $h) (call $thrower (local.get 0)))\n"
                 "      (i32.const -1) (i64.const -1)))\n"
                 "  (func (export \"rethrow\") (param i32) (result i32)\n"
                 "    (block $h (result exnref) (try_table (catch_all_ref $h) (call $thrower (local.get 0))) (return (i32.const 0)))\n"
                 "    throw_ref)\n"
                 "  (func (export \"null\") (throw_ref (ref.null exn))))\n"
                 "(assert_return (invoke \"catch\" (i32.const 42)) (i32.const 42) (i64.const 7))\n"
                 "(assert_exception (invoke \"thrower\" (i32.const 1)))\n"
                 "(assert_exception (invoke \"rethrow\" (i32.const 1)))\n"
                 "(assert_trap (invoke \"null\") \"null exception reference\")\n"
                 "(register \"m\" $m)\n"
                 "(module (tag $e (import \"m\" \"e\") (param i32 i64))\n"
                 "  (func $t (import \"m\" \"thrower\") (param i32))\n"
                 "  (func (export \"f\") (result i32)\n"
                 "    (block $h (result i32 i64) (try_table (catch $e $h) (call $t (i32.const 5))) (unreachable))\n"
                 "    drop))\n"
                 "(assert_return (invoke \"f\") (i32.const 5))\n"
                 "(assert_exception (invoke $m \"catch\" (i32.const 1)))\n");
    EXPECT_EQ(of(r, CommandClass::AssertReturn).passed, 2u);
    EXPECT_EQ(of(r, CommandClass::AssertException).passed, 2u);
    EXPECT_EQ(of(r, CommandClass::AssertTrap).passed, 1u);
    EXPECT_EQ(of(r, CommandClass::AssertException).failed, 1u);
    EXPECT_NE(r.failures.find("t.wast:21: assert_exception: expected an uncaught exception, got results\n"),
              std::string::npos)
        << r.failures;
}

TEST(SpecRunner, ALoopOfCaughtThrowsRunsInBoundedMemoryAndSoDoesOneThatKeepsEach)
{
    // 10^6 exceptions of 160 bytes (with the heap's overhead) are 160 MB: the loop that
    // drops each one and the one that keeps each in a global until the next replaces it
    // both run through (exceptions are GC objects; once the second trapped at a 64 MiB cap).
    auto r = run("(module (tag $e (param i64 i64 i64 i64 i64 i64 i64 i64))\n"
                 "  (global $g (mut exnref) (ref.null noexn))\n"
                 "  (func (export \"spin\") (result i32) (local i32)\n"
                 "    (loop $l\n"
                 "      (block $h (try_table (catch_all $h)\n"
                 "        (throw $e (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4)\n"
                 "                  (i64.const 5) (i64.const 6) (i64.const 7) (i64.const 8))))\n"
                 "      (local.set 0 (i32.add (local.get 0) (i32.const 1)))\n"
                 "      (br_if $l (i32.lt_u (local.get 0) (i32.const 1000000))))\n"
                 "    (local.get 0))\n"
                 "  (func (export \"keep\") (local i32)\n"
                 "    (loop $l\n"
                 "      (global.set $g (block $h (result exnref) (try_table (catch_all_ref $h)\n"
                 "        (throw $e (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4)\n"
                 "                  (i64.const 5) (i64.const 6) (i64.const 7) (i64.const 8))) (unreachable)))\n"
                 "      (local.set 0 (i32.add (local.get 0) (i32.const 1)))\n"
                 "      (br_if $l (i32.lt_u (local.get 0) (i32.const 1000000))))))\n"
                 "(assert_return (invoke \"spin\") (i32.const 1000000))\n"
                 "(assert_return (invoke \"keep\"))\n");
    EXPECT_EQ(r.failures, "");
    EXPECT_EQ(of(r, CommandClass::AssertReturn).passed, 2u);
}

// A return_call whose callee needs more stack arguments than the caller received runs as
// a call and a return; in the spec the callee replaced the caller's frame, so the
// try_table around the return_call must not catch what the callee throws.
TEST(SpecRunner, ATryTableDoesNotCatchFromItsOwnReturnCall)
{
    auto r = run("(module (tag $e (param i32))\n"
                 "  (type $f10 (func (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))\n"
                 "  (table funcref (elem $thrower))\n"
                 "  (elem declare func $thrower)\n"
                 "  (func $thrower (type $f10) (throw $e (i32.add (local.get 0) (local.get 9))))\n"
                 "  (func $direct (result i32)\n"
                 "    (block $h (result i32) (try_table (result i32) (catch $e $h)\n"
                 "      (return_call $thrower (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)\n"
                 "                            (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 10))))\n"
                 "    (i32.add (i32.const 1000)))\n"
                 "  (func $indirect (result i32)\n"
                 "    (block $h (result i32) (try_table (result i32) (catch $e $h)\n"
                 "      (return_call_indirect (type $f10) (i32.const 2) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)\n"
                 "                            (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 10) (i32.const 0))))\n"
                 "    (i32.add (i32.const 1000)))\n"
                 "  (func $by_ref (result i32)\n"
                 "    (block $h (try_table (catch_all $h)\n"
                 "      (return_call_ref $f10 (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)\n"
                 "                            (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 10) (ref.func $thrower))))\n"
                 "    (i32.const 1000))\n"
                 "  (func (export \"direct\") (result i32) (call $direct))\n"
                 "  (func (export \"by_ref\") (result i32) (call $by_ref))\n"
                 "  (func (export \"caught_by_caller\") (result i32)\n"
                 "    (block $h (result i32) (try_table (catch $e $h) (drop (call $indirect))) (i32.const -1))))\n"
                 "(assert_exception (invoke \"direct\"))\n"
                 "(assert_exception (invoke \"by_ref\"))\n"
                 "(assert_return (invoke \"caught_by_caller\") (i32.const 12))\n");
    EXPECT_EQ(r.failures, "");
    EXPECT_EQ(of(r, CommandClass::AssertException).passed, 2u);
    EXPECT_EQ(of(r, CommandClass::AssertReturn).passed, 1u);
}

TEST(SpecRunner, ModulesOfExecutionCommandsMustValidate)
{
    auto r = run("(assert_unlinkable (module (func (result i32) i64.const 1)) \"unknown import\")\n"
                 "(assert_trap (module (func $s (i32.frob)) (start $s)) \"unreachable\")\n");
    EXPECT_EQ(of(r, CommandClass::AssertUnlinkable).failed, 1u);
    EXPECT_EQ(of(r, CommandClass::AssertTrap).failed, 1u);
    EXPECT_EQ(r.tally.totals().skipped, 0u);
    EXPECT_NE(r.failures.find("t.wast:1: assert_unlinkable: expected a valid module, got invalid"), std::string::npos)
        << r.failures;
    EXPECT_NE(r.failures.find("t.wast:2: assert_trap: expected a valid module, got malformed (text line 2"),
              std::string::npos)
        << r.failures;
}

TEST(SpecRunner, ThreadsRunConcurrentlyOnTheSharedModules)
{
    // T1 blocks in wait until T2's notify finds it; each thread has its own names and
    // registrations; wait adds a thread's counts and failure lines.
    auto r = run("(module $Mem (memory (export \"shared\") 1 1 shared))\n"
                 "(thread $T1 (shared (module $Mem))\n"
                 "  (register \"mem\" $Mem)\n"
                 "  (module (memory (import \"mem\" \"shared\") 1 1 shared)\n"
                 "    (func (export \"run\") (result i32) (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1))))\n"
                 "  (assert_invalid (module (func (result i32) i32.const 1)) \"type mismatch\")\n"
                 "  (assert_return (invoke \"run\") (i32.const 0)))\n"
                 "(thread $T2 (shared (module $Mem))\n"
                 "  (register \"mem\" $Mem)\n"
                 "  (module (memory (import \"mem\" \"shared\") 1 1 shared)\n"
                 "    (func (export \"run\") (result i32)\n"
                 "      (loop $again (br_if $again (i32.eqz (memory.atomic.notify (i32.const 0) (i32.const 1)))))\n"
                 "      (i32.const 1)))\n"
                 "  (assert_return (invoke \"run\") (i32.const 1)))\n"
                 "(wait $T1)\n"
                 "(wait $T2)\n"
                 "(wait $T3)\n"
                 "(thread $T4 (shared (module $Nothing)))\n");
    EXPECT_EQ(of(r, CommandClass::Thread).passed, 2u);
    EXPECT_EQ(of(r, CommandClass::Thread).failed, 1u); // $Nothing
    EXPECT_EQ(of(r, CommandClass::Wait).passed, 2u);
    EXPECT_EQ(of(r, CommandClass::Wait).failed, 1u); // $T3
    EXPECT_EQ(of(r, CommandClass::Module).passed, 3u);
    EXPECT_EQ(of(r, CommandClass::Register).passed, 2u);
    EXPECT_EQ(of(r, CommandClass::AssertReturn).passed, 2u) << r.failures;
    EXPECT_EQ(of(r, CommandClass::AssertInvalid).failed, 1u);
    EXPECT_EQ(r.tally.totals().skipped, 0u);
    EXPECT_NE(r.failures.find("t.wast:6: assert_invalid: expected invalid (\"type mismatch\"), got a valid module"),
              std::string::npos)
        << r.failures;
    EXPECT_NE(r.failures.find("t.wast:17: wait: expected a running thread \"T3\", got none"), std::string::npos)
        << r.failures;
}

TEST(SpecRunner, UnparsableScriptIsOneFailedCommandAtTheErrorLine)
{
    auto r = run("(module)\n(module)\n(assert_bogus (module))\n(module)\n");
    EXPECT_EQ(r.tally.totals().failed, 1u);
    EXPECT_EQ(r.tally.totals().passed, 0u);
    EXPECT_EQ(of(r, CommandClass::Script).failed, 1u);
    EXPECT_EQ(r.failures.rfind("t.wast:3: script: expected a script, got malformed (", 0), 0u) << r.failures;

    auto unterminated = run("(module (func)\n");
    EXPECT_EQ(of(unterminated, CommandClass::Script).failed, 1u);
}

TEST(SpecRunner, FailureLinesEscapeHostileMessages)
{
    auto r = run("(assert_invalid (module) \"a\\0ab\\\"c\\ff\")\n");
    EXPECT_EQ(r.failures, "t.wast:1: assert_invalid: expected invalid (\"a\\0ab\\\"c\\ff\"), got a valid module\n");
}

TEST(SpecRunner, SummaryAndJson)
{
    auto r = run("(module)\n"
                 "(assert_invalid (module) \"x\")\n"
                 "(module (rec (type $s (descriptor $d) (struct)) (type $d (describes $s) (struct)))\n"
                 "  (func (export \"f\") (drop (struct.new_desc $s (ref.null none)))))\n"
                 "(assert_return (invoke \"f\"))\n",
                 "proposals/custom-descriptors/t.wast");
    StringBuilder summary;
    write_summary(r.tally, summary);
    EXPECT_EQ(summary.view(), "2 passed, 2 failed, 0 skipped\n");
    StringBuilder json;
    write_json(r.tally, json);
    EXPECT_EQ(json.view(), "{\"passed\":2,\"failed\":2,\"skipped\":0,\"by_kind\":{"
                           "\"module\":{\"passed\":2,\"failed\":0,\"skipped\":0},"
                           "\"assert_return\":{\"passed\":0,\"failed\":1,\"skipped\":0},"
                           "\"assert_invalid\":{\"passed\":0,\"failed\":1,\"skipped\":0}},"
                           "\"skip_reasons\":{}}\n");

    // Skips (no suite module produces one now) are listed by reason.
    Tally skipped;
    skipped[CommandClass::Module].skipped = 2;
    skipped.skipped_by_reason[static_cast<usize>(SkipReason::GcNotImplemented)] = 2;
    StringBuilder skipped_json;
    write_json(skipped, skipped_json);
    EXPECT_EQ(skipped_json.view(), "{\"passed\":0,\"failed\":0,\"skipped\":2,\"by_kind\":{"
                                   "\"module\":{\"passed\":0,\"failed\":0,\"skipped\":2}},"
                                   "\"skip_reasons\":{\"GC not implemented\":2}}\n");

    Tally empty;
    StringBuilder empty_json;
    write_json(empty, empty_json);
    EXPECT_EQ(empty_json.view(), "{\"passed\":0,\"failed\":0,\"skipped\":0,\"by_kind\":{},\"skip_reasons\":{}}\n");
}

TEST(SpecRunner, TalliesAddUp)
{
    auto a = run("(module)\n(assert_invalid (module) \"x\")\n");
    auto b = run("(module)\n(invoke \"f\")\n");
    Tally total = a.tally;
    total.add(b.tally);
    EXPECT_EQ(total[CommandClass::Module].passed, 2u);
    EXPECT_EQ(total[CommandClass::AssertInvalid].failed, 1u);
    EXPECT_EQ(total[CommandClass::Invoke].failed, 1u);
    EXPECT_EQ(total.totals().total(), 4u);
}

TEST(SpecRunner, HostileScriptsDoNotCrash)
{
    std::string_view inputs[] = {
        "",
        "(",
        ")",
        "(module binary \"\\00asm\\01\\00\\00\\00\\01\\ff\\ff\\ff\\ff\\0f\")",
        "(assert_malformed (module quote \"(module\") \"unexpected end\")",
        "(module quote \"\\ff\\fe\")",
        "(assert_invalid (module binary \"\\00asm\\01\\00\\00\\00\\0a\\05\\01\\03\\00\\0b\") \"x\")",
        std::string_view("(module)\0(module)", 17),
        "(module (func (export \"f\") (param i32) (result i32) local.get 0 i32.const 0 i32.div_s))\n"
        "(assert_return (invoke \"f\" (i32.const 1)) (i32.const 0))",
        "(module (memory 1) (func (export \"f\") (result i32) i32.const -1 i32.load))\n"
        "(invoke \"f\")",
        "(module (memory 65536))",
    };
    for (auto input : inputs) {
        auto r = run(input);
        EXPECT_LE(r.tally.totals().total(), 4u) << input;
    }
}
