#include "tests/unit/opt/codegen_harness.h"

#include <gtest/gtest.h>

#include "engine/runtime/linker.h"
#include "engine/text/wat.h"

namespace wk::engine::opt {

std::unique_ptr<TieredInstance> instantiate_tiered(const std::string& wat, bool optimized, bool baseline_isa)
{
    auto tiered = std::make_unique<TieredInstance>();
    auto bytes = text::wat_to_wasm(StringView(wat.data(), wat.size()));
    EXPECT_FALSE(bytes.is_error()) << bytes.error().message();
    if (bytes.is_error())
        return nullptr;
    compile::CompileOptions options;
    options.tier = optimized ? compile::Tier::Optimized : compile::Tier::Baseline;
    options.baseline_isa = baseline_isa;
    auto compiled = compile::load_and_compile(bytes.release_value(), Features {}, options, &tiered->statistics);
    EXPECT_FALSE(compiled.is_error()) << compiled.error().message();
    if (compiled.is_error())
        return nullptr;
    tiered->compiled = compiled.release_value();
    tiered->store = MUST(runtime::Store::create());
    runtime::Linker linker;
    auto instance = tiered->store->instantiate(*tiered->compiled.module, linker);
    EXPECT_FALSE(instance.is_error()) << instance.error().message();
    if (instance.is_error())
        return nullptr;
    tiered->instance = instance.release_value();
    return tiered;
}

TierPair instantiate_both(const std::string& wat)
{
    return TierPair { instantiate_tiered(wat, false), instantiate_tiered(wat, true) };
}

Result<compile::CallOutcome> invoke_u64(TieredInstance& tiered, const std::string& name, const std::vector<u64>& args)
{
    std::vector<runtime::VMVal> values;
    for (u64 a : args)
        values.push_back(runtime::VMVal::from_u64(a));
    return compile::invoke_export(*tiered.instance, StringView(name.data(), name.size()),
                                  Span<const runtime::VMVal>(values.data(), values.size()));
}

std::string trap_text(TrapKind kind) { return "trap " + std::to_string(static_cast<u32>(kind)); }

std::string run_text(TieredInstance& tiered, const std::string& name, const std::vector<u64>& args)
{
    auto outcome = invoke_u64(tiered, name, args);
    if (outcome.is_error())
        return std::string("error ") + outcome.error().message();
    if (outcome->trap)
        return trap_text(outcome->trap->kind);
    std::string text;
    for (const runtime::VMVal& value : outcome->results)
        text += std::to_string(value.u64_value()) + " ";
    return text;
}

} // namespace wk::engine::opt
