// The tier boundary (engine/compile/tier.h): compile_module with Tier::Optimized must
// give the baseline's behaviour, with every function the optimising tier refuses
// compiled by the baseline and counted in CompileStatistics.

#include <gtest/gtest.h>

#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "engine/compile/compiled_module.h"
#include "engine/compile/tier.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/spectest.h"
#include "engine/runtime/store.h"
#include "engine/text/wat.h"
#include "engine/x64/baseline/baseline_compiler.h"
#include "tests/unit/compile/session.h"

using namespace wk;
using namespace wk::engine;
using namespace wk::engine::test_session;
using runtime::VMVal;

namespace {

// Plain code, calls (direct, indirect, to an import), memory, traps and two functions
// with try_table, which the optimising tier's builder refuses with its own reason.
const char* const kModule = R"wat((module
    (import "spectest" "print_i32" (func $print (param i32)))
    (type $binary (func (param i32 i32) (result i32)))
    (memory 1)
    (table 2 funcref)
    (elem (i32.const 0) $add $sub)
    (func $add (type $binary) local.get 0 local.get 1 i32.add)
    (func $sub (type $binary) local.get 0 local.get 1 i32.sub)
    (func (export "fib") (param i64) (result i64)
        local.get 0 i64.const 2 i64.lt_u
        if (result i64) local.get 0
        else
            local.get 0 i64.const 1 i64.sub call 3
            local.get 0 i64.const 2 i64.sub call 3 i64.add
        end)
    (func (export "sum") (param i32) (result i32) (local i32)
        block loop
            local.get 0 i32.eqz br_if 1
            local.get 1 local.get 0 i32.add local.set 1
            local.get 0 i32.const 1 i32.sub local.set 0
            br 0
        end end
        local.get 1)
    (func (export "indirect") (param i32 i32 i32) (result i32)
        local.get 1 local.get 2 local.get 0 call_indirect (type $binary))
    (func (export "memory") (param i32 i32) (result i32)
        local.get 0 local.get 1 i32.store offset=4
        local.get 0 i32.load offset=4 i32.const 3 i32.mul)
    (func (export "divide") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
    (func (export "print") (param i32) (result i32) local.get 0 call $print local.get 0 i32.const 1 i32.add)
    (func (export "lanes") (param i32) (result i32)
        try_table (result i32) local.get 0 local.get 0 i32.add end)
    (func (export "lanes2") (param i32) (result i32)
        try_table (result i32) local.get 0 end))
)wat";

class StringSink final : public FormatSink {
public:
    void write(StringView text) override { m_text.append(text.data(), text.size()); }
    const std::string& text() const { return m_text; }

private:
    std::string m_text;
};

// Results (as bits) or the trap kind of one call.
std::string run(Session& session, const char* name, std::initializer_list<VMVal> args)
{
    auto outcome = compile::invoke_export(*session.instance, StringView(name, std::strlen(name)),
                                          Span<const VMVal>(args.begin(), args.size()));
    EXPECT_FALSE(outcome.is_error()) << outcome.error().message();
    if (outcome.is_error())
        return "error";
    if (outcome.value().trap)
        return "trap " + std::to_string(static_cast<u32>(outcome.value().trap->kind));
    std::string text;
    for (const VMVal& value : outcome.value().results)
        text += std::to_string(value.i64_value()) + " ";
    return text;
}

compile::CompileOptions options_for(compile::Tier tier)
{
    compile::CompileOptions options;
    options.tier = tier;
    return options;
}

} // namespace

TEST(Tier, Names)
{
    EXPECT_EQ(compile::parse_tier("baseline"), compile::Tier::Baseline);
    EXPECT_EQ(compile::parse_tier("optimized"), compile::Tier::Optimized);
    EXPECT_EQ(compile::parse_tier("tiered"), compile::Tier::Tiered);
    EXPECT_FALSE(compile::parse_tier("tier").has_value());
    EXPECT_FALSE(compile::parse_tier("").has_value());
    EXPECT_EQ(compile::tier_name(compile::Tier::Optimized), "optimized");
    EXPECT_EQ(compile::tier_name(compile::Tier::Tiered), "tiered");
    EXPECT_EQ(compile::parse_tier_threshold("1"), 1);
    EXPECT_EQ(compile::parse_tier_threshold("2147483647"), 2147483647);
    EXPECT_FALSE(compile::parse_tier_threshold("0").has_value());
    EXPECT_FALSE(compile::parse_tier_threshold("2147483648").has_value());
    EXPECT_FALSE(compile::parse_tier_threshold("-5").has_value());
    EXPECT_FALSE(compile::parse_tier_threshold("").has_value());
}

TEST(Tier, OptimizedGivesTheBaselinesResultsAndCountsFallbacks)
{
    auto baseline = instantiate(kModule, options_for(compile::Tier::Baseline));
    auto optimized = instantiate(kModule, options_for(compile::Tier::Optimized));
    ASSERT_TRUE(baseline && optimized);

    struct Call {
        const char* name;
        std::initializer_list<VMVal> args;
    };
    const Call calls[] = {
        { "fib", { VMVal::from_i64(0) } },
        { "fib", { VMVal::from_i64(20) } },
        { "sum", { VMVal::from_i32(0) } },
        { "sum", { VMVal::from_i32(1000) } },
        { "indirect", { VMVal::from_i32(0), VMVal::from_i32(7), VMVal::from_i32(5) } },
        { "indirect", { VMVal::from_i32(1), VMVal::from_i32(7), VMVal::from_i32(5) } },
        { "indirect", { VMVal::from_i32(2), VMVal::from_i32(7), VMVal::from_i32(5) } },
        { "memory", { VMVal::from_i32(100), VMVal::from_i32(-9) } },
        { "memory", { VMVal::from_i32(65532), VMVal::from_i32(1) } },
        { "divide", { VMVal::from_i32(-7), VMVal::from_i32(2) } },
        { "divide", { VMVal::from_i32(1), VMVal::from_i32(0) } },
        { "divide", { VMVal::from_i32(INT32_MIN), VMVal::from_i32(-1) } },
        { "print", { VMVal::from_i32(41) } },
        { "lanes", { VMVal::from_i32(21) } },
        { "lanes2", { VMVal::from_i32(-3) } },
    };
    u32 traps = 0;
    for (const Call& call : calls) {
        std::string expected = run(*baseline, call.name, call.args);
        EXPECT_EQ(run(*optimized, call.name, call.args), expected) << call.name;
        traps += expected.starts_with("trap") ? 1 : 0;
    }
    EXPECT_EQ(traps, 4u); // out-of-range table index, out-of-bounds store, both divisions

    const compile::CompileStatistics& b = baseline->statistics;
    const compile::CompileStatistics& o = optimized->statistics;
    EXPECT_EQ(b.functions, 10u);
    EXPECT_EQ(o.functions, b.functions);
    EXPECT_EQ(b.optimized_functions, 0u);
    EXPECT_EQ(b.baseline_fallbacks, 0u);
    EXPECT_EQ(o.optimized_functions + o.baseline_fallbacks, o.functions);
    // The two try_table functions fall back; the optimising tier compiles the other eight.
    EXPECT_EQ(o.baseline_fallbacks, 2u);
    EXPECT_EQ(o.optimized_functions, 8u);
}

TEST(Tier, EachFallbackReasonIsLoggedOnce)
{
    StringSink log;
    compile::CompileOptions options = options_for(compile::Tier::Optimized);
    options.log_fallbacks = true;
    options.log = &log;
    auto optimized = instantiate(kModule, options);
    ASSERT_TRUE(optimized);
    const std::string& text = log.text();
    auto count = [&](const char* what) {
        u32 n = 0;
        for (usize at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
            ++n;
        return n;
    };
    // Two functions use try_table, which the optimising tier leaves to the baseline: one
    // line for the reason, naming the first of them.
    EXPECT_EQ(count("\n"), 1u) << text;
    EXPECT_EQ(count("falls back to the baseline"), 1u) << text;
    EXPECT_EQ(count("exceptions"), 1u) << text;
    EXPECT_EQ(count("function 9 falls back"), 1u) << text;

    // Without log_fallbacks nothing is written.
    StringSink quiet;
    options.log_fallbacks = false;
    options.log = &quiet;
    ASSERT_TRUE(instantiate(kModule, options));
    EXPECT_TRUE(quiet.text().empty());
}

// The tier interface's discard_function: what a function recorded (handler ranges,
// trampoline needs) is forgotten when the pipeline gives it to another tier.
TEST(Tier, BaselineDiscardsWhatAFunctionRecorded)
{
    const char* wat = R"wat((module
        (type $t (func (param i32) (result i32)))
        (import "m" "f" (func (type $t)))
        (tag $e)
        (table 1 funcref)
        (func (param i32) (result i32)
            block $caught
                try_table (catch $e $caught)
                    local.get 0 i32.const 0 call_indirect (type $t) drop
                end
            end
            i32.const 1)
        (func (param i32) (result i32) local.get 0)))wat";
    auto wasm = text::wat_to_wasm(StringView(wat, std::strlen(wat)));
    ASSERT_FALSE(wasm.is_error()) << wasm.error().message() << " at " << wasm.error().offset();
    auto created = runtime::LoadedModule::create(wasm.release_value());
    ASSERT_FALSE(created.is_error()) << created.error().message() << " at " << created.error().offset();
    auto loaded = created.release_value();
    const Module& module = loaded->module();
    x64::Assembler masm;
    Vector<TrapEntry> traps;
    x64::baseline::BaselineCompiler baseline(module, loaded->offsets(), masm, traps);
    compile::FunctionCompiler& tier = baseline;

    auto first = tier.compile_function(1, 0);
    ASSERT_FALSE(first.is_error()) << first.error().message();
    ASSERT_EQ(tier.handlers().size(), 1u);
    ASSERT_EQ(tier.needed_array_trampolines().size(), module.types.size());
    EXPECT_TRUE(tier.needed_array_trampolines()[0]);
    tier.discard_function();
    EXPECT_EQ(tier.handlers().size(), 0u);
    EXPECT_FALSE(tier.needed_array_trampolines()[0]);

    // A kept function's records stay when a later one is discarded.
    masm.reset();
    traps.clear();
    auto again = tier.compile_function(1, 0);
    ASSERT_FALSE(again.is_error()) << again.error().message();
    masm.reset();
    auto other = tier.compile_function(2, 256);
    ASSERT_FALSE(other.is_error()) << other.error().message();
    tier.discard_function();
    EXPECT_EQ(tier.handlers().size(), 1u);
    EXPECT_TRUE(tier.needed_array_trampolines()[0]);
}

namespace {

// A tier that only reports stack maps (the pipeline's merge of two tiers' maps).
class MapsOnlyTier final : public compile::FunctionCompiler {
public:
    MapsOnlyTier(std::initializer_list<StackMapEntry> maps, std::initializer_list<u32> bits)
        : m_maps(maps)
        , m_bits(bits)
    {
    }
    Result<void> compile_function(u32, u32) override { return Error::from("maps only", ErrorKind::Unsupported); }
    void discard_function() override { }
    Span<const compile::HandlerEntry> handlers() const override { return {}; }
    Span<const bool> needed_array_trampolines() const override { return {}; }
    Span<const StackMapEntry> stack_maps() const override { return { m_maps.data(), m_maps.size() }; }
    Span<const u32> stack_map_bits() const override { return { m_bits.data(), m_bits.size() }; }

private:
    std::vector<StackMapEntry> m_maps;
    std::vector<u32> m_bits;
};

} // namespace

// Each tier's maps ascend; the module's are both merged in order, each still naming its
// own tier's bitmap words.
TEST(Tier, StackMapsOfTwoTiersMergeInCodeOrder)
{
    MapsOnlyTier first({ { 8, 0 }, { 40, 2 }, { 96, 0 }, { 97, 2 } }, { 100, 101, 102 });
    MapsOnlyTier second({ { 4, 1 }, { 20, 0 }, { 48, 1 }, { 200, 0 } }, { 200, 201 });
    MapsOnlyTier none({}, {});
    Vector<StackMapEntry> maps;
    Vector<u32> bits;
    ASSERT_FALSE(compile::append_stack_maps(none, maps, bits).is_error());
    ASSERT_FALSE(compile::append_stack_maps(first, maps, bits).is_error());
    ASSERT_FALSE(compile::append_stack_maps(second, maps, bits).is_error());
    ASSERT_FALSE(compile::append_stack_maps(none, maps, bits).is_error());

    ASSERT_EQ(bits.size(), first.stack_map_bits().size() + second.stack_map_bits().size());
    ASSERT_EQ(maps.size(), first.stack_maps().size() + second.stack_maps().size());
    for (usize i = 1; i < maps.size(); ++i)
        EXPECT_LT(maps[i - 1].code_offset, maps[i].code_offset) << "at " << i;
    // Every tier's entry is there once, its bitmap index pointing at the same word as before.
    for (const MapsOnlyTier* tier : { &first, &second }) {
        Span<const u32> tier_bits = tier->stack_map_bits();
        for (StackMapEntry entry : tier->stack_maps()) {
            usize found = 0;
            for (StackMapEntry merged : maps) {
                if (merged.code_offset != entry.code_offset)
                    continue;
                ++found;
                ASSERT_LT(merged.bitmap, bits.size());
                EXPECT_EQ(bits[merged.bitmap], tier_bits[entry.bitmap]) << "offset " << entry.code_offset;
            }
            EXPECT_EQ(found, 1u) << "offset " << entry.code_offset;
        }
    }
}
