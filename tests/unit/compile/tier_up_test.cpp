// Tier-up (engine/compile/tier_up.h, docs/optimizing-compiler.md "Tier-up"): functions
// replaced while their baseline frames run, traps and exceptions through optimised code,
// every way of reaching a function (exports, call_indirect, imports, funcrefs) switched
// to the new code, and a module destroyed while its background compiler works.

#include <gtest/gtest.h>

#include <cstring>
#include <ctime>
#include <string>

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
using test_session::compile_wat;
using test_session::instantiate;

namespace {

compile::CompileOptions tiered(i32 threshold, bool synchronous)
{
    compile::CompileOptions options;
    options.tier = compile::Tier::Tiered;
    options.tier_up_threshold = threshold;
    options.tier_up_synchronous = synchronous;
    return options;
}

compile::TierUpManager& manager_of(const compile::CompiledModule& compiled)
{
    return *static_cast<compile::TierUpManager*>(compiled.module->tier_up());
}

// A recursion that traps at the bottom (n = 0: unreachable) or returns the sum 1..n.
const char* const kRecursive = R"wat((module
    (func $down (export "down") (param i32 i32) (result i32)
        local.get 0 i32.eqz
        if (result i32)
            local.get 1 if unreachable end
            i32.const 0
        else
            local.get 0
            local.get 0 i32.const 1 i32.sub local.get 1 call $down
            i32.add
        end))
)wat";

TEST(TierUp, RecursionReplacedWhileItsBaselineFramesRun)
{
    // The 10th call tiers up: 9 baseline frames are on the stack, every deeper call runs
    // the optimised code, and the frames return through both.
    Session session;
    instantiate(session, kRecursive, tiered(10, true));
    ASSERT_TRUE(session.instance);
    auto outcome = call(*session.instance, "down", { VMVal::from_i32(40), VMVal::from_i32(0) });
    ASSERT_FALSE(outcome.trap);
    ASSERT_EQ(outcome.results.size(), 1u);
    EXPECT_EQ(outcome.results[0].i32_value(), 40 * 41 / 2);
    compile::TierUpCounts counts = compile::tier_up_counts(*session.compiled.module);
    EXPECT_EQ(counts.hot, 1u);
    EXPECT_EQ(counts.tiered_up, 1u);
    EXPECT_EQ(counts.refused, 0u);
    // Later calls enter the optimised code through the slot, and stay correct.
    outcome = call(*session.instance, "down", { VMVal::from_i32(1000), VMVal::from_i32(0) });
    ASSERT_FALSE(outcome.trap);
    EXPECT_EQ(outcome.results[0].i32_value(), 1000 * 1001 / 2);
}

TEST(TierUp, TierSpaceIsCommittedAsOptimisedCodeFillsIt)
{
    // Reserved at link, nothing committed until the first tier-up; then whole pages, at most
    // the reservation (the kernel backs committed pages with frames at once).
    Session session;
    instantiate(session, kRecursive, tiered(10, true));
    ASSERT_TRUE(session.instance);
    const compile::CodeObject& code = *session.compiled.code;
    usize page = platform::page_size();
    EXPECT_GE(code.tier_space_bytes(), 64u * 1024);
    EXPECT_EQ(code.tier_space_committed_bytes(), 0u);
    auto outcome = call(*session.instance, "down", { VMVal::from_i32(20), VMVal::from_i32(0) });
    ASSERT_FALSE(outcome.trap);
    EXPECT_EQ(outcome.results[0].i32_value(), 20 * 21 / 2);
    EXPECT_EQ(compile::tier_up_counts(*session.compiled.module).tiered_up, 1u);
    usize committed = code.tier_space_committed_bytes();
    EXPECT_GE(committed, page);
    EXPECT_EQ(committed % page, 0u);
    EXPECT_LT(committed, code.tier_space_bytes());
    // Baseline-only code reserves no tier space.
    compile::CompileOptions baseline;
    auto plain = compile_wat(kRecursive, baseline);
    EXPECT_EQ(plain.code->tier_space_bytes(), 0u);
    EXPECT_EQ(plain.code->tier_space_committed_bytes(), 0u);
}

TEST(TierUp, TrapBacktraceNamesFramesOfBothTiers)
{
    Session session;
    instantiate(session, kRecursive, tiered(10, true));
    ASSERT_TRUE(session.instance);
    // Depth 30: calls 1-10 (outermost; the 10th tiers up) run baseline code, 11-31 the
    // optimised code, which traps in the last.
    auto outcome = call(*session.instance, "down", { VMVal::from_i32(30), VMVal::from_i32(1) });
    ASSERT_TRUE(outcome.trap);
    EXPECT_EQ(outcome.trap->kind, TrapKind::Unreachable);
    EXPECT_TRUE(test_session::in_later_code(session.compiled, outcome.trap->pc));
    u32 baseline_frames = 0;
    u32 optimized_frames = 0;
    for (u32 i = 0; i < outcome.trap->frame_count; ++i) {
        uptr pc = i == 0 ? outcome.trap->frames[i] : outcome.trap->frames[i] - 1;
        const compile::CodeObject* object = compile::CodeObject::find(pc);
        ASSERT_NE(object, nullptr);
        if (!object->function_at(pc))
            continue; // the array-call entry the host called
        (object == session.compiled.code.get() ? baseline_frames : optimized_frames) += 1;
    }
    EXPECT_EQ(baseline_frames, 10u);
    EXPECT_EQ(optimized_frames, 21u);
    // Every frame maps to $down (function 0), whichever tier's code it is in.
    ASSERT_EQ(outcome.backtrace.size(), 31u);
    for (u32 function : outcome.backtrace)
        EXPECT_EQ(function, 0u);
}

// Reaching one function every way: its export, call_indirect and call_ref from another
// module that imports it, and a direct call to the import. $f traps on 0.
const char* const kExporter = R"wat((module
    (func $f (export "f") (param i32) (result i32)
        local.get 0 i32.eqz if unreachable end
        local.get 0 i32.const 7 i32.mul)
    (func (export "warm") (param i32) (result i32) (local i32)
        loop
            local.get 0 call $f local.get 1 i32.add local.set 1
            local.get 0 i32.const 1 i32.sub local.tee 0
            br_if 0
        end
        local.get 1))
)wat";

const char* const kImporter = R"wat((module
    (type $t (func (param i32) (result i32)))
    (import "a" "f" (func $f (type $t)))
    (table 1 funcref)
    (elem (i32.const 0) $f)
    (elem declare func $f)
    (func (export "direct") (param i32) (result i32) local.get 0 call $f)
    (func (export "indirect") (param i32) (result i32) local.get 0 i32.const 0 call_indirect (type $t))
    (func (export "by_ref") (param i32) (result i32) local.get 0 ref.func $f call_ref $t))
)wat";

TEST(TierUp, EveryCallerReachesTheNewCode)
{
    Session exporter;
    // The exporter tiers up synchronously; the importer stays in the baseline (a budget
    // it never exhausts), so only the exporter's slot can lead into tier-up code.
    instantiate(exporter, kExporter, tiered(20, true));
    ASSERT_TRUE(exporter.instance);
    Session importer;
    importer.store = exporter.store;
    MUST(importer.linker.define_instance("a", *exporter.instance));
    instantiate(importer, kImporter, tiered(1'000'000, true));
    ASSERT_TRUE(importer.instance);

    // Before: a trap in $f is in the module's own code.
    auto before = call(*importer.instance, "indirect", { VMVal::from_i32(0) });
    ASSERT_TRUE(before.trap);
    EXPECT_FALSE(test_session::in_later_code(exporter.compiled, before.trap->pc));

    // $f gets hot through its export. (Through "warm" alone it may not: warm's loop
    // can move to an OSR entry first, into which the optimising tier inlines $f.)
    for (i32 i = 1; i <= 25; ++i) {
        auto direct = call(*exporter.instance, "f", { VMVal::from_i32(i) });
        ASSERT_FALSE(direct.trap);
        EXPECT_EQ(direct.results[0].i32_value(), 7 * i);
    }
    EXPECT_EQ(compile::tier_up_counts(*exporter.compiled.module).tiered_up, 1u); // $f
    auto warm = call(*exporter.instance, "warm", { VMVal::from_i32(50) });
    ASSERT_FALSE(warm.trap);
    EXPECT_EQ(warm.results[0].i32_value(), 7 * 50 * 51 / 2);
    EXPECT_EQ(compile::tier_up_counts(*importer.compiled.module).hot, 0u);

    for (const char* name : { "direct", "indirect", "by_ref" }) {
        SCOPED_TRACE(name);
        auto result = call(*importer.instance, name, { VMVal::from_i32(6) });
        ASSERT_FALSE(result.trap);
        EXPECT_EQ(result.results[0].i32_value(), 42);
        auto trapped = call(*importer.instance, name, { VMVal::from_i32(0) });
        ASSERT_TRUE(trapped.trap);
        EXPECT_TRUE(test_session::in_later_code(exporter.compiled, trapped.trap->pc));
    }
    auto exported = call(*exporter.instance, "f", { VMVal::from_i32(0) });
    ASSERT_TRUE(exported.trap);
    EXPECT_TRUE(test_session::in_later_code(exporter.compiled, exported.trap->pc));
}

// An exception thrown by a function the optimising tier refuses (throw), through an
// optimised frame, caught by a baseline try_table; and a trap raised in optimised code
// under that try_table, which no handler catches.
const char* const kExceptions = R"wat((module
    (tag $e (param i32))
    (func $thrower (param i32) (result i32)
        local.get 0 i32.const 100 i32.ge_u if local.get 0 throw $e end
        local.get 0)
    (func $middle (param i32) (result i32)
        local.get 0 i32.const 1000 i32.eq if unreachable end
        local.get 0 call $thrower i32.const 1 i32.add)
    (func (export "run") (param i32) (result i32)
        block $caught (result i32)
            try_table (catch $e $caught)
                local.get 0 call $middle
                return
            end
            unreachable
        end
        i32.const 10000 i32.add))
)wat";

TEST(TierUp, ExceptionsAndTrapsThroughOptimisedCode)
{
    Session session;
    instantiate(session, kExceptions, tiered(1, true));
    ASSERT_TRUE(session.instance);
    auto normal = call(*session.instance, "run", { VMVal::from_i32(5) });
    ASSERT_FALSE(normal.trap);
    EXPECT_EQ(normal.results[0].i32_value(), 6);
    compile::TierUpCounts counts = compile::tier_up_counts(*session.compiled.module);
    EXPECT_EQ(counts.hot, 3u);
    EXPECT_GE(counts.tiered_up, 1u); // $middle at least; try_table and throw may be refused
    EXPECT_EQ(counts.tiered_up + counts.refused, 3u);

    auto caught = call(*session.instance, "run", { VMVal::from_i32(123) });
    ASSERT_FALSE(caught.trap);
    EXPECT_EQ(caught.results[0].i32_value(), 10123);

    auto trapped = call(*session.instance, "run", { VMVal::from_i32(1000) });
    ASSERT_TRUE(trapped.trap);
    EXPECT_EQ(trapped.trap->kind, TrapKind::Unreachable);
    EXPECT_TRUE(test_session::in_later_code(session.compiled, trapped.trap->pc));
    ASSERT_EQ(trapped.backtrace.size(), 2u);
    EXPECT_EQ(trapped.backtrace[0], 1u); // $middle
    EXPECT_EQ(trapped.backtrace[1], 2u); // run
}

TEST(TierUp, BackgroundCompilerInstallsHotFunctions)
{
    Session session;
    instantiate(session, kRecursive, tiered(1, false));
    ASSERT_TRUE(session.instance);
    auto first = call(*session.instance, "down", { VMVal::from_i32(100), VMVal::from_i32(0) });
    ASSERT_FALSE(first.trap);
    EXPECT_EQ(first.results[0].i32_value(), 5050);
    ASSERT_TRUE(wait_idle(manager_of(session.compiled)));
    EXPECT_EQ(compile::tier_up_counts(*session.compiled.module).tiered_up, 1u);
    auto trapped = call(*session.instance, "down", { VMVal::from_i32(3), VMVal::from_i32(1) });
    ASSERT_TRUE(trapped.trap);
    EXPECT_TRUE(test_session::in_later_code(session.compiled, trapped.trap->pc));
}

// Many functions with large bodies, so the background compiler is busy when the
// module goes away.
std::string many_functions(u32 count)
{
    std::string wat = "(module\n";
    for (u32 i = 0; i < count; ++i) {
        wat += "(func (export \"f" + std::to_string(i) + "\") (param i32) (result i32)\n";
        for (u32 k = 0; k < 200; ++k)
            wat += " local.get 0 i32.const " + std::to_string(k + i) + " i32.add i32.const 3 i32.mul local.set 0\n";
        wat += " local.get 0)\n";
    }
    return wat + ")\n";
}

TEST(TierUp, ModuleDestroyedWhileTheBackgroundCompilerWorks)
{
    std::string wat = many_functions(40);
    for (int round = 0; round < 5; ++round) {
        Session session;
        instantiate(session, wat.c_str(), tiered(1, false));
        ASSERT_TRUE(session.instance);
        uptr code_start = reinterpret_cast<uptr>(session.compiled.code->base());
        for (u32 i = 0; i < 40; ++i) {
            std::string name = "f" + std::to_string(i);
            auto outcome = call(*session.instance, name.c_str(), { VMVal::from_i32(1) });
            ASSERT_FALSE(outcome.trap);
        }
        EXPECT_EQ(compile::tier_up_counts(*session.compiled.module).hot, 40u);
        // Drop everything while functions are still queued or compiling: the manager
        // cancels and joins its thread, then the code goes.
        session.instance = nullptr;
        session.store = nullptr;
        session.compiled = {};
        EXPECT_EQ(compile::CodeObject::find(code_start), nullptr);
    }
}

} // namespace
