// The `wasmkern run` glue: command-line parsing, and the corpus modules instantiated
// against wasi_snapshot_preview1 (every import they make must resolve with its type).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <cstring>
#include <iterator>
#include <string>

#include "engine/runtime/linker.h"
#include "engine/runtime/loaded_module.h"
#include "engine/runtime/store.h"
#include "hosted/wasi/wasi_command.h"

using namespace wk;
using namespace wk::hosted;
namespace runtime = wk::engine::runtime;

namespace {

bool parse(std::vector<const char*> args, WasiCommandOptions& options, std::string& error)
{
    return parse_wasi_command_line(std::span<char const* const>(args.data(), args.size()), options, error);
}

// Creates a command from `options` that must be refused; the first diagnostic line.
std::string refusal(const WasiCommandOptions& options)
{
    std::FILE* diagnostics = std::tmpfile();
    EXPECT_NE(diagnostics, nullptr);
    if (!diagnostics)
        return {};
    auto command = WasiCommand::create(options, diagnostics);
    EXPECT_FALSE(command.has_value());
    std::rewind(diagnostics);
    char line[256] = {};
    EXPECT_NE(std::fgets(line, sizeof line, diagnostics), nullptr);
    std::fclose(diagnostics);
    return line;
}

} // namespace

TEST(WasiCommand, ParsesDirectoriesEnvironmentAndArguments)
{
    WasiCommandOptions options;
    std::string error;
    ASSERT_TRUE(parse({ "--dir", "/tmp/x::/sandbox", "--dir", "data", "--env", "A=1", "--env", "B=", "prog.wasm",
                        "--dir", "not-an-option" },
                      options, error))
        << error;
    ASSERT_EQ(options.directories.size(), 2u);
    EXPECT_EQ(options.directories[0], (std::pair<std::string, std::string> { "/tmp/x", "/sandbox" }));
    EXPECT_EQ(options.directories[1], (std::pair<std::string, std::string> { "data", "data" }));
    EXPECT_EQ(options.environment, (std::vector<std::string> { "A=1", "B=" }));
    EXPECT_EQ(options.arguments, (std::vector<std::string> { "prog.wasm", "--dir", "not-an-option" }));
}

TEST(WasiCommand, ParsesTheCompilerTier)
{
    WasiCommandOptions options;
    std::string error;
    ASSERT_TRUE(parse({ "--tier", "optimized", "--log-fallbacks", "prog.wasm", "--tier", "x" }, options, error)) << error;
    EXPECT_EQ(options.tier, "optimized");
    EXPECT_TRUE(options.log_fallbacks);
    EXPECT_EQ(options.arguments, (std::vector<std::string> { "prog.wasm", "--tier", "x" }));

    WasiCommandOptions equals;
    ASSERT_TRUE(parse({ "--tier=baseline", "prog.wasm" }, equals, error)) << error;
    EXPECT_EQ(equals.tier, "baseline");
    EXPECT_FALSE(equals.log_fallbacks);

    WasiCommandOptions missing;
    EXPECT_FALSE(parse({ "--tier" }, missing, error));
    EXPECT_NE(error.find("--tier needs a value"), std::string::npos) << error;
}

TEST(WasiCommand, RefusesBadCommandLines)
{
    std::string error;
    WasiCommandOptions a, b, c, d, e;
    EXPECT_FALSE(parse({ "--dir" }, a, error));
    EXPECT_FALSE(parse({ "--dir", "::guest", "p.wasm" }, b, error));
    EXPECT_FALSE(parse({ "--env", "NOEQUALS", "p.wasm" }, c, error));
    EXPECT_FALSE(parse({ "--frobnicate", "p.wasm" }, d, error));
    EXPECT_FALSE(parse({}, e, error));
    WasiCommandOptions f;
    ASSERT_TRUE(parse({ "--", "--env" }, f, error));
    EXPECT_EQ(f.arguments, (std::vector<std::string> { "--env" }));
    WasiCommandOptions g, h, k;
    EXPECT_FALSE(parse({ "--dir", "host::", "p.wasm" }, g, error));
    EXPECT_NE(error.find("host::"), std::string::npos) << error;
    EXPECT_FALSE(parse({ "--invoke" }, h, error));
    EXPECT_EQ(error, "--invoke needs a value");
    EXPECT_FALSE(parse({ "-x", "p.wasm" }, k, error));
}

TEST(WasiCommand, ParsesInvokeAndEqualsForms)
{
    WasiCommandOptions options;
    std::string error;
    ASSERT_TRUE(parse({ "--invoke", "add", "--dir=a::b", "--env=K=V=W", "m.wat", "1", "-2" }, options, error)) << error;
    ASSERT_TRUE(options.invoke.has_value());
    EXPECT_EQ(*options.invoke, "add");
    EXPECT_EQ(options.directories[0], (std::pair<std::string, std::string> { "a", "b" }));
    EXPECT_EQ(options.environment, (std::vector<std::string> { "K=V=W" }));
    EXPECT_EQ(options.arguments, (std::vector<std::string> { "m.wat", "1", "-2" }));
}

TEST(WasiCommand, ReportsADirectoryThatCannotBeOpened)
{
    WasiCommandOptions options;
    options.arguments = { "p.wasm" };
    options.directories = { { "/nonexistent-wasmkern-dir", "/sandbox" } };
    std::string line = refusal(options);
    EXPECT_NE(line.find("--dir /nonexistent-wasmkern-dir: cannot open"), std::string::npos) << line;
}

TEST(WasiCommand, ReportsTooManyPreopens)
{
    // More than the descriptor table (or the process's file limit) holds: refused with
    // a message, every directory opened so far closed again with the context.
    WasiCommandOptions options;
    options.arguments = { "p.wasm" };
    options.directories.assign(engine::wasi::WasiContext::kMaxDescriptors + 8, { "/tmp", "/sandbox" });
    std::string line = refusal(options);
    EXPECT_NE(line.find("--dir /tmp: cannot"), std::string::npos) << line;
    // The descriptors are back: one more directory opens.
    WasiCommandOptions one;
    one.arguments = { "p.wasm" };
    one.directories = { { "/tmp", "/sandbox" } };
    EXPECT_TRUE(WasiCommand::create(one, stderr).has_value());
}

#ifdef WK_USERLAND_DIR
TEST(WasiCommand, CorpusModulesLinkAgainstPreview1)
{
    int modules = 0;
    for (const auto& entry : std::filesystem::directory_iterator(WK_USERLAND_DIR)) {
        // Only the corpus: other userland programs import the `wasmkern` module too.
        if (entry.path().extension() != ".wasm" ||
            !std::filesystem::exists(std::filesystem::path(WK_CORPUS_DIR) / entry.path().stem().concat(".c")))
            continue;
        std::ifstream file(entry.path(), std::ios::binary);
        std::vector<char> data((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
        Vector<u8> bytes;
        ASSERT_TRUE(bytes.try_resize(data.size()).has_value());
        std::memcpy(bytes.data(), data.data(), data.size());
        auto module = runtime::LoadedModule::create(std::move(bytes));
        ASSERT_TRUE(module.has_value()) << entry.path() << ": " << module.error().message();
        auto store = runtime::Store::create();
        ASSERT_TRUE(store.has_value());
        WasiCommandOptions options;
        options.arguments = { entry.path().filename().string() };
        options.directories = { { "/tmp", "/sandbox" } };
        auto command = WasiCommand::create(options, stderr);
        ASSERT_TRUE(command.has_value()) << command.error().message();
        runtime::Linker linker;
        ASSERT_TRUE((*command)->define(**store, linker).has_value());
        auto instance = (*store)->instantiate(**module, linker);
        ASSERT_TRUE(instance.has_value()) << entry.path() << ": " << instance.error().message();
        (*command)->bind(**instance);
        EXPECT_FALSE((*command)->exit_status().has_value());
        ++modules;
    }
    EXPECT_GE(modules, 10);
}
#endif
