// The engine path of the kernel's direct calls (docs/kernel-objects.md, "Direct calls"): host
// code called from one store's wasm invokes a function of *another* store's instance on the
// same thread, in a nested activation. Results come back; a trap or stack exhaustion in the
// inner instance lands at the inner activation only, and the outer wasm code runs on.
#include <gtest/gtest.h>

#include "engine/compile/compiled_module.h"
#include "engine/runtime/host_function.h"
#include "engine/runtime/instance.h"
#include "engine/runtime/invoke.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/store.h"
#include "engine/text/wat.h"

using namespace wk;
using namespace wk::engine;
using runtime::VMVal;

namespace {

constexpr const char* kService = R"((module
  (global $calls (mut i64) (i64.const 0))
  (func (export "add") (param i64 i64) (result i64)
    (global.set $calls (i64.add (global.get $calls) (i64.const 1)))
    (i64.add (local.get 0) (local.get 1)))
  (func (export "boom") (result i64) unreachable)
  (func $deep (export "deep") (param i32) (result i64)
    (i64.add (call $deep (i32.add (local.get 0) (i32.const 1))) (i64.const 1)))
  (func (export "calls") (result i64) (global.get $calls)))
)";

// run(which) = xcall(which) + 1000: the outer code goes on after the nested call.
constexpr const char* kClient = R"((module
  (import "host" "xcall" (func $xcall (param i32) (result i64)))
  (func (export "run") (param i32) (result i64)
    (i64.add (call $xcall (local.get 0)) (i64.const 1000))))
)";

struct Service {
    runtime::Store* store { nullptr };
    runtime::Instance* instance { nullptr };
    TrapKind last_trap { TrapKind::None };
};

// which: 0 add(40, 2), 1 boom, 2 deep. A trap gives -1.
i64 xcall(runtime::VMContext* self, u32 which)
{
    auto& service = *static_cast<Service*>(runtime::HostFunction::from_vmctx(self).data());
    const char* names[] = { "add", "boom", "deep" };
    auto function = service.instance->get_export(StringView(names[which], __builtin_strlen(names[which])));
    VMVal values[2] = { VMVal::from_i64(40), VMVal::from_i64(2) };
    auto outcome = runtime::invoke(*service.store, *function->func, Span<VMVal>(values, 2));
    service.last_trap = outcome && outcome->trap ? outcome->trap->kind : TrapKind::None;
    return !outcome || outcome->trap ? -1 : values[0].i64_value();
}

void xcall_array(runtime::VMContext* self, VMVal* values) { values[0] = VMVal::from_i64(xcall(self, values[0].u32_value())); }

compile::CompiledModule compile_text(const char* wat)
{
    auto bytes = text::wat_to_wasm(StringView(wat, __builtin_strlen(wat)));
    EXPECT_FALSE(bytes.is_error());
    auto compiled = compile::load_and_compile(bytes.release_value());
    EXPECT_FALSE(compiled.is_error());
    return compiled.release_value();
}

struct NestedCall : ::testing::Test {
    void SetUp() override
    {
        service_compiled = compile_text(kService);
        service_store = MUST(runtime::Store::create());
        service_instance = MUST(service_store->instantiate(*service_compiled.module, service_linker));
        service = { service_store.get(), service_instance.get() };

        client_compiled = compile_text(kClient);
        client_store = MUST(runtime::Store::create());
        const ValType params[] = { ValType::i32() };
        const ValType results[] = { ValType::i64() };
        u32 type = MUST(client_store->types().intern_function(Span<const ValType>(params, 1), Span<const ValType>(results, 1)));
        auto* host = MUST(client_store->create_host_function(type, &xcall_array, reinterpret_cast<const void*>(&xcall), &service));
        MUST(client_linker.define("host", "xcall", runtime::Extern::from(host)));
        client_instance = MUST(client_store->instantiate(*client_compiled.module, client_linker));
    }

    compile::CallOutcome run(u32 which)
    {
        VMVal argument = VMVal::from_u32(which);
        return MUST(compile::invoke_export(*client_instance, "run", Span<const VMVal>(&argument, 1)));
    }

    i64 service_calls()
    {
        auto outcome = MUST(compile::invoke_export(*service_instance, "calls", {}));
        return outcome.results[0].i64_value();
    }

    compile::CompiledModule service_compiled, client_compiled;
    RefPtr<runtime::Store> service_store, client_store;
    runtime::Linker service_linker, client_linker;
    RefPtr<runtime::Instance> service_instance, client_instance;
    Service service;
};

} // namespace

TEST_F(NestedCall, ResultsComeBackAndStateStaysInTheInnerInstance)
{
    for (int i = 0; i < 3; ++i) {
        auto outcome = run(0);
        ASSERT_FALSE(outcome.trap.has_value());
        EXPECT_EQ(outcome.results[0].i64_value(), 1042);
    }
    EXPECT_EQ(service_calls(), 3);
}

TEST_F(NestedCall, AnInnerTrapEndsOnlyTheInnerActivation)
{
    auto outcome = run(1);
    ASSERT_FALSE(outcome.trap.has_value()); // the outer code ran on: -1 + 1000
    EXPECT_EQ(outcome.results[0].i64_value(), 999);
    EXPECT_EQ(service.last_trap, TrapKind::Unreachable);
    outcome = run(0); // and both instances still work
    ASSERT_FALSE(outcome.trap.has_value());
    EXPECT_EQ(outcome.results[0].i64_value(), 1042);
}

TEST_F(NestedCall, InnerStackExhaustionIsTheInnerCallsTrap)
{
    auto outcome = run(2);
    ASSERT_FALSE(outcome.trap.has_value());
    EXPECT_EQ(outcome.results[0].i64_value(), 999);
    EXPECT_EQ(service.last_trap, TrapKind::StackExhausted);
    EXPECT_EQ(run(0).results[0].i64_value(), 1042);
}
