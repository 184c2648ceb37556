// Lazy compilation (CompileOptions::lazy, docs/baseline-compiler.md "Lazy compilation"): each
// function compiled once at its first call, whichever way it is reached (exports, direct
// calls, call_indirect, call_ref, the start function), by racing threads too; traps,
// backtraces and exception handlers in lazily compiled code; tier-up from it; and a compile
// that fails at the first call is a trap.

#include <gtest/gtest.h>

#include <pthread.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "engine/compile/compiled_module.h"
#include "engine/compile/tier_up.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/store.h"
#include "engine/text/wat.h"
#include "tests/unit/compile/session.h"

using namespace wk;
using namespace wk::engine;
using runtime::VMVal;
using Session = test_session::TierSession;
using test_session::call;
using test_session::compile_wat;
using test_session::instantiate;

namespace {

compile::CompileOptions lazy_options(compile::Tier tier = compile::Tier::Baseline)
{
    compile::CompileOptions options;
    options.tier = tier;
    options.lazy = true;
    return options;
}

u32 lazily_compiled(const compile::CompiledModule& compiled)
{
    return compile::tier_up_counts(*compiled.module).lazy_compiled;
}

const char* const kThree = R"wat((module
    (type $t (func (param i32) (result i32)))
    (table 2 funcref)
    (elem (i32.const 0) $never_direct $double)
    (elem declare func $by_ref)
    (global $started (mut i32) (i32.const 0))
    (func $double (param i32) (result i32) local.get 0 i32.const 2 i32.mul)
    (func $never_direct (param i32) (result i32) local.get 0 i32.const 100 i32.add)
    (func $by_ref (param i32) (result i32) local.get 0 i32.const 1000 i32.add)
    (func $unused (param i32) (result i32) local.get 0)
    (func $start i32.const 7 global.set $started)
    (start $start)
    (func (export "quad") (param i32) (result i32) local.get 0 call $double call $double)
    (func (export "indirect") (param i32 i32) (result i32) local.get 0 local.get 1 call_indirect (type $t))
    (func (export "by_ref") (param i32) (result i32) local.get 0 ref.func $by_ref call_ref $t)
    (func (export "started") (result i32) global.get $started))
)wat";

TEST(Lazy, FirstCallCompilesEachFunctionOnce)
{
    auto compiled = compile_wat(kThree, lazy_options());
    Session session;
    instantiate(session, compiled);
    ASSERT_TRUE(session.instance);
    // Instantiation ran the start function: compiled at its call, its effect visible.
    EXPECT_EQ(lazily_compiled(compiled), 1u);
    auto started = call(*session.instance, "started", {});
    ASSERT_FALSE(started.trap);
    EXPECT_EQ(started.results[0].i32_value(), 7);
    EXPECT_EQ(lazily_compiled(compiled), 2u);
    // quad and $double (called twice, compiled once).
    auto quad = call(*session.instance, "quad", { VMVal::from_i32(5) });
    ASSERT_FALSE(quad.trap);
    EXPECT_EQ(quad.results[0].i32_value(), 20);
    EXPECT_EQ(lazily_compiled(compiled), 4u);
    quad = call(*session.instance, "quad", { VMVal::from_i32(6) });
    EXPECT_EQ(quad.results[0].i32_value(), 24);
    EXPECT_EQ(lazily_compiled(compiled), 4u);
    // A second instance shares the module's code: nothing compiled again.
    Session second;
    instantiate(second, compiled);
    ASSERT_TRUE(second.instance);
    quad = call(*second.instance, "quad", { VMVal::from_i32(1) });
    EXPECT_EQ(quad.results[0].i32_value(), 4);
    EXPECT_EQ(lazily_compiled(compiled), 4u);
    EXPECT_EQ(compile::tier_up_counts(*compiled.module).lazy_failed, 0u);
}

TEST(Lazy, CallIndirectAndCallRefToNeverCalledFunctions)
{
    auto compiled = compile_wat(kThree, lazy_options());
    Session session;
    instantiate(session, compiled);
    ASSERT_TRUE(session.instance);
    u32 before = lazily_compiled(compiled);
    // Table slot 0: $never_direct, reached only through the table.
    auto indirect = call(*session.instance, "indirect", { VMVal::from_i32(1), VMVal::from_i32(0) });
    ASSERT_FALSE(indirect.trap);
    EXPECT_EQ(indirect.results[0].i32_value(), 101);
    EXPECT_EQ(lazily_compiled(compiled), before + 2); // "indirect" and $never_direct
    auto by_ref = call(*session.instance, "by_ref", { VMVal::from_i32(1) });
    ASSERT_FALSE(by_ref.trap);
    EXPECT_EQ(by_ref.results[0].i32_value(), 1001);
    EXPECT_EQ(lazily_compiled(compiled), before + 4);
    // An out-of-range index still traps as a table access, not in the lazy path.
    auto bad = call(*session.instance, "indirect", { VMVal::from_i32(1), VMVal::from_i32(5) });
    ASSERT_TRUE(bad.trap);
    EXPECT_EQ(bad.trap->kind, TrapKind::UndefinedElement);
}

// `count` functions with bodies long enough that compiling one takes a while (100 dead
// stores each); $fi returns x + i, and the export "all" returns the sum over all of them.
std::string many_functions(u32 count)
{
    std::string wat = "(module\n";
    for (u32 i = 0; i < count; ++i) {
        wat += "(func $f" + std::to_string(i) + " (param i32) (result i32) (local i32)\n";
        for (u32 k = 0; k < 100; ++k)
            wat += " local.get 0 i32.const " + std::to_string(k) + " i32.add local.set 1\n";
        wat += " local.get 0 i32.const " + std::to_string(i) + " i32.add)\n";
    }
    wat += "(func (export \"all\") (param i32) (result i32) (local i32)\n";
    for (u32 i = 0; i < count; ++i)
        wat += " local.get 0 call $f" + std::to_string(i) + " local.get 1 i32.add local.set 1\n";
    return wat + " local.get 1))\n";
}

TEST(Lazy, ConcurrentFirstCallsCompileOnce)
{
    constexpr u32 kFunctions = 40;
    constexpr i32 kExpected = kFunctions * 1 + kFunctions * (kFunctions - 1) / 2; // sum of (1 + i)
    auto compiled = compile_wat(many_functions(kFunctions), lazy_options());
    // Each thread has its own store and instance of the one module; they start together.
    std::atomic<int> ready { 0 };
    std::atomic<int> wrong { 0 };
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            Session session;
            instantiate(session, compiled);
            ready.fetch_add(1);
            while (ready.load() < 4) {
            }
            auto outcome = call(*session.instance, "all", { VMVal::from_i32(1) });
            if (outcome.trap || outcome.results.size() != 1 || outcome.results[0].i32_value() != kExpected)
                wrong.fetch_add(1);
        });
    }
    for (auto& thread : threads)
        thread.join();
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_EQ(lazily_compiled(compiled), kFunctions + 1);
    EXPECT_EQ(compile::tier_up_counts(*compiled.module).lazy_failed, 0u);
}

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

TEST(Lazy, TrapInLazilyCompiledCodeHasItsBacktrace)
{
    auto compiled = compile_wat(kRecursive, lazy_options());
    Session session;
    instantiate(session, compiled);
    ASSERT_TRUE(session.instance);
    auto outcome = call(*session.instance, "down", { VMVal::from_i32(30), VMVal::from_i32(1) });
    ASSERT_TRUE(outcome.trap);
    EXPECT_EQ(outcome.trap->kind, TrapKind::Unreachable);
    EXPECT_TRUE(test_session::in_later_code(compiled, outcome.trap->pc));
    // 31 frames of $down (function 0), all in the lazily compiled code.
    ASSERT_EQ(outcome.backtrace.size(), 31u);
    for (u32 function : outcome.backtrace)
        EXPECT_EQ(function, 0u);
    EXPECT_EQ(lazily_compiled(compiled), 1u);
}

TEST(Lazy, TieredUpFromLazilyCompiledCode)
{
    auto options = lazy_options(compile::Tier::Tiered);
    options.tier_up_threshold = 10;
    options.tier_up_synchronous = true;
    auto compiled = compile_wat(kRecursive, options);
    Session session;
    instantiate(session, compiled);
    ASSERT_TRUE(session.instance);
    auto outcome = call(*session.instance, "down", { VMVal::from_i32(40), VMVal::from_i32(0) });
    ASSERT_FALSE(outcome.trap);
    EXPECT_EQ(outcome.results[0].i32_value(), 40 * 41 / 2);
    auto counts = compile::tier_up_counts(*compiled.module);
    EXPECT_EQ(counts.lazy_compiled, 1u);
    EXPECT_EQ(counts.hot, 1u);
    EXPECT_EQ(counts.tiered_up, 1u);
}

// Nested try_table ranges in one lazily compiled function: the innermost handler catches.
const char* const kNestedCatch = R"wat((module
    (tag $e0) (tag $e1)
    (func (export "catch") (param i32) (result i32)
        (block $h1
            (try_table (result i32) (catch $e1 $h1)
                (block $h0
                    (try_table (result i32) (catch $e0 $h0)
                        (if (i32.eqz (local.get 0)) (then (throw $e0)) (else (throw $e1)))
                        (i32.const 2))
                    (br 1))
                (i32.const 3))
            (return))
        (i32.const 4)))
)wat";

TEST(Lazy, ExceptionHandlersOfLazilyCompiledCode)
{
    auto compiled = compile_wat(kNestedCatch, lazy_options());
    Session session;
    instantiate(session, compiled);
    ASSERT_TRUE(session.instance);
    auto inner = call(*session.instance, "catch", { VMVal::from_i32(0) });
    ASSERT_FALSE(inner.trap);
    EXPECT_EQ(inner.results[0].i32_value(), 3);
    auto outer = call(*session.instance, "catch", { VMVal::from_i32(1) });
    ASSERT_FALSE(outer.trap);
    EXPECT_EQ(outer.results[0].i32_value(), 4);
}

// One function whose baseline code is far larger than its body (each 5-byte call_indirect
// makes a bounds check, a type check and a call), so it cannot fit the tier space reserved
// for it: its first call traps, and so does the next, while the module's other code runs.
std::string oversized_function(u32 calls)
{
    std::string wat = "(module (type $t (func)) (table 1 funcref)\n"
                      "(func (export \"ok\") (result i32) i32.const 5)\n"
                      "(func (export \"big\") (param i32)\n";
    for (u32 i = 0; i < calls; ++i)
        wat += " local.get 0 call_indirect (type $t)\n";
    return wat + "))\n";
}

TEST(Lazy, CompileFailureAtTheFirstCallIsATrap)
{
    auto compiled = compile_wat(oversized_function(20000), lazy_options());
    Session session;
    instantiate(session, compiled);
    ASSERT_TRUE(session.instance);
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto big = call(*session.instance, "big", { VMVal::from_i32(0) });
        ASSERT_TRUE(big.trap);
        EXPECT_EQ(big.trap->kind, TrapKind::LazyCompileFailed);
    }
    EXPECT_EQ(compile::tier_up_counts(*compiled.module).lazy_failed, 2u);
    auto ok = call(*session.instance, "ok", {});
    ASSERT_FALSE(ok.trap);
    EXPECT_EQ(ok.results[0].i32_value(), 5);
}

// The stack a lazy compile takes on the calling thread (in the kernel: a process thread's
// 48 KiB host-call reserve, docs/boot-and-machine-state.md "Wasm stack reserve"): compile_lazily run
// directly on a painted 256 KiB stack, for a function with 500 nested blocks, 200 locals and
// long expressions; the deepest byte written must be well inside 48 KiB.
struct StackProbe {
    compile::TierUpManager* manager { nullptr };
    u32 function_index { 0 };
    uptr slot { 0 };
};

void* compile_on_probe_stack(void* raw)
{
    auto* probe = static_cast<StackProbe*>(raw);
    probe->slot = probe->manager->compile_lazily(probe->function_index);
    return nullptr;
}

TEST(Lazy, CompileStackUseFitsTheHostCallReserve)
{
    std::string wat = "(module (func (export \"deep\") (param i32) (result i32) (local";
    for (u32 i = 0; i < 200; ++i)
        wat += " i64";
    wat += ")\n";
    for (u32 i = 0; i < 500; ++i)
        wat += "(block (result i32) ";
    wat += "local.get 0";
    for (u32 i = 0; i < 60; ++i)
        wat += " local.get 0 i32.const " + std::to_string(i) + " i32.add i32.mul";
    for (u32 i = 0; i < 500; ++i)
        wat += " local.get 0 br_if 0)";
    wat += "))\n";
    auto compiled = compile_wat(wat, lazy_options());
    ASSERT_TRUE(compiled.module);
    constexpr usize kStack = 256 * 1024;
    constexpr u8 kPaint = 0xA5;
    std::vector<u8> stack(kStack, kPaint);
    StackProbe probe;
    probe.manager = static_cast<compile::TierUpManager*>(compiled.module->tier_up());
    ASSERT_NE(probe.manager, nullptr);
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    ASSERT_EQ(pthread_attr_setstack(&attributes, stack.data(), kStack), 0);
    pthread_t thread;
    ASSERT_EQ(pthread_create(&thread, &attributes, compile_on_probe_stack, &probe), 0);
    pthread_join(thread, nullptr);
    pthread_attr_destroy(&attributes);
    EXPECT_NE(probe.slot, 0u);
    EXPECT_EQ(compile::tier_up_counts(*compiled.module).lazy_compiled, 1u);
    // The stack grows down from the top: the first byte still painted, from the bottom, marks
    // the deepest use (the thread's own start-up is included: an overestimate).
    usize untouched = 0;
    while (untouched < kStack && stack[untouched] == kPaint)
        ++untouched;
    usize used = kStack - untouched;
    RecordProperty("lazy_compile_stack_bytes", static_cast<int>(used));
    std::printf("lazy compile stack use: %zu bytes\n", used);
    EXPECT_LT(used, 24u * 1024);
}

TEST(Lazy, CustomDescriptorModulesLoadWithLazyOptions)
{
    // Custom descriptors (once refused by the baseline) load with lazy options (compiled
    // eagerly, as every module with GC instructions: Module::uses_gc_instructions).
    const char* descriptors = "(module (rec (type $a (descriptor $b) (struct)) (type $b (describes $a) (struct)))"
                              " (func (export \"f\") (param (ref $a)) (drop (ref.get_desc $a (local.get 0)))))";
    auto wasm = text::wat_to_wasm(StringView(descriptors, std::strlen(descriptors)));
    ASSERT_FALSE(wasm.is_error()) << wasm.error().message();
    auto compiled = compile::load_and_compile(wasm.release_value(), Features {}, lazy_options());
    EXPECT_FALSE(compiled.is_error()) << compiled.error().message();
}

} // namespace
