// One function of a WAT module decoded, validated, built, optimised and allocated: the
// preamble of the optimising tier's register-allocation tests.
#pragma once

#include <memory>
#include <string>

#include "engine/x64/opt/regalloc.h"
#include "tests/unit/opt/opt_support.h"

namespace wk::engine::opt::testing {

struct Allocated {
    std::unique_ptr<Loaded> loaded;
    Function function;
    x64::opt::Allocator allocator;
};

// Function `index` of `wat`; with `run` false it is only built. Null after a failed EXPECT.
inline std::unique_ptr<Allocated> allocate(const std::string& wat, u32 index, bool run = true)
{
    auto allocated = std::make_unique<Allocated>();
    allocated->loaded = load(wat.c_str());
    if (!allocated->loaded)
        return nullptr;
    Builder builder(allocated->loaded->module);
    bool ok = !builder.build(index, allocated->function).is_error();
    EXPECT_TRUE(ok) << "function " << index;
    if (ok && run) {
        ok = !optimize(allocated->function).is_error() && !allocated->allocator.run(allocated->function).is_error();
        EXPECT_TRUE(ok) << "function " << index;
    }
    return ok ? std::move(allocated) : nullptr;
}

} // namespace wk::engine::opt::testing
