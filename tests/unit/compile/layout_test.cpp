// Function-level ASLR (CompileOptions::deterministic_layout): functions are laid out in a
// random order per compile, backtraces and calls still find each one, and the flag gives
// index order.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "engine/compile/compiled_module.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/store.h"
#include "engine/text/wat.h"
#include "engine/x64/code_alignment.h"

using namespace wk;
using namespace wk::engine;
using runtime::VMVal;

namespace {

constexpr u32 kFunctions = 16;

// f0..f15 each return their index plus a call to the previous one (f0 returns 0).
std::string chain_module()
{
    std::string wat = "(module\n";
    for (u32 i = 0; i < kFunctions; ++i) {
        wat += "(func $f" + std::to_string(i) + " (export \"f" + std::to_string(i) + "\") (result i32) i32.const " + std::to_string(i);
        if (i > 0)
            wat += " call $f" + std::to_string(i - 1) + " i32.add";
        wat += ")\n";
    }
    return wat + ")\n";
}

// The function indices in the order their code lies in memory.
std::vector<u32> layout_of(const compile::CompiledModule& compiled)
{
    std::vector<std::pair<uptr, u32>> starts;
    for (u32 i = 0; i < kFunctions; ++i) {
        uptr code = reinterpret_cast<uptr>(compiled.module->entries_of(i).native_code);
        // Every function's own code maps back to it.
        EXPECT_EQ(compiled.code->function_at(code), std::optional<u32>(i));
        starts.emplace_back(code, i);
    }
    std::sort(starts.begin(), starts.end());
    std::vector<u32> order;
    for (auto& start : starts)
        order.push_back(start.second);
    return order;
}

compile::CompiledModule compile_chain(bool deterministic, compile::Tier tier = compile::Tier::Baseline)
{
    std::string wat = chain_module();
    auto wasm = MUST(text::wat_to_wasm(StringView(wat.data(), wat.size())));
    compile::CompileOptions options;
    options.tier = tier;
    options.deterministic_layout = deterministic;
    return MUST(compile::load_and_compile(std::move(wasm), Features {}, options));
}

i32 call_last(const compile::CompiledModule& compiled)
{
    auto store = MUST(runtime::Store::create());
    runtime::Linker linker;
    auto instance = MUST(store->instantiate(*compiled.module, linker));
    std::string name = "f" + std::to_string(kFunctions - 1);
    auto outcome = MUST(compile::invoke_export(*instance, StringView(name.data(), name.size()), {}));
    EXPECT_FALSE(outcome.trap);
    return outcome.results.is_empty() ? -1 : outcome.results[0].i32_value();
}

TEST(Layout, DeterministicLayoutIsIndexOrder)
{
    auto compiled = compile_chain(true);
    std::vector<u32> order = layout_of(compiled);
    for (u32 i = 0; i < kFunctions; ++i)
        EXPECT_EQ(order[i], i);
    EXPECT_EQ(call_last(compiled), static_cast<i32>(kFunctions * (kFunctions - 1) / 2));
}

TEST(Layout, RandomLayoutDiffersAndStillRuns)
{
    std::vector<u32> identity;
    for (u32 i = 0; i < kFunctions; ++i)
        identity.push_back(i);
    // 16! orders: two compiles agree, or match index order, with negligible probability.
    auto first = compile_chain(false);
    auto second = compile_chain(false);
    std::vector<u32> first_order = layout_of(first);
    std::vector<u32> second_order = layout_of(second);
    EXPECT_NE(first_order, second_order);
    EXPECT_NE(first_order, identity);
    EXPECT_TRUE(std::is_permutation(first_order.begin(), first_order.end(), identity.begin()));
    EXPECT_EQ(call_last(first), static_cast<i32>(kFunctions * (kFunctions - 1) / 2));
    EXPECT_EQ(call_last(second), static_cast<i32>(kFunctions * (kFunctions - 1) / 2));
    auto optimized = compile_chain(false, compile::Tier::Optimized);
    EXPECT_EQ(call_last(optimized), static_cast<i32>(kFunctions * (kFunctions - 1) / 2));
}

TEST(Layout, FunctionsStartAtMultiplesOf64InARandomLayout)
{
    // code_alignment.h: a loop header's alignment within a function is its alignment in
    // memory only if the function starts on the function alignment.
    static_assert(x64::kFunctionAlignment == 64);
    for (compile::Tier tier : { compile::Tier::Baseline, compile::Tier::Optimized }) {
        auto compiled = compile_chain(false, tier);
        EXPECT_EQ(layout_of(compiled).size(), kFunctions);
        for (u32 i = 0; i < kFunctions; ++i) {
            uptr code = reinterpret_cast<uptr>(compiled.module->entries_of(i).native_code);
            EXPECT_EQ(code % 64, 0u) << "function " << i << " in tier " << static_cast<int>(tier);
        }
        EXPECT_EQ(call_last(compiled), static_cast<i32>(kFunctions * (kFunctions - 1) / 2));
    }
}

TEST(Layout, SeededLayoutsRepeat)
{
    auto wasm = [] {
        std::string wat = chain_module();
        return MUST(text::wat_to_wasm(StringView(wat.data(), wat.size())));
    };
    compile::CompileOptions options;
    options.layout_seed = 12345;
    auto first = MUST(compile::load_and_compile(wasm(), Features {}, options));
    auto second = MUST(compile::load_and_compile(wasm(), Features {}, options));
    options.layout_seed = 54321;
    auto other = MUST(compile::load_and_compile(wasm(), Features {}, options));
    EXPECT_EQ(layout_of(first), layout_of(second));
    // 16! orders: two seeds giving one order is negligible (xorshift differs at once).
    EXPECT_NE(layout_of(first), layout_of(other));
}

TEST(Layout, TierSpaceCodeStartsAtMultiplesOf64)
{
    // Tier-up code is placed one object after another in the parent's tier space; sizes
    // that are not multiples of 64 must not shift the next start off the boundary.
    u8 ret = 0xC3;
    u32 parent_starts[2] = { 0, 1 };
    compile::LinkInput parent_input;
    parent_input.code = ReadonlyBytes(&ret, 1);
    parent_input.function_starts = Span<const u32>(parent_starts, 2);
    parent_input.tier_space = 64 * 1024;
    auto parent = MUST(compile::CodeObject::link(parent_input));
    std::vector<RefPtr<compile::CodeObject>> children;
    for (u32 size : { 1u, 17u, 64u, 100u, 3u }) {
        std::vector<u8> code(size, 0xCC);
        u32 starts[2] = { 0, size };
        compile::LinkInput input;
        input.code = ReadonlyBytes(code.data(), code.size());
        input.function_starts = Span<const u32>(starts, 2);
        auto child = MUST(compile::CodeObject::link_in_tier_space(*parent, input));
        EXPECT_EQ(reinterpret_cast<uptr>(child->base()) % 64, 0u) << "after " << children.size() << " objects";
        if (!children.empty())
            EXPECT_GT(child->base(), children.back()->base());
        children.push_back(child);
    }
}

// CodeObject::find reads the code registry that fault handlers read: a pc inside an object
// (its tier-space children included) names it, a pc in free tier space or after an object
// died names nothing.
TEST(Layout, FindNamesTheLiveObjectOfAPc)
{
    u8 ret[2] = { 0xC3, 0xC3 };
    u32 parent_starts[2] = { 0, 2 };
    compile::LinkInput parent_input;
    parent_input.code = ReadonlyBytes(ret, 2);
    parent_input.function_starts = Span<const u32>(parent_starts, 2);
    parent_input.tier_space = 64 * 1024;
    auto parent = MUST(compile::CodeObject::link(parent_input));
    uptr parent_base = reinterpret_cast<uptr>(parent->base());
    EXPECT_EQ(compile::CodeObject::find(parent_base), parent.get());
    EXPECT_EQ(compile::CodeObject::find(parent_base + 1), parent.get());
    EXPECT_EQ(compile::CodeObject::find(parent_base + 2), nullptr);
    std::vector<u8> code(100, 0xCC);
    u32 starts[2] = { 0, 100 };
    compile::LinkInput input;
    input.code = ReadonlyBytes(code.data(), code.size());
    input.function_starts = Span<const u32>(starts, 2);
    auto child = MUST(compile::CodeObject::link_in_tier_space(*parent, input));
    uptr child_base = reinterpret_cast<uptr>(child->base());
    EXPECT_EQ(compile::CodeObject::find(child_base + 99), child.get());
    EXPECT_EQ(compile::CodeObject::find(child_base + 100), nullptr);
    EXPECT_EQ(compile::CodeObject::find(parent_base), parent.get());
    child = nullptr;
    EXPECT_EQ(compile::CodeObject::find(child_base), nullptr);
    EXPECT_EQ(compile::CodeObject::find(parent_base), parent.get());
}

} // namespace
