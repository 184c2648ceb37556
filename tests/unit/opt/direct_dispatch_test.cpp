// Direct dispatch of call_indirect and call_ref in the optimising tier
// (docs/optimizing-compiler.md, "Direct dispatch"): a funcref naming one of this
// instance's declared functions of the call's type is called with `call rel32`; every
// other funcref (an import's, another instance's, a subtype's, more candidates than
// kMaxDirectTargets) through the funcref transfer. Results, traps and backtraces must
// equal the baseline's, in every tier.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/compile/compiler.h"
#include "engine/compile/compiled_module.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/loaded_module.h"
#include "engine/runtime/store.h"
#include "engine/text/wat.h"
#include "engine/x64/opt/optimizing_compiler.h"

namespace wk::engine::opt {

namespace {

// "lib" exports a function of type $t and a table of its own functions of that type.
// NOTE: $t has three parameters so that no export of "main" (two) has its type: exported
// functions are candidates too, and four more would exceed kMaxDirectTargets.
constexpr const char* kLib = R"(
(module
  (type $t (func (param i64 i64 i64) (result i64)))
  (table (export "tab") 2 funcref)
  (elem (i32.const 0) $p $q)
  (func $p (type $t) (i64.add (local.get 0) (i64.mul (local.get 1) (i64.const 1000))))
  (func $q (type $t) (i64.sub (local.get 0) (local.get 1)))
  (func (export "ext") (type $t) (i64.xor (local.get 0) (i64.const 0x5555))))
)";

// Function 0 is the import; $a..$d (1-4) are the four candidates of $t; $u is another
// type in the same table (a mismatch); $m0..$m8 are nine candidates of $t2 (too many:
// transfer). $d traps when its first argument is 7.
std::string main_module()
{
    std::string many;
    std::string many_elem;
    for (u32 k = 0; k < 9; ++k) {
        many += " (func $m" + std::to_string(k) + " (type $t2) (i32.add (local.get 0) (i32.const " +
                std::to_string(k * 100) + ")))";
        many_elem += " $m" + std::to_string(k);
    }
    return R"(
(module
  (type $t (func (param i64 i64 i64) (result i64)))
  (type $t2 (func (param i32) (result i32)))
  (type $u (func (param i64) (result i64)))
  (import "lib" "ext" (func $ext (type $t)))
  (import "lib" "tab" (table $shared 2 funcref))
  (table $own 8 funcref)
  (table $many 9 funcref)
  (table $typed 4 (ref null $t))
  (elem (table $own) (i32.const 0) func $a $b $c $d $ext $u)
  (elem (table $many) (i32.const 0) func)" + many_elem + R"()
  (elem (table $typed) (i32.const 0) (ref null $t) (ref.func $a) (ref.func $d) (ref.func $ext) (ref.null $t))
  (func $a (type $t) (i64.add (local.get 0) (i64.sub (local.get 1) (local.get 2))))
  (func $b (type $t) (i64.xor (local.get 0) (i64.mul (local.get 1) (i64.const 0x9e3779b97f4a7c15))))
  (func $c (type $t) (i64.add (i64.rotl (local.get 0) (i64.const 7)) (i64.and (local.get 1) (i64.const 1))))
  (func $d (type $t) (if (i64.eq (local.get 0) (i64.const 7)) (then (unreachable)))
    (i64.mul (local.get 0) (i64.add (i64.shl (local.get 1) (i64.const 1)) (i64.const 1))))
  (func $u (type $u) (local.get 0)))" + many + R"(
  (func (export "own") (param $i i64) (param $x i64) (result i64)
    (call_indirect $own (type $t) (local.get $x) (local.get $i) (i64.const 3) (i32.wrap_i64 (local.get $i))))
  (func (export "shared") (param $i i64) (param $x i64) (result i64)
    (call_indirect $shared (type $t) (local.get $x) (local.get $i) (i64.const 3) (i32.wrap_i64 (local.get $i))))
  (func (export "many") (param $i i64) (param $x i64) (result i64)
    (i64.extend_i32_u (call_indirect $many (type $t2) (i32.wrap_i64 (local.get $x)) (i32.wrap_i64 (local.get $i)))))
  (func (export "ref") (param $i i64) (param $x i64) (result i64)
    (call_ref $t (local.get $x) (local.get $i) (i64.const 3) (table.get $typed (i32.wrap_i64 (local.get $i)))))
  ;; The loop of the bench program: values live across the calls, a chain through x.
  (func (export "loop") (param $n i64) (param $x i64) (result i64) (local $i i64) (local $s i64)
    (loop $l
      (local.set $x (call_indirect $own (type $t) (local.get $x) (local.get $i) (local.get $s)
        (i32.and (i32.wrap_i64 (i64.shr_u (local.get $x) (i64.const 13))) (i32.const 3))))
      (local.set $s (i64.add (local.get $s) (local.get $x)))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $l (i64.lt_u (local.get $i) (local.get $n))))
    (i64.xor (local.get $x) (local.get $s)))
)
)";
}

struct Pair {
    RefPtr<runtime::Store> store;
    compile::CompiledModule lib;
    compile::CompiledModule main;
    RefPtr<runtime::Instance> lib_instance;
    RefPtr<runtime::Instance> instance;
};

std::unique_ptr<Pair> instantiate(compile::Tier tier)
{
    auto pair = std::make_unique<Pair>();
    compile::CompileOptions options;
    options.tier = tier;
    options.deterministic_layout = true;
    // Tiered: every function is optimised at its second call, on this thread.
    options.tier_up_threshold = 2;
    options.tier_up_synchronous = true;
    auto compile = [&](const std::string& wat) -> std::optional<compile::CompiledModule> {
        auto bytes = text::wat_to_wasm(StringView(wat.data(), wat.size()));
        EXPECT_FALSE(bytes.is_error()) << bytes.error().message();
        if (bytes.is_error())
            return std::nullopt;
        auto compiled = compile::load_and_compile(bytes.release_value(), Features {}, options);
        EXPECT_FALSE(compiled.is_error()) << compiled.error().message();
        if (compiled.is_error())
            return std::nullopt;
        return compiled.release_value();
    };
    auto lib = compile(kLib);
    auto main = compile(main_module());
    if (!lib || !main)
        return nullptr;
    pair->lib = *lib;
    pair->main = *main;
    pair->store = MUST(runtime::Store::create());
    runtime::Linker linker;
    auto lib_instance = pair->store->instantiate(*pair->lib.module, linker);
    EXPECT_FALSE(lib_instance.is_error());
    if (lib_instance.is_error())
        return nullptr;
    pair->lib_instance = lib_instance.release_value();
    EXPECT_FALSE(linker.define_instance("lib", *pair->lib_instance).is_error());
    auto instance = pair->store->instantiate(*pair->main.module, linker);
    EXPECT_FALSE(instance.is_error()) << instance.error().message();
    if (instance.is_error())
        return nullptr;
    pair->instance = instance.release_value();
    return pair;
}

// Results, or the trap kind and the backtrace's function indices.
std::string run(Pair& pair, const char* name, u64 a, u64 b)
{
    runtime::VMVal values[2] = { runtime::VMVal::from_u64(a), runtime::VMVal::from_u64(b) };
    auto outcome = compile::invoke_export(*pair.instance, StringView(name), Span<const runtime::VMVal>(values, 2));
    if (outcome.is_error())
        return std::string("error ") + outcome.error().message();
    if (outcome->trap) {
        std::string text = "trap " + std::to_string(static_cast<u32>(outcome->trap->kind)) + " at";
        for (u32 function : outcome->backtrace)
            text += " " + std::to_string(function);
        return text;
    }
    std::string text;
    for (const runtime::VMVal& value : outcome->results)
        text += std::to_string(value.u64_value()) + " ";
    return text;
}

// `call rel32` instructions in `caller`'s code whose target is `callee`'s entry.
u32 direct_calls(const compile::CompiledModule& compiled, u32 caller, u32 callee)
{
    const compile::CodeObject& code = *compiled.code;
    auto target = reinterpret_cast<uptr>(compiled.module->entries_of(callee).native_code);
    u32 count = 0;
    for (usize offset = 0; offset + 5 <= code.size(); ++offset) {
        const u8* p = code.base() + offset;
        if (p[0] != 0xE8)
            continue;
        i32 rel = static_cast<i32>(u32 { p[1] } | u32 { p[2] } << 8 | u32 { p[3] } << 16 | u32 { p[4] } << 24);
        if (reinterpret_cast<uptr>(p + 5) + static_cast<uptr>(static_cast<i64>(rel)) != target)
            continue;
        if (code.function_at(reinterpret_cast<uptr>(p)) == caller)
            ++count;
    }
    return count;
}

} // namespace

TEST(DirectDispatch, FuncrefsOfEveryOriginAgreeWithTheBaselineInEveryTier)
{
    auto baseline = instantiate(compile::Tier::Baseline);
    auto optimized = instantiate(compile::Tier::Optimized);
    auto tiered = instantiate(compile::Tier::Tiered);
    ASSERT_TRUE(baseline && optimized && tiered);
    struct Call {
        const char* name;
        u64 a;
        u64 b;
    };
    std::vector<Call> calls;
    // Candidates, the import, a type mismatch, null entries, out of bounds; a trap in a
    // candidate ($d with 7), whose backtrace must name $d and the caller.
    for (u64 i = 0; i < 9; ++i) {
        calls.push_back({ "own", i, 0x1234'5678'9abc'def0 });
        calls.push_back({ "own", i, 5 });
        calls.push_back({ "many", i, 40 });
        calls.push_back({ "ref", i, 77 });
    }
    calls.push_back({ "own", 3, 7 });
    calls.push_back({ "own", 0xFFFF'FFFF, 1 });
    calls.push_back({ "ref", 1, 7 });
    // Another instance's functions through its table: the transfer.
    for (u64 i = 0; i < 3; ++i)
        calls.push_back({ "shared", i, 99 });
    calls.push_back({ "loop", 1000, 1 });
    calls.push_back({ "loop", 1, 0xdead'beef });
    // Twice: the second round runs the tiered module's optimised code.
    for (u32 round = 0; round < 2; ++round) {
        for (const Call& call : calls) {
            std::string expected = run(*baseline, call.name, call.a, call.b);
            EXPECT_EQ(run(*optimized, call.name, call.a, call.b), expected) << call.name << " " << call.a;
            EXPECT_EQ(run(*tiered, call.name, call.a, call.b), expected) << call.name << " " << call.a << " tiered";
        }
    }
    // The trap inside a directly called candidate: $d (4) under "own" (15), and $d under "ref" (18).
    std::string unreachable = "trap " + std::to_string(static_cast<u32>(TrapKind::Unreachable)) + " at ";
    EXPECT_EQ(run(*optimized, "own", 3, 7), unreachable + "4 15");
    EXPECT_EQ(run(*optimized, "ref", 1, 7), unreachable + "4 18");
    EXPECT_EQ(run(*optimized, "shared", 2, 0), "trap " + std::to_string(static_cast<u32>(TrapKind::UndefinedElement)) + " at 16");

    // Code shape: the optimised "own" (function 15), "ref" (18) and "loop" (19) call
    // each candidate of $t ($a..$d: 1-4) directly, the import (0) never; "many" (17), with
    // nine candidates, calls none of them directly; the baseline calls nothing directly.
    const compile::CompiledModule& code = optimized->main;
    for (u32 caller : { 15u, 18u, 19u }) {
        for (u32 callee = 1; callee <= 4; ++callee)
            EXPECT_EQ(direct_calls(code, caller, callee), 1u) << caller << " -> " << callee;
    }
    for (u32 callee = 6; callee <= 14; ++callee)
        EXPECT_EQ(direct_calls(code, 17, callee), 0u) << callee;
    for (u32 callee = 1; callee <= 4; ++callee)
        EXPECT_EQ(direct_calls(baseline->main, 15, callee), 0u) << callee;
    static_assert(x64::opt::kMaxDirectTargets < 9, "\"many\" must exceed the limit");
}

} // namespace wk::engine::opt
