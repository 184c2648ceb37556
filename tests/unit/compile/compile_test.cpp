#include <gtest/gtest.h>

#include "engine/compile/code_object.h"
#include "engine/compile/compiled_module.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/spectest.h"
#include "engine/runtime/store.h"
#include "engine/text/wat.h"
#include "tests/unit/compile/session.h"

using namespace wk;
using namespace wk::engine;
using namespace wk::engine::test_session;
using runtime::VMVal;

namespace {

i32 call_i32(Session& session, const char* name, std::initializer_list<VMVal> args)
{
    return static_cast<i32>(call_i64(session, name, args));
}

TrapKind call_trap(Session& session, const char* name, std::initializer_list<VMVal> args)
{
    auto outcome = call(session, name, args);
    return outcome.trap ? outcome.trap->kind : TrapKind::None;
}

} // namespace

TEST(Compile, AddAndConstants)
{
    auto s = instantiate(R"wat((module
        (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
        (func (export "k") (result i64) i64.const 0x123456789 i64.const 1 i64.add)))wat");
    ASSERT_TRUE(s);
    EXPECT_EQ(call_i32(*s, "add", { VMVal::from_i32(2), VMVal::from_i32(40) }), 42);
    EXPECT_EQ(call_i32(*s, "add", { VMVal::from_i32(-1), VMVal::from_i32(1) }), 0);
    EXPECT_EQ(call_i64(*s, "k", {}), 0x12345678A);
}

TEST(Compile, IntegerTraps)
{
    auto s = instantiate(R"wat((module
        (func (export "div_s") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
        (func (export "rem_s") (param i32 i32) (result i32) local.get 0 local.get 1 i32.rem_s)
        (func (export "div_u64") (param i64 i64) (result i64) local.get 0 local.get 1 i64.div_u)
        (func (export "div_s64") (param i64 i64) (result i64) local.get 0 local.get 1 i64.div_s)
        (func (export "rem_s64") (param i64 i64) (result i64) local.get 0 local.get 1 i64.rem_s)
        (func (export "boom") unreachable)))wat");
    ASSERT_TRUE(s);
    EXPECT_EQ(call_i32(*s, "div_s", { VMVal::from_i32(-7), VMVal::from_i32(2) }), -3);
    EXPECT_EQ(call_i32(*s, "rem_s", { VMVal::from_i32(-7), VMVal::from_i32(2) }), -1);
    EXPECT_EQ(call_trap(*s, "div_s", { VMVal::from_i32(1), VMVal::from_i32(0) }), TrapKind::IntegerDivideByZero);
    EXPECT_EQ(call_trap(*s, "div_s", { VMVal::from_i32(INT32_MIN), VMVal::from_i32(-1) }), TrapKind::IntegerOverflow);
    EXPECT_EQ(call_i32(*s, "rem_s", { VMVal::from_i32(INT32_MIN), VMVal::from_i32(-1) }), 0);
    EXPECT_EQ(call_trap(*s, "div_u64", { VMVal::from_i64(1), VMVal::from_i64(0) }), TrapKind::IntegerDivideByZero);
    EXPECT_EQ(call_i64(*s, "div_u64", { VMVal::from_i64(-1), VMVal::from_i64(2) }), INT64_MAX);
    EXPECT_EQ(call_trap(*s, "div_s64", { VMVal::from_i64(INT64_MIN), VMVal::from_i64(-1) }), TrapKind::IntegerOverflow);
    EXPECT_EQ(call_i64(*s, "rem_s64", { VMVal::from_i64(INT64_MIN), VMVal::from_i64(-1) }), 0);
    auto outcome = call(*s, "boom", {});
    ASSERT_TRUE(outcome.trap);
    EXPECT_EQ(outcome.trap->kind, TrapKind::Unreachable);
    ASSERT_EQ(outcome.backtrace.size(), 1u);
    EXPECT_EQ(outcome.backtrace[0], 5u);
}

TEST(Compile, BitsAndShifts)
{
    auto s = instantiate(R"wat((module
        (func (export "clz") (param i32) (result i32) local.get 0 i32.clz)
        (func (export "ctz64") (param i64) (result i64) local.get 0 i64.ctz)
        (func (export "popcnt") (param i32) (result i32) local.get 0 i32.popcnt)
        (func (export "shl") (param i32 i32) (result i32) local.get 0 local.get 1 i32.shl)
        (func (export "rotr64") (param i64 i64) (result i64) local.get 0 local.get 1 i64.rotr)
        (func (export "shr_s_k") (param i32) (result i32) local.get 0 i32.const 33 i32.shr_s)
        (func (export "lt_u") (param i32 i32) (result i32) local.get 0 local.get 1 i32.lt_u)
        (func (export "ge_s64") (param i64 i64) (result i32) local.get 0 local.get 1 i64.ge_s)
        (func (export "ext8") (param i32) (result i32) local.get 0 i32.extend8_s)
        (func (export "wrap") (param i64) (result i32) local.get 0 i32.wrap_i64)
        (func (export "extend_s") (param i32) (result i64) local.get 0 i64.extend_i32_s)
        (func (export "extend_u") (param i32) (result i64) local.get 0 i64.extend_i32_u)))wat");
    ASSERT_TRUE(s);
    EXPECT_EQ(call_i32(*s, "clz", { VMVal::from_i32(0) }), 32);
    EXPECT_EQ(call_i32(*s, "clz", { VMVal::from_i32(1) }), 31);
    EXPECT_EQ(call_i64(*s, "ctz64", { VMVal::from_i64(0) }), 64);
    EXPECT_EQ(call_i64(*s, "ctz64", { VMVal::from_i64(0x100) }), 8);
    EXPECT_EQ(call_i32(*s, "popcnt", { VMVal::from_i32(-1) }), 32);
    EXPECT_EQ(call_i32(*s, "shl", { VMVal::from_i32(1), VMVal::from_i32(33) }), 2);
    EXPECT_EQ(call_i64(*s, "rotr64", { VMVal::from_i64(1), VMVal::from_i64(1) }), INT64_MIN);
    EXPECT_EQ(call_i32(*s, "shr_s_k", { VMVal::from_i32(-8) }), -4);
    EXPECT_EQ(call_i32(*s, "lt_u", { VMVal::from_i32(1), VMVal::from_i32(-1) }), 1);
    EXPECT_EQ(call_i32(*s, "ge_s64", { VMVal::from_i64(-1), VMVal::from_i64(1) }), 0);
    EXPECT_EQ(call_i32(*s, "ext8", { VMVal::from_i32(0x80) }), -128);
    EXPECT_EQ(call_i32(*s, "wrap", { VMVal::from_i64(0x1'0000'0005) }), 5);
    EXPECT_EQ(call_i64(*s, "extend_s", { VMVal::from_i32(-2) }), -2);
    EXPECT_EQ(call_i64(*s, "extend_u", { VMVal::from_i32(-2) }), 0xFFFF'FFFE);
}

TEST(Compile, ControlFlow)
{
    auto s = instantiate(R"wat((module
        (func $fac (export "fac") (param i64) (result i64)
          local.get 0 i64.eqz
          if (result i64) i64.const 1
          else local.get 0 local.get 0 i64.const 1 i64.sub call $fac i64.mul end)
        (func (export "sum") (param i32) (result i32) (local i32)
          block loop
            local.get 0 i32.eqz br_if 1
            local.get 1 local.get 0 i32.add local.set 1
            local.get 0 i32.const 1 i32.sub local.set 0
            br 0
          end end
          local.get 1)
        (func (export "table") (param i32) (result i32)
          block block block block
            local.get 0 br_table 0 1 2 3
          end i32.const 10 return
          end i32.const 11 return
          end i32.const 12 return
          end i32.const 13)
        (func (export "br_value") (param i32) (result i32)
          block (result i32)
            i32.const 7 local.get 0 br_if 0 drop i32.const 8
          end)
        (func (export "params") (param i32) (result i32)
          local.get 0 i32.const 2
          block (param i32 i32) (result i32) i32.add end
          local.get 0
          if (param i32) (result i32) i32.const 100 i32.add end)
        (func (export "else_params") (param i32 i32) (result i32)
          local.get 1 local.get 0
          if (param i32) (result i32) i32.const 1 i32.add else i32.const -1 i32.add end)
        (func $pair (result i32 i64) i32.const 3 i64.const 4)
        (func (export "multi") (result i64) (local i64) call $pair local.set 0 i64.extend_i32_u local.get 0 i64.add)
        (func (export "multi_export") (result i32 i64 i32) i32.const 1 i64.const 2 i32.const 3)
        (func (export "select") (param i32) (result i64) i64.const 5 i64.const 6 local.get 0 select)
        (func (export "loop_params") (result i32) (local i32)
          i32.const 0
          loop (param i32) (result i32)
            i32.const 1 i32.add local.tee 0
            local.get 0 i32.const 10 i32.lt_u br_if 0
          end)
        (func (export "stack_args") (param i32 i64 i32 i64 i32 i64 i32 i64) (result i64)
          local.get 7 local.get 6 i64.extend_i32_u i64.add local.get 5 i64.add)
        (func (export "call_stack_args") (result i64)
          i32.const 1 i64.const 2 i32.const 3 i64.const 4 i32.const 5 i64.const 6 i32.const 7 i64.const 8
          call 11)))wat");
    ASSERT_TRUE(s);
    EXPECT_EQ(call_i64(*s, "fac", { VMVal::from_i64(20) }), 2432902008176640000);
    EXPECT_EQ(call_i32(*s, "sum", { VMVal::from_i32(100) }), 5050);
    EXPECT_EQ(call_i32(*s, "table", { VMVal::from_i32(0) }), 10);
    EXPECT_EQ(call_i32(*s, "table", { VMVal::from_i32(2) }), 12);
    EXPECT_EQ(call_i32(*s, "table", { VMVal::from_i32(7) }), 13);
    EXPECT_EQ(call_i32(*s, "br_value", { VMVal::from_i32(1) }), 7);
    EXPECT_EQ(call_i32(*s, "br_value", { VMVal::from_i32(0) }), 8);
    EXPECT_EQ(call_i32(*s, "params", { VMVal::from_i32(1) }), 103);
    EXPECT_EQ(call_i32(*s, "params", { VMVal::from_i32(0) }), 2);
    EXPECT_EQ(call_i32(*s, "else_params", { VMVal::from_i32(1), VMVal::from_i32(10) }), 11);
    EXPECT_EQ(call_i32(*s, "else_params", { VMVal::from_i32(0), VMVal::from_i32(10) }), 9);
    EXPECT_EQ(call_i64(*s, "multi", {}), 7);
    auto multi = call(*s, "multi_export", {});
    ASSERT_EQ(multi.results.size(), 3u);
    EXPECT_EQ(multi.results[0], VMVal::from_i32(1));
    EXPECT_EQ(multi.results[1], VMVal::from_i64(2));
    EXPECT_EQ(multi.results[2], VMVal::from_i32(3));
    EXPECT_EQ(call_i64(*s, "select", { VMVal::from_i32(1) }), 5);
    EXPECT_EQ(call_i64(*s, "select", { VMVal::from_i32(0) }), 6);
    EXPECT_EQ(call_i64(*s, "call_stack_args", {}), 8 + 7 + 6);
    EXPECT_EQ(call_i32(*s, "loop_params", {}), 10);
}

TEST(Compile, MemoryAndGlobals)
{
    auto s = instantiate(R"wat((module
        (memory 1 3)
        (global $g (mut i64) (i64.const 40))
        (data (i32.const 8) "\01\02\03\04\05\06\07\08")
        (func (export "load8s") (param i32) (result i32) local.get 0 i32.load8_s offset=1)
        (func (export "load64") (param i32) (result i64) local.get 0 i64.load)
        (func (export "store") (param i32 i32) local.get 0 local.get 1 i32.store16)
        (func (export "load16u") (param i32) (result i32) local.get 0 i32.load16_u)
        (func (export "store_narrow") (param i32) local.get 0 i32.const 0x1ff i32.store8
          local.get 0 i64.const -1 i64.store16 offset=2)
        (func (export "load32u") (param i32) (result i32) local.get 0 i32.load)
        (func (export "size") (result i32) memory.size)
        (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
        (func (export "bump") (result i64) global.get $g i64.const 2 i64.add global.set $g global.get $g)))wat");
    ASSERT_TRUE(s);
    EXPECT_EQ(call_i64(*s, "load64", { VMVal::from_i32(8) }), 0x0807060504030201);
    EXPECT_EQ(call_i32(*s, "load8s", { VMVal::from_i32(65534) }), 0);
    call(*s, "store", { VMVal::from_i32(100), VMVal::from_i32(0x1FFFF) });
    EXPECT_EQ(call_i32(*s, "load16u", { VMVal::from_i32(100) }), 0xFFFF);
    EXPECT_EQ(call_trap(*s, "load8s", { VMVal::from_i32(65535) }), TrapKind::MemoryOutOfBounds);
    EXPECT_EQ(call_trap(*s, "load64", { VMVal::from_i32(-1) }), TrapKind::MemoryOutOfBounds);
    EXPECT_EQ(call_trap(*s, "store", { VMVal::from_i32(65535), VMVal::from_i32(1) }), TrapKind::MemoryOutOfBounds);
    // Constant stores narrower than 32 bits keep the low bits (found by fuzzing).
    call(*s, "store_narrow", { VMVal::from_i32(200) });
    EXPECT_EQ(call_i32(*s, "load32u", { VMVal::from_i32(200) }), static_cast<i32>(0xFFFF00FF));
    EXPECT_EQ(call_i32(*s, "size", {}), 1);
    EXPECT_EQ(call_i32(*s, "grow", { VMVal::from_i32(1) }), 1);
    EXPECT_EQ(call_i32(*s, "size", {}), 2);
    EXPECT_EQ(call_i32(*s, "load8s", { VMVal::from_i32(65535) }), 0);
    EXPECT_EQ(call_i32(*s, "grow", { VMVal::from_i32(5) }), -1);
    EXPECT_EQ(call_i64(*s, "bump", {}), 42);
    EXPECT_EQ(call_i64(*s, "bump", {}), 44);
}

TEST(Compile, Memory64ChecksExplicitly)
{
    auto s = instantiate(R"wat((module
        (memory i64 1)
        (func (export "load") (param i64) (result i32) local.get 0 i32.load offset=4)
        (func (export "store") (param i64 i32) local.get 0 local.get 1 i32.store)))wat");
    ASSERT_TRUE(s);
    call(*s, "store", { VMVal::from_i64(65532), VMVal::from_i32(77) });
    EXPECT_EQ(call_i32(*s, "load", { VMVal::from_i64(65528) }), 77);
    EXPECT_EQ(call_trap(*s, "load", { VMVal::from_i64(65529) }), TrapKind::MemoryOutOfBounds);
    EXPECT_EQ(call_trap(*s, "load", { VMVal::from_i64(-4) }), TrapKind::MemoryOutOfBounds);
    EXPECT_EQ(call_trap(*s, "store", { VMVal::from_i64(1ll << 40), VMVal::from_i32(1) }), TrapKind::MemoryOutOfBounds);
}

TEST(Compile, IndirectCallsAndStackExhaustion)
{
    auto s = instantiate(R"wat((module
        (type $ii (func (param i32) (result i32)))
        (type $v (func))
        (table 4 funcref)
        (elem (i32.const 0) $double $nothing)
        (func $double (type $ii) local.get 0 i32.const 2 i32.mul)
        (func $nothing (type $v))
        (func (export "call") (param i32 i32) (result i32) local.get 1 local.get 0 call_indirect (type $ii))
        (func $forever (export "forever") (param i32) (result i32) local.get 0 call $forever)
        (func $count (export "count") (param i64 i64) (result i64)
          local.get 0 i64.eqz if (result i64) local.get 1
          else local.get 0 i64.const 1 i64.sub local.get 1 i64.const 1 i64.add return_call $count end)
        (func (export "tail_indirect") (param i32) (result i32) local.get 0 i32.const 0 return_call_indirect (type $ii))))wat");
    ASSERT_TRUE(s);
    EXPECT_EQ(call_i32(*s, "call", { VMVal::from_i32(0), VMVal::from_i32(21) }), 42);
    EXPECT_EQ(call_trap(*s, "call", { VMVal::from_i32(1), VMVal::from_i32(0) }), TrapKind::IndirectCallTypeMismatch);
    EXPECT_EQ(call_trap(*s, "call", { VMVal::from_i32(2), VMVal::from_i32(0) }), TrapKind::UninitializedElement);
    EXPECT_EQ(call_trap(*s, "call", { VMVal::from_i32(4), VMVal::from_i32(0) }), TrapKind::UndefinedElement);
    EXPECT_EQ(call_trap(*s, "call", { VMVal::from_i32(-1), VMVal::from_i32(0) }), TrapKind::UndefinedElement);
    EXPECT_EQ(call_trap(*s, "forever", { VMVal::from_i32(0) }), TrapKind::StackExhausted);
    // A million tail calls run in constant stack.
    EXPECT_EQ(call_i64(*s, "count", { VMVal::from_i64(1000000), VMVal::from_i64(0) }), 1000000);
    EXPECT_EQ(call_i32(*s, "tail_indirect", { VMVal::from_i32(5) }), 10);
}

namespace {

u64 g_host_calls = 0;

void host_add_array(runtime::VMContext*, VMVal* values)
{
    ++g_host_calls;
    values[0] = VMVal::from_i64(values[0].i64_value() + values[1].i32_value());
}

i64 host_add_native(runtime::VMContext*, i64 a, i32 b)
{
    ++g_host_calls;
    return a + b;
}

} // namespace

TEST(Compile, HostImports)
{
    for (bool native : { false, true }) {
        auto session = std::make_unique<Session>();
        session->store = MUST(runtime::Store::create());
        ValType params[] = { ValType::i64(), ValType::i32() };
        ValType results[] = { ValType::i64() };
        u32 type_id = MUST(session->store->types().intern_function(Span<const ValType>(params, 2), Span<const ValType>(results, 1)));
        auto* function = MUST(session->store->create_host_function(type_id, host_add_array,
                                                                   native ? reinterpret_cast<const void*>(&host_add_native) : nullptr));
        MUST(session->linker.define(StringView("host"), StringView("add"), runtime::Extern::from(function)));
        const char* wat = R"wat((module
            (import "host" "add" (func $add (param i64 i32) (result i64)))
            (table 1 funcref) (elem (i32.const 0) $add)
            (func (export "twice") (param i64) (result i64)
              local.get 0 i32.const 1 call $add i32.const 2 call $add)
            (func (export "indirect") (param i64) (result i64)
              local.get 0 i32.const 3 i32.const 0 call_indirect (param i64 i32) (result i64))))wat";
        auto wasm = MUST(text::wat_to_wasm(StringView(wat, __builtin_strlen(wat))));
        session->compiled = MUST(compile::load_and_compile(std::move(wasm)));
        session->instance = MUST(session->store->instantiate(*session->compiled.module, session->linker));
        g_host_calls = 0;
        EXPECT_EQ(call_i64(*session, "twice", { VMVal::from_i64(10) }), 13);
        EXPECT_EQ(call_i64(*session, "indirect", { VMVal::from_i64(10) }), 13);
        EXPECT_EQ(g_host_calls, 3u);
    }
}

TEST(Compile, CustomDescriptorInstructionsCompile)
{
    // The last proposal the baseline refused: its instructions now compile and run.
    auto session = instantiate(R"wat((module (rec (type $a (descriptor $b) (struct)) (type $b (describes $a) (struct)))
        (func (export "f") (drop (ref.get_desc $a (ref.null $a))))))wat");
    ASSERT_TRUE(session);
    auto outcome = call(*session, "f", {});
    ASSERT_TRUE(outcome.trap.has_value());
    EXPECT_EQ(outcome.trap->kind, TrapKind::NullReference);
}

TEST(Compile, DeepNestingOverDeepStack)
{
    // 20000 values on the stack, then 20000 nested blocks each with a br_table: linear
    // work for the compiler (spills start at the spilled watermark, stubs are deduped).
    std::string wat = "(module (func (export \"f\") (result i32)";
    for (int i = 0; i < 20000; ++i)
        wat += " i32.const 1";
    wat += " block";
    for (int i = 0; i < 20000; ++i)
        wat += " block i32.const 0 br_table 0 1";
    for (int i = 0; i <= 20000; ++i)
        wat += " end";
    for (int i = 0; i < 19999; ++i)
        wat += " i32.add";
    wat += "))";
    auto parsed = text::wat_to_wasm(StringView(wat.data(), wat.size()));
    ASSERT_FALSE(parsed.is_error()) << parsed.error().message();
    auto session = std::make_unique<Session>();
    auto compiled = compile::load_and_compile(parsed.release_value());
    ASSERT_FALSE(compiled.is_error()) << compiled.error().message() << " at " << compiled.error().offset();
    session->compiled = compiled.release_value();
    session->store = MUST(runtime::Store::create());
    session->instance = MUST(session->store->instantiate(*session->compiled.module, session->linker));
    EXPECT_EQ(call_i32(*session, "f", {}), 20000);
}

TEST(Compile, DelegatesPastDeepNesting)
{
    // 20000 try/delegate blocks inside 20000 nested blocks, each delegating past all of
    // them to the outer try: its catch takes the first one's exception. (Each delegate
    // finds its target in O(1): Control::outer_handler.)
    std::string wat = "(module (tag $t (param i32)) (func $thr (throw $t (i32.const 7)))"
                      " (func (export \"f\") (result i32) try (result i32)";
    for (int i = 0; i < 20000; ++i)
        wat += " block";
    for (int i = 0; i < 20000; ++i)
        wat += " try call $thr delegate 20000";
    for (int i = 0; i < 20000; ++i)
        wat += " end";
    wat += " i32.const 0 catch $t end))";
    auto parsed = text::wat_to_wasm(StringView(wat.data(), wat.size()));
    ASSERT_FALSE(parsed.is_error()) << parsed.error().message();
    auto session = std::make_unique<Session>();
    auto compiled = compile::load_and_compile(parsed.release_value());
    ASSERT_FALSE(compiled.is_error()) << compiled.error().message() << " at " << compiled.error().offset();
    session->compiled = compiled.release_value();
    session->store = MUST(runtime::Store::create());
    session->instance = MUST(session->store->instantiate(*session->compiled.module, session->linker));
    EXPECT_EQ(call_i32(*session, "f", {}), 7);
}

TEST(Compile, SimdBasics)
{
    auto s = instantiate(R"wat((module
        (memory 1)
        (func (export "add") (param i32 i32) (result i32)
          local.get 0 i32x4.splat (v128.const i32x4 1 2 3 4) i32x4.add
          local.get 1 i32x4.splat i32x4.mul
          i32x4.extract_lane 3)
        (func (export "roundtrip") (result i64)
          i32.const 16 (v128.const i32x4 7 0 0x23456789 1) v128.store
          i32.const 16 v128.load v128.not v128.not i64x2.extract_lane 1)
        (func (export "any") (param i64) (result i32) local.get 0 i64x2.splat v128.any_true)
        (func (export "oob") (param i32) (result i32) local.get 0 v128.load i32x4.extract_lane 0)
        (func (export "splat8") (param i32) (result i32) local.get 0 v128.load8_splat i8x16.extract_lane_u 15)))wat");
    ASSERT_TRUE(s);
    EXPECT_EQ(call_i32(*s, "add", { VMVal::from_i32(10), VMVal::from_i32(3) }), 42);
    EXPECT_EQ(call_i64(*s, "roundtrip", {}), 0x123456789);
    EXPECT_EQ(call_i32(*s, "any", { VMVal::from_i64(0) }), 0);
    EXPECT_EQ(call_i32(*s, "any", { VMVal::from_i64(1ll << 40) }), 1);
    EXPECT_EQ(call_trap(*s, "oob", { VMVal::from_i32(65521) }), TrapKind::MemoryOutOfBounds);
    EXPECT_EQ(call_i32(*s, "oob", { VMVal::from_i32(65520) }), 0);
    // The trap-table entry must name the access itself (a load8_splat once recorded
    // the instruction before it, and the fault was not a trap).
    EXPECT_EQ(call_trap(*s, "splat8", { VMVal::from_i32(65536) }), TrapKind::MemoryOutOfBounds);
    EXPECT_EQ(call_i32(*s, "splat8", { VMVal::from_i32(16) }), 7);
}

TEST(Compile, BacktraceListsTheWasmFrames)
{
    auto s = instantiate(R"wat((module
        (import "spectest" "print" (func $print))
        (memory 1)
        (func $inner (param i32) (result i32) local.get 0 i32.load)
        (func $middle (param i32) (result i32) local.get 0 call $inner i32.const 1 i32.add)
        (func (export "outer") (param i32) (result i32) local.get 0 call $middle)))wat");
    ASSERT_TRUE(s);
    auto outcome = call(*s, "outer", { VMVal::from_i32(70000) });
    ASSERT_TRUE(outcome.trap);
    EXPECT_EQ(outcome.trap->kind, TrapKind::MemoryOutOfBounds);
    // Function indices, innermost first (index 0 is the import).
    ASSERT_EQ(outcome.backtrace.size(), 3u);
    EXPECT_EQ(outcome.backtrace[0], 1u);
    EXPECT_EQ(outcome.backtrace[1], 2u);
    EXPECT_EQ(outcome.backtrace[2], 3u);
}

TEST(CodeObject, HandlerAtFindsTheInnermostRangeAroundAnOffset)
{
    // [0,100) holds [0,40) (which holds [10,20) and [25,30)) and [50,90) (which holds
    // [60,70)); sorted by start, outer first on a tie. The landing names the range.
    u8 code[128];
    __builtin_memset(code, 0xcc, sizeof(code));
    compile::HandlerEntry handlers[] = { { 0, 100, 1, 0 }, { 0, 40, 2, 0 }, { 10, 20, 3, 0 },
                                         { 25, 30, 4, 0 }, { 50, 90, 5, 0 }, { 60, 70, 6, 0 } };
    compile::LinkInput input;
    input.code = ReadonlyBytes(code, sizeof(code));
    input.handlers = Span<const compile::HandlerEntry>(handlers, 6);
    auto object = MUST(compile::CodeObject::link(input));
    auto landing = [&](u32 offset) -> u32 {
        auto handler = object->handler_at(reinterpret_cast<uptr>(object->base()) + offset);
        return handler ? handler->landing : 0;
    };
    EXPECT_EQ(landing(0), 2u);
    EXPECT_EQ(landing(15), 3u);
    EXPECT_EQ(landing(20), 2u);
    EXPECT_EQ(landing(27), 4u);
    EXPECT_EQ(landing(35), 2u);
    EXPECT_EQ(landing(45), 1u); // past [0,40) and its children: climbs two levels
    EXPECT_EQ(landing(65), 6u);
    EXPECT_EQ(landing(75), 5u);
    EXPECT_EQ(landing(95), 1u);
    EXPECT_EQ(landing(100), 0u);
    EXPECT_EQ(landing(127), 0u);
}
