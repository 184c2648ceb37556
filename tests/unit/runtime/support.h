#pragma once

#include <string>

#include <gtest/gtest.h>

#include "base/format.h"
#include "engine/runtime/instance.h"
#include "engine/runtime/linker.h"
#include "engine/runtime/loaded_module.h"
#include "engine/runtime/store.h"
#include "engine/text/wat.h"

namespace wk::engine::runtime::testing {

inline std::string describe(const Error& error)
{
    StringBuilder builder;
    format_to(builder, "{}", error);
    return std::string(builder.view());
}

inline RefPtr<LoadedModule> load(const char* wat)
{
    auto bytes = text::wat_to_wasm(StringView(wat));
    EXPECT_FALSE(bytes.is_error()) << describe(bytes.error()) << "\n" << wat;
    if (bytes.is_error())
        return nullptr;
    auto module = LoadedModule::create(bytes.release_value());
    EXPECT_FALSE(module.is_error()) << describe(module.error()) << "\n" << wat;
    if (module.is_error())
        return nullptr;
    return module.release_value();
}

inline Result<RefPtr<Instance>> instantiate(Store& store, Linker& linker, const char* wat)
{
    auto module = load(wat);
    if (!module)
        return Error::from("test module did not load");
    return store.instantiate(*module, linker);
}

inline RefPtr<Instance> must_instantiate(Store& store, Linker& linker, const char* wat)
{
    auto instance = instantiate(store, linker, wat);
    EXPECT_FALSE(instance.is_error()) << describe(instance.error()) << "\n" << wat;
    return instance.is_error() ? nullptr : instance.release_value();
}

inline RefPtr<Store> make_store(RuntimeLimits limits = {}) { return MUST(Store::create(limits)); }

// Expects `result` to fail with exactly this kind and message.
template<typename T>
::testing::AssertionResult fails_with(const Result<T>& result, ErrorKind kind, const char* message)
{
    if (!result.is_error())
        return ::testing::AssertionFailure() << "succeeded, expected \"" << message << "\"";
    if (result.error().kind() != kind || StringView(result.error().message()) != StringView(message))
        return ::testing::AssertionFailure() << "failed with " << describe(result.error()) << " (kind "
                                             << static_cast<int>(result.error().kind()) << "), expected \"" << message
                                             << "\"";
    return ::testing::AssertionSuccess();
}

} // namespace wk::engine::runtime::testing
