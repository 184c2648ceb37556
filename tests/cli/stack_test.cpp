// `wasmkern run` runs wasm on a stack of a fixed size (hosted/platform/wasm_stack.h), so
// runaway recursion ends in "call stack exhausted" whatever `ulimit -s` says: with an
// unlimited stack it must not grow until the OOM killer, with a tiny one it must not die
// of SIGSEGV.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

struct Outcome {
    int status { -1 }; // the exit status, or 128 + the signal that ended the tool
    long max_rss_kib { 0 };
    std::string out;
    std::string err;
};

std::string read_back(FILE* file)
{
    std::string text;
    std::fseek(file, 0, SEEK_SET);
    char buffer[4096];
    size_t count;
    while ((count = std::fread(buffer, 1, sizeof buffer, file)) > 0)
        text.append(buffer, count);
    std::fclose(file);
    return text;
}

// Runs `wasmkern run --invoke NAME FILE [ARGUMENT]` (FILE in this folder) with
// RLIMIT_STACK set to `stack` first.
Outcome run_with_stack_limit(rlim_t stack, char const* name, char const* file = "trap.wat",
                             char const* argument = nullptr)
{
    Outcome outcome;
    FILE* out = std::tmpfile();
    FILE* err = std::tmpfile();
    if (!out || !err)
        return outcome;
    std::string program = WK_WASMKERN;
    std::string module = std::string(WK_CLI_DATA_DIR) + "/" + file;
    std::vector<char*> argv = { program.data(), const_cast<char*>("run"), const_cast<char*>("--invoke"),
                                const_cast<char*>(name), module.data(), const_cast<char*>(argument), nullptr };
    pid_t child = ::fork();
    if (child == 0) {
        struct rlimit limit { stack, stack };
        if (::setrlimit(RLIMIT_STACK, &limit) != 0 || ::dup2(fileno(out), 1) < 0 || ::dup2(fileno(err), 2) < 0)
            ::_exit(250);
        ::execv(argv[0], argv.data());
        ::_exit(251);
    }
    int status = 0;
    struct rusage usage {};
    if (child > 0 && ::wait4(child, &status, 0, &usage) == child) {
        outcome.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        outcome.max_rss_kib = usage.ru_maxrss;
    }
    outcome.out = read_back(out);
    outcome.err = read_back(err);
    return outcome;
}

} // namespace

TEST(CliStack, UnlimitedStackStillTrapsAfterBoundedGrowth)
{
    Outcome outcome = run_with_stack_limit(RLIM_INFINITY, "recurse");
    EXPECT_EQ(outcome.status, 134) << outcome.err;
    EXPECT_NE(outcome.err.find("call stack exhausted"), std::string::npos) << outcome.err;
    // 8 MiB of wasm stack, the module and the runtime: far below this.
    EXPECT_LT(outcome.max_rss_kib, 512 * 1024);
}

TEST(CliStack, TinyStackLimitStillTrapsCleanly)
{
    for (rlim_t size : { rlim_t { 256 * 1024 }, rlim_t { 64 * 1024 } }) {
        Outcome outcome = run_with_stack_limit(size, "recurse");
        EXPECT_EQ(outcome.status, 134) << size << ": " << outcome.err;
        EXPECT_NE(outcome.err.find("call stack exhausted"), std::string::npos) << outcome.err;
    }
}

TEST(CliStack, DepthDoesNotDependOnTheStackLimit)
{
    // 20000 frames need a few MiB: more than a 64 KiB `ulimit -s`, less than the wasm
    // stack; ten million frames are more than any.
    for (rlim_t size : { rlim_t { 64 * 1024 }, RLIM_INFINITY }) {
        Outcome deep = run_with_stack_limit(size, "down", "deep_recursion.wat", "20000");
        EXPECT_EQ(deep.status, 0) << size << ": " << deep.err;
        EXPECT_EQ(deep.out, "20000\n");
        Outcome deeper = run_with_stack_limit(size, "down", "deep_recursion.wat", "10000000");
        EXPECT_EQ(deeper.status, 134) << size << ": " << deeper.err;
        EXPECT_NE(deeper.err.find("call stack exhausted"), std::string::npos) << deeper.err;
    }
}
