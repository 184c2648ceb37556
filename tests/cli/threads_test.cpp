// wasi-threads under `wasmkern run` (docs/wasi.md, "Threads"): the programs in threads/
// run under every tier; each result is checked against what the test computes itself.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdint>
#include <fcntl.h>
#include <map>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

struct Outcome {
    int status { -1 }; // the exit status, or 128 + the signal that ended the tool
    std::string out;
    std::string err;
};

std::string contents(FILE* file)
{
    std::string text;
    std::rewind(file);
    char buffer[4096];
    size_t count;
    while ((count = std::fread(buffer, 1, sizeof buffer, file)) > 0)
        text.append(buffer, count);
    return text;
}

// Runs `wasmkern run ARGS...` in threads/ with stdin from /dev/null, or with
// `blocking_stdin` from a pipe this process keeps open and never writes to. A run that
// has not ended after a minute is killed (SIGALRM: status 142), so a hang fails.
Outcome run(std::vector<std::string> args, bool blocking_stdin = false)
{
    Outcome outcome;
    FILE* out = std::tmpfile();
    FILE* err = std::tmpfile();
    int input[2] = { -1, -1 };
    if (!out || !err || (blocking_stdin && pipe(input) != 0))
        return outcome;
    std::string program = WK_WASMKERN;
    std::vector<std::string> all { program, "run" };
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& arg : all)
        argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_t child = fork();
    if (child == 0) {
        if (chdir(WK_CLI_DATA_DIR "/threads") != 0)
            _exit(120);
        int in = blocking_stdin ? input[0] : open("/dev/null", O_RDONLY);
        if (in < 0)
            _exit(121);
        dup2(in, 0);
        alarm(60);
        dup2(fileno(out), 1);
        dup2(fileno(err), 2);
        execv(argv[0], argv.data());
        _exit(122);
    }
    int status = 0;
    if (child > 0 && waitpid(child, &status, 0) == child)
        outcome.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (blocking_stdin) {
        close(input[0]);
        close(input[1]);
    }
    outcome.out = contents(out);
    outcome.err = contents(err);
    std::fclose(out);
    std::fclose(err);
    return outcome;
}

// The program's `key=value` lines.
std::map<std::string, uint64_t> values_of(std::string const& text)
{
    std::map<std::string, uint64_t> values;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        size_t equals = line.find('=');
        if (equals != std::string::npos)
            values[line.substr(0, equals)] = std::stoull(line.substr(equals + 1));
    }
    return values;
}

// The tier options of each run.
std::vector<std::string> tier_options(std::string const& tier)
{
    if (tier == "tiered-sync")
        return { "--tier", "tiered", "--tier-sync", "--tier-threshold", "50" };
    if (tier == "baseline-lazy")
        return { "--tier", "baseline", "--lazy" };
    return { "--tier", tier };
}

class Threads : public testing::TestWithParam<std::string> {
protected:
    Outcome run_program(std::string const& file, bool blocking_stdin = false)
    {
        std::vector<std::string> args = tier_options(GetParam());
        args.push_back(file);
        return run(args, blocking_stdin);
    }
};

TEST_P(Threads, ParallelSumAddsEverySlice)
{
    Outcome outcome = run_program("parallel_sum.wat");
    ASSERT_EQ(outcome.status, 0) << outcome.err;
    auto values = values_of(outcome.out);
    // What the program fills the array with: 8 x 16384 words, the top half of a
    // multiplicative hash of the index.
    uint64_t expected = 0;
    for (uint32_t i = 0; i < 8 * 16384; ++i)
        expected += static_cast<uint32_t>(i * 0x9E3779B1u) >> 16;
    EXPECT_EQ(values["threads"], 8u);
    EXPECT_EQ(values["sum"], expected);
    EXPECT_EQ(values["expected"], expected);
    EXPECT_EQ(outcome.err, "");
}

TEST_P(Threads, LockOnWaitNotifyLosesNoIncrement)
{
    Outcome outcome = run_program("lock_counter.wat");
    ASSERT_EQ(outcome.status, 0) << outcome.err;
    auto values = values_of(outcome.out);
    EXPECT_EQ(values["threads"], 4u);
    EXPECT_EQ(values["iters"], 200000u);
    EXPECT_EQ(values["counter"], values["threads"] * values["iters"]);
}

TEST_P(Threads, ProducerConsumerQueueDeliversEveryValueOnce)
{
    Outcome outcome = run_program("producer_consumer.wat");
    ASSERT_EQ(outcome.status, 0) << outcome.err;
    auto values = values_of(outcome.out);
    uint64_t all = 2 * 5000;
    EXPECT_EQ(values["threads"], 4u);
    EXPECT_EQ(values["items"], all);
    EXPECT_EQ(values["total"], all * (all + 1) / 2);
}

TEST_P(Threads, ConcurrentWritesArriveWhole)
{
    Outcome outcome = run_program("concurrent_writes.wat");
    ASSERT_EQ(outcome.status, 0) << outcome.err;
    std::map<std::string, int> lines;
    std::istringstream text(outcome.out);
    std::string line;
    while (std::getline(text, line))
        ++lines[line];
    std::map<std::string, int> expected;
    for (int k = 0; k < 4; ++k)
        expected["thread " + std::to_string(k)] = 500;
    EXPECT_EQ(lines, expected);
}

TEST_P(Threads, SpawnFloodIsRefusedAtTheLimit)
{
    Outcome outcome = run_program("spawn_flood.wat");
    ASSERT_EQ(outcome.status, 0) << outcome.err;
    auto values = values_of(outcome.out);
    EXPECT_EQ(values["spawned"], 64u);
    EXPECT_EQ(values["refused"], 6u); // wasi errno "again"
    EXPECT_NE(outcome.err.find("thread-spawn refused: 64 threads are running"), std::string::npos) << outcome.err;
}

TEST_P(Threads, SpawnTreeRacingForTheLimitStopsAtIt)
{
    Outcome outcome = run_program("spawn_tree.wat");
    ASSERT_EQ(outcome.status, 0) << outcome.err;
    auto values = values_of(outcome.out);
    EXPECT_EQ(values["spawned"], 64u);
    EXPECT_EQ(values["refused"], 6u);
    EXPECT_NE(outcome.err.find("thread-spawn refused: 64 threads are running"), std::string::npos) << outcome.err;
}

TEST_P(Threads, TrapInAThreadEndsTheProgram)
{
    Outcome outcome = run_program("thread_trap.wat");
    EXPECT_EQ(outcome.status, 134);
    EXPECT_NE(outcome.err.find("error: in thread 1:\nerror: wasm trap: unreachable\n"), std::string::npos)
        << outcome.err;
}

TEST_P(Threads, ProcExitInAThreadEndsTheProgram)
{
    Outcome outcome = run_program("thread_exit.wat");
    EXPECT_EQ(outcome.status, 7) << outcome.err;
}

TEST_P(Threads, ProcExitEndsTheProgramWhileAnotherThreadBlocksInARead)
{
    Outcome outcome = run_program("exit_while_reading.wat", true);
    EXPECT_EQ(outcome.status, 5) << outcome.err;
}

TEST_P(Threads, SpawnWithoutThreadStartFails)
{
    Outcome outcome = run_program("no_thread_start.wat");
    EXPECT_EQ(outcome.status, 6) << outcome.err;
    EXPECT_NE(outcome.err.find("exports no wasi_thread_start"), std::string::npos) << outcome.err;
}

INSTANTIATE_TEST_SUITE_P(Tiers, Threads, testing::Values("baseline", "optimized", "tiered", "tiered-sync", "baseline-lazy"));

} // namespace
