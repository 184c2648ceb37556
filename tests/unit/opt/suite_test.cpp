// The builder, verifier and pass pipeline over every function of every valid module
// of the spec suite (../shared/testsuite, WK_TESTSUITE_DIR): each function is either
// accepted, and then verifies after building and after every pass, or refused with
// ErrorKind::Unsupported and a named reason. Anything else (an internal error, a
// verifier failure) fails the test. Prints the counts per reason.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "engine/text/wast.h"
#include "opt_support.h"

namespace wk::engine::opt {

using namespace testing;

namespace {

std::vector<std::filesystem::path> suite_files()
{
    std::vector<std::filesystem::path> files;
    std::filesystem::path root(WK_TESTSUITE_DIR);
    if (!std::filesystem::exists(root))
        return files;
    for (auto const& entry : std::filesystem::recursive_directory_iterator(root)) {
        if (entry.is_regular_file() && entry.path().extension() == ".wast")
            files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

std::string read_file(std::filesystem::path const& path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

struct Tally {
    usize modules = 0;
    usize functions = 0;
    usize accepted = 0;
    usize instructions = 0; // IR instructions of accepted functions after the pipeline
    std::map<std::string, usize> refused;
    std::vector<std::string> failures;
    bool osr = false;
    usize osr_entries = 0;
};

void check_osr_entries(Builder& builder, const Function&, const Module& module, u32 index, const std::string& where,
                       Tally& tally)
{
    std::vector<u32> loops(builder.loop_offsets().begin(), builder.loop_offsets().end());
    if (loops.size() > 4)
        loops.resize(4);
    Function function;
    for (u32 loop : loops) {
        std::string at = where + " function " + std::to_string(index) + " OSR at " + std::to_string(loop) + ": ";
        builder.set_osr_loop(loop);
        auto built = builder.build(index, function);
        builder.set_osr_loop(kNone);
        if (built.is_error()) {
            tally.failures.push_back(at + "build error: " + built.error().message());
            continue;
        }
        std::string detail = verify_detail(function, &module);
        if (!detail.empty()) {
            tally.failures.push_back(at + "after building: " + detail);
            continue;
        }
        StringBuilder log;
        auto optimized = optimize(function, { .verify = true, .module = &module, .log = &log });
        if (optimized.is_error()) {
            auto text = MUST(log.to_string());
            tally.failures.push_back(at + std::string(text.view().data(), text.view().size()));
            continue;
        }
        ++tally.osr_entries;
    }
}

void run_module(const std::string& where, Span<const u8> bytes, Features features, Tally& tally)
{
    auto decoded = decode_module(bytes, features);
    if (decoded.is_error())
        return;
    Module module = decoded.release_value();
    if (validate_module(module).is_error())
        return;
    ++tally.modules;
    Builder builder(module);
    Function function;
    for (u32 index = module.imported_function_count; index < module.functions.size(); ++index) {
        ++tally.functions;
        auto built = builder.build(index, function);
        if (built.is_error()) {
            if (built.error().kind() == ErrorKind::Unsupported) {
                ++tally.refused[built.error().message()];
            } else {
                tally.failures.push_back(where + " function " + std::to_string(index) + ": build error: "
                                         + built.error().message());
            }
            continue;
        }
        std::string detail = verify_detail(function, &module);
        if (!detail.empty()) {
            tally.failures.push_back(where + " function " + std::to_string(index) + ": after building: " + detail);
            continue;
        }
        StringBuilder log;
        auto optimized = optimize(function, { .verify = true, .module = &module, .log = &log });
        if (optimized.is_error()) {
            auto text = MUST(log.to_string());
            tally.failures.push_back(where + " function " + std::to_string(index) + ": "
                                     + std::string(text.view().data(), text.view().size()));
            continue;
        }
        ++tally.accepted;
        for (Block block : function.layout())
            tally.instructions += function.insts(block).size();
        if (tally.osr)
            check_osr_entries(builder, function, module, index, where, tally);
    }
}

} // namespace

// On-stack replacement entries (Builder::set_osr_loop): every loop of every accepted
// function (at most 4 per function) as an OSR entry builds, verifies and optimises.
TEST(OptSuite, OsrEntryAtEveryLoopBuildsVerifiesAndOptimises)
{
    auto files = suite_files();
    if (files.empty())
        GTEST_SKIP() << "no .wast files under " << WK_TESTSUITE_DIR;
    Tally tally;
    tally.osr = true;
    for (auto const& path : files) {
        std::string relative = std::filesystem::relative(path, WK_TESTSUITE_DIR).string();
        Features features = Features::for_suite_path(StringView(relative.data(), relative.size()));
        std::string source = read_file(path);
        auto script = text::parse_wast(StringView(source.data(), source.size()), features);
        if (script.is_error())
            continue;
        for (const text::Command& command : script->commands) {
            if (!command.has_module || command.kind != text::CommandKind::Module)
                continue;
            auto bytes = command.module.to_binary();
            if (bytes.is_error())
                continue;
            run_module(relative + ":" + std::to_string(command.line), bytes->span(), features, tally);
        }
    }
    std::string listing;
    for (usize i = 0; i < tally.failures.size() && i < 40; ++i)
        listing += tally.failures[i] + "\n";
    EXPECT_TRUE(tally.failures.empty()) << tally.failures.size() << " failures:\n" << listing;
    std::printf("OSR entries over the spec suite: %zu built, verified and optimised\n", tally.osr_entries);
    EXPECT_GT(tally.osr_entries, 100u);
}

TEST(OptSuite, EveryFunctionBuildsVerifiesAndOptimisesOrIsRefusedWithAReason)
{
    auto files = suite_files();
    if (files.empty())
        GTEST_SKIP() << "no .wast files under " << WK_TESTSUITE_DIR;
    Tally tally;
    for (auto const& path : files) {
        std::string relative = std::filesystem::relative(path, WK_TESTSUITE_DIR).string();
        Features features = Features::for_suite_path(StringView(relative.data(), relative.size()));
        std::string source = read_file(path);
        auto script = text::parse_wast(StringView(source.data(), source.size()), features);
        if (script.is_error())
            continue; // the text tests own parsing
        for (const text::Command& command : script->commands) {
            if (!command.has_module || command.kind != text::CommandKind::Module)
                continue;
            auto bytes = command.module.to_binary();
            if (bytes.is_error())
                continue;
            run_module(relative + ":" + std::to_string(command.line), bytes->span(), features, tally);
        }
    }
    std::string listing;
    for (usize i = 0; i < tally.failures.size() && i < 40; ++i)
        listing += tally.failures[i] + "\n";
    EXPECT_TRUE(tally.failures.empty()) << tally.failures.size() << " failures:\n" << listing;
    usize refused = 0;
    for (auto const& [reason, count] : tally.refused)
        refused += count;
    std::printf("optimising tier over the spec suite: %zu modules, %zu functions: %zu accepted "
                "(%zu IR instructions after the pipeline), %zu refused, %zu failed\n",
                tally.modules, tally.functions, tally.accepted, tally.instructions, refused, tally.failures.size());
    for (auto const& [reason, count] : tally.refused)
        std::printf("  refused %6zu: %s\n", count, reason.c_str());
    EXPECT_EQ(tally.accepted + refused + tally.failures.size(), tally.functions);
    // Most of the suite is MVP code the builder covers.
    EXPECT_GT(tally.accepted, refused);
    EXPECT_GT(tally.accepted, 5000u);
}

} // namespace wk::engine::opt
