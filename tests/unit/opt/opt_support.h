#pragma once

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/opt/builder.h"
#include "engine/opt/dominators.h"
#include "engine/opt/passes.h"
#include "engine/opt/printer.h"
#include "engine/opt/verifier.h"
#include "engine/text/wat.h"

namespace wk::engine::opt::testing {

// A validated module from WAT; the bytes it refers into live beside it.
struct Loaded {
    Vector<u8> bytes;
    Module module;
};

inline std::unique_ptr<Loaded> load(const char* wat)
{
    auto loaded = std::make_unique<Loaded>();
    auto bytes = text::wat_to_wasm(StringView(wat, __builtin_strlen(wat)));
    EXPECT_FALSE(bytes.is_error()) << bytes.error().message();
    if (bytes.is_error())
        return nullptr;
    loaded->bytes = bytes.release_value();
    auto module = decode_module(loaded->bytes.span());
    EXPECT_FALSE(module.is_error()) << module.error().message();
    if (module.is_error())
        return nullptr;
    loaded->module = module.release_value();
    auto valid = validate_module(loaded->module);
    EXPECT_FALSE(valid.is_error()) << valid.error().message();
    if (valid.is_error())
        return nullptr;
    return loaded;
}

inline std::string to_string(const Function& function)
{
    auto text = function_to_string(function);
    return text.is_error() ? std::string("<out of memory>") : std::string(text->view().data(), text->view().size());
}

inline std::string verify_detail(const Function& function, const Module* module = nullptr)
{
    StringBuilder detail;
    auto result = verify(function, &detail, module);
    if (!result.is_error())
        return "";
    auto text = detail.to_string();
    return text.is_error() ? std::string(result.error().message())
                           : std::string(text->view().data(), text->view().size());
}

// Builds function `index` of a one-function (or more) module; fails the test on error.
struct Built {
    std::unique_ptr<Loaded> loaded;
    Function function;
    bool ok { false };
};

inline std::unique_ptr<Built> build(const char* wat, u32 index = 0)
{
    auto built = std::make_unique<Built>();
    built->loaded = load(wat);
    if (!built->loaded)
        return built;
    Builder builder(built->loaded->module);
    auto result = builder.build(index, built->function);
    EXPECT_FALSE(result.is_error()) << result.error().message() << " at " << result.error().offset();
    if (result.is_error())
        return built;
    std::string detail = verify_detail(built->function, &built->loaded->module);
    EXPECT_EQ(detail, "") << to_string(built->function);
    built->ok = detail.empty();
    return built;
}

// Loop depth of every block, computed independently of the pass: for each block h
// with a predecessor it dominates, the blocks that reach such a predecessor without
// passing h are h's loop.
inline std::vector<u32> loop_depths(const Function& f)
{
    DominatorTree dominators;
    MUST(dominators.compute(f));
    std::vector<u32> depth(f.block_count(), 0);
    for (Block h : dominators.rpo()) {
        std::vector<Block> work;
        std::vector<bool> in(f.block_count(), false);
        for (u32 edge : f.preds(h)) {
            Block from = f.edge(edge).from;
            if (dominators.dominates(h, from) && !in[from]) {
                in[from] = true;
                work.push_back(from);
            }
        }
        if (work.empty())
            continue;
        in[h] = true;
        while (!work.empty()) {
            Block b = work.back();
            work.pop_back();
            if (b == h)
                continue;
            for (u32 edge : f.preds(b)) {
                Block from = f.edge(edge).from;
                if (!in[from]) {
                    in[from] = true;
                    work.push_back(from);
                }
            }
        }
        for (Block b = 0; b < f.block_count(); ++b)
            depth[b] += in[b];
    }
    return depth;
}

// The pipeline's passes before LICM, in the pipeline's order (MUST: the tests' inputs
// are valid).
inline void run_passes_before_licm(Function& f)
{
    MUST(simplify_block_params(f));
    MUST(fold_constants(f));
    MUST(reduce_strength(f));
    MUST(simplify_block_params(f));
    MUST(simplify_cfg(f));
    MUST(value_number(f));
}

inline bool contains(const std::string& text, const char* needle) { return text.find(needle) != std::string::npos; }

inline usize count_of(const std::string& text, const char* needle)
{
    usize count = 0;
    for (usize at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
        ++count;
    return count;
}

} // namespace wk::engine::opt::testing
