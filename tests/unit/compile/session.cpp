#include "tests/unit/compile/session.h"

#include <gtest/gtest.h>

#include <ctime>

#include "engine/compile/code_object.h"
#include "engine/compile/tier_up.h"
#include "engine/runtime/spectest.h"
#include "engine/text/wat.h"

namespace wk::engine::test_session {

std::unique_ptr<Session> instantiate(const std::string& wat, const compile::CompileOptions& options,
                                     const runtime::RuntimeLimits& limits)
{
    auto session = std::make_unique<Session>();
    auto wasm = text::wat_to_wasm(StringView(wat.data(), wat.size()));
    EXPECT_FALSE(wasm.is_error()) << wasm.error().message();
    if (wasm.is_error())
        return nullptr;
    auto compiled = compile::load_and_compile(wasm.release_value(), Features {}, options, &session->statistics);
    EXPECT_FALSE(compiled.is_error()) << compiled.error().message() << " at " << compiled.error().offset();
    if (compiled.is_error())
        return nullptr;
    session->compiled = compiled.release_value();
    session->store = MUST(runtime::Store::create(limits));
    MUST(runtime::define_spectest(*session->store, session->linker));
    auto instance = session->store->instantiate(*session->compiled.module, session->linker);
    EXPECT_FALSE(instance.is_error()) << instance.error().message();
    if (instance.is_error())
        return nullptr;
    session->instance = instance.release_value();
    return session;
}

compile::CallOutcome call(Session& session, const char* name, std::initializer_list<runtime::VMVal> args)
{
    auto outcome = compile::invoke_export(*session.instance, StringView(name, __builtin_strlen(name)),
                                          Span<const runtime::VMVal>(args.begin(), args.size()));
    EXPECT_FALSE(outcome.is_error()) << outcome.error().message();
    return outcome.release_value();
}

i64 call_i64(Session& session, const char* name, std::initializer_list<runtime::VMVal> args)
{
    auto outcome = call(session, name, args);
    EXPECT_FALSE(outcome.trap.has_value()) << trap_message(outcome.trap->kind);
    EXPECT_EQ(outcome.results.size(), 1u);
    return outcome.results.is_empty() ? 0 : outcome.results[0].i64_value();
}

compile::CompiledModule compile_wat(StringView wat, const compile::CompileOptions& options)
{
    auto wasm = text::wat_to_wasm(wat);
    EXPECT_FALSE(wasm.is_error()) << wasm.error().message();
    if (wasm.is_error())
        return {};
    auto compiled = compile::load_and_compile(wasm.release_value(), Features {}, options);
    EXPECT_FALSE(compiled.is_error()) << compiled.error().message();
    if (compiled.is_error())
        return {};
    return compiled.release_value();
}

void instantiate(TierSession& session, const compile::CompiledModule& compiled)
{
    ASSERT_TRUE(compiled.module);
    if (!session.store)
        session.store = MUST(runtime::Store::create());
    auto instance = session.store->instantiate(*compiled.module, session.linker);
    ASSERT_FALSE(instance.is_error()) << instance.error().message();
    session.instance = instance.release_value();
}

void instantiate(TierSession& session, StringView wat, const compile::CompileOptions& options)
{
    session.compiled = compile_wat(wat, options);
    instantiate(session, session.compiled);
}

compile::CallOutcome call(runtime::Instance& instance, const char* name, std::initializer_list<runtime::VMVal> args)
{
    auto outcome = compile::invoke_export(instance, StringView(name, __builtin_strlen(name)),
                                          Span<const runtime::VMVal>(args.begin(), args.size()));
    EXPECT_FALSE(outcome.is_error()) << outcome.error().message();
    return outcome.release_value();
}

bool in_later_code(const compile::CompiledModule& compiled, uptr pc)
{
    const compile::CodeObject* object = compile::CodeObject::find(pc);
    return object && object != compiled.code.get();
}

bool wait_idle(compile::TierUpManager& manager)
{
    for (int i = 0; i < 10'000; ++i) {
        if (manager.idle())
            return true;
        timespec pause { 0, 1'000'000 };
        nanosleep(&pause, nullptr);
    }
    return manager.idle();
}

} // namespace wk::engine::test_session
