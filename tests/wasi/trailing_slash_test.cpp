// The trailing-slash table (trailing_slash_cases.h) over the POSIX backend in a
// temporary directory; the kernel runs the same table over its own backend.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "hosted/wasi/posix_system.h"
#include "tests/wasi/trailing_slash_cases.h"

using namespace wk;
using namespace wk::engine::wasi;
namespace slash = wk::tests::trailing_slash;

TEST(TrailingSlash, EveryPathCallAnswersAsLinuxDoes)
{
    char pattern[] = "/tmp/wasi_slash_test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    std::filesystem::path root = pattern;
    std::vector<u8> bytes(65536);
    engine::runtime::VMMemory vm;
    vm.base = bytes.data();
    vm.bound_bytes = bytes.size();
    hosted::PosixWasiSystem system;
    WasiContext context { system };
    context.bind_memory(&vm);
    auto dir = hosted::PosixWasiSystem::open_directory(root.c_str());
    ASSERT_TRUE(dir.has_value());
    ASSERT_EQ(*context.add_preopen(*dir, "/"), 3u);

    slash::Runner runner(context, bytes.data(), 3);
    for (u32 i = 0; i < slash::kCaseCount; ++i) {
        const slash::Case& test = slash::kCases[i];
        SCOPED_TRACE(testing::Message() << "case s" << i << ": op " << static_cast<int>(test.op) << " " << test.a
                                        << (test.b ? " -> " : "") << (test.b ? test.b : ""));
        slash::Outcome outcome = runner.run(i);
        ASSERT_EQ(outcome.setup, Errno::Success);
        EXPECT_EQ(static_cast<int>(outcome.got), static_cast<int>(test.expected));
        EXPECT_TRUE(outcome.exists_ok) << test.then_exists;
        EXPECT_TRUE(outcome.missing_ok) << test.then_missing;
    }
    std::filesystem::remove_all(root);
}
