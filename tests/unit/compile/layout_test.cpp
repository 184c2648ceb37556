// Function-level ASLR (CompileOptions::deterministic_layout): functions are laid out in a
// random order per compile, backtraces and calls still find each one, and the flag gives
// index order.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "engine/compile/invoke.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/store.h"
#include "engine/text/wat.h"

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

} // namespace
