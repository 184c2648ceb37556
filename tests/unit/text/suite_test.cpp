#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/module.h"
#include "engine/text/wast.h"

using namespace wk;
using namespace wk::engine::text;

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

bool expects_malformed(CommandKind kind)
{
    return kind == CommandKind::AssertMalformed || kind == CommandKind::AssertMalformedCustom;
}

bool expects_invalid(CommandKind kind)
{
    return kind == CommandKind::AssertInvalid || kind == CommandKind::AssertInvalidCustom;
}

} // namespace

// Every script parses; with each directory's rules (Features::for_suite_path),
// every text or quoted module that the suite does not expect to be malformed
// encodes, the malformed ones fail to, and decoder and validator agree with the
// suite on every encoded module. A custom annotation whose target is wrong (a
// branch hint on an instruction that is not a branch) is invalid already in the
// encoder.
TEST(Suite, EveryScriptParsesAndEveryModuleEncodes)
{
    if (!std::filesystem::exists(WK_TESTSUITE_DIR))
        GTEST_SKIP() << "no test suite at " << WK_TESTSUITE_DIR;
    auto files = suite_files();
    ASSERT_FALSE(files.empty()) << "no .wast files under " << WK_TESTSUITE_DIR;
    usize encoded = 0;
    usize expected_failures_caught = 0;
    usize expected_failures_missed = 0;
    std::vector<std::string> failures;
    std::vector<std::string> decode_failures;
    std::vector<std::string> message_mismatches;
    std::vector<std::string> validation_mismatches;
    for (auto const& path : files) {
        std::string source = read_file(path);
        std::string const name = path.string();
        engine::Features const features = engine::Features::for_suite_path(StringView(name.data(), name.size()));
        auto script = parse_wast(source, features);
        if (!script) {
            failures.push_back(path.string() + ":" + std::to_string(line_of_offset(source, script.error().offset()))
                               + ": script: " + script.error().message());
            continue;
        }
        for (Command const& command : script->commands) {
            if (!command.has_module || command.module.kind == ModuleKind::Binary)
                continue;
            auto binary = command.module.to_binary();
            if (expects_malformed(command.kind)) {
                if (binary) {
                    ++expected_failures_missed;
                    std::printf("  accepted malformed: %s:%u (%s)\n", path.string().c_str(), command.line,
                                command.message.view().data());
                }
                else {
                    ++expected_failures_caught;
                    std::string got = binary.error().message();
                    std::string want = command.message.view().data() ? std::string(command.message.view()) : "";
                    if (got.find(want) == std::string::npos && want.find(got) == std::string::npos)
                        message_mismatches.push_back(std::string(path.filename()) + ":" + std::to_string(command.line)
                                                     + ": want \"" + want + "\", got \"" + got + "\"");
                }
                continue;
            }
            if (!binary && binary.error().kind() == ErrorKind::Invalid && expects_invalid(command.kind))
                continue;
            if (!binary) {
                failures.push_back(path.string() + ":" + std::to_string(command.line) + ": "
                                   + binary.error().message() + " at offset " + std::to_string(binary.error().offset()));
                continue;
            }
            ++encoded;
            auto decoded = engine::decode_module(binary->span(), features);
            if (!decoded) {
                decode_failures.push_back(path.string() + ":" + std::to_string(command.line) + ": "
                                          + decoded.error().message() + " at offset "
                                          + std::to_string(decoded.error().offset()));
                continue;
            }
            // The validator's verdict must match the suite's: a wrong index or type
            // in the encoding shows up here.
            auto valid = engine::validate_module(*decoded);
            bool expect_valid = !expects_invalid(command.kind);
            if (valid.has_value() != expect_valid) {
                validation_mismatches.push_back(path.string() + ":" + std::to_string(command.line) + ": "
                                                + (valid ? std::string("valid, expected invalid")
                                                         : std::string("invalid: ") + valid.error().message()));
            }
        }
    }
    std::printf("suite: %zu modules encoded, %zu failed; malformed: %zu rejected, %zu accepted\n", encoded,
                failures.size(), expected_failures_caught, expected_failures_missed);
    for (usize i = 0; i < failures.size() && i < 400; ++i)
        std::printf("  %s\n", failures[i].c_str());
    std::printf("malformed with a different message: %zu\n", message_mismatches.size());
    if (std::getenv("WK_TEXT_VERBOSE")) {
        for (auto const& m : message_mismatches)
            std::printf("  %s\n", m.c_str());
    }
    std::printf("decoder: %zu encoded modules rejected\n", decode_failures.size());
    for (usize i = 0; i < decode_failures.size() && i < 400; ++i)
        std::printf("  %s\n", decode_failures[i].c_str());
    std::printf("validator disagrees with the suite on %zu modules\n", validation_mismatches.size());
    for (usize i = 0; i < validation_mismatches.size() && i < 100; ++i)
        std::printf("  %s\n", validation_mismatches[i].c_str());
    EXPECT_TRUE(failures.empty());
    EXPECT_EQ(expected_failures_missed, 0u);
    EXPECT_TRUE(decode_failures.empty());
    EXPECT_TRUE(validation_mismatches.empty());
    EXPECT_GT(encoded, 1000u);
}
