// `wasmkern run` end to end: the tool runs as a child process on the modules of this
// folder (and on binaries written here), and its exit status, stdout and stderr are
// checked.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

struct Outcome {
    int status { -1 }; // the exit status, or 128 + the signal that ended the tool
    std::string out;
    std::string err;
};

std::string read_all(int fd)
{
    std::string text;
    ::lseek(fd, 0, SEEK_SET);
    char buffer[4096];
    for (;;) {
        ssize_t count = ::read(fd, buffer, sizeof buffer);
        if (count <= 0)
            break;
        text.append(buffer, static_cast<size_t>(count));
    }
    return text;
}

// How the child's process is set up besides its arguments.
struct ChildSetup {
    std::string directory = WK_CLI_DATA_DIR;
    bool broken_stdout { false }; // stdout is a pipe whose read end is closed
    int stdout_fd { -1 };         // stdout is this descriptor instead of a capture
    bool close_stderr { false };  // started without fd 2 (stderr captures nothing)
    long file_size_limit { -1 };  // RLIMIT_FSIZE in bytes (`ulimit -f`)
};

Outcome wasmkern_with(ChildSetup const& setup, std::vector<std::string> args);

// Runs `wasmkern ARGS...` in `directory` (this folder by default) with stdin from
// /dev/null; with `broken_stdout`, stdout is a pipe whose read end is closed.
Outcome wasmkern(std::vector<std::string> args, std::string const& directory = WK_CLI_DATA_DIR,
                 bool broken_stdout = false)
{
    ChildSetup setup;
    setup.directory = directory;
    setup.broken_stdout = broken_stdout;
    return wasmkern_with(setup, std::move(args));
}

Outcome wasmkern_with(ChildSetup const& setup, std::vector<std::string> args)
{
    std::string const& directory = setup.directory;
    bool broken_stdout = setup.broken_stdout;
    Outcome outcome;
    FILE* out = std::tmpfile();
    FILE* err = std::tmpfile();
    if (!out || !err)
        return outcome;
    std::vector<char*> argv;
    std::string program = WK_WASMKERN;
    argv.push_back(program.data());
    for (std::string& arg : args)
        argv.push_back(arg.data());
    argv.push_back(nullptr);
    int pipe_ends[2] = { -1, -1 };
    if (broken_stdout) {
        if (::pipe(pipe_ends) != 0)
            return outcome;
        ::close(pipe_ends[0]); // no reader from the start: every write is EPIPE
    }
    pid_t child = ::fork();
    if (child == 0) {
        int null = ::open("/dev/null", O_RDONLY);
        int stdout_fd = broken_stdout ? pipe_ends[1] : setup.stdout_fd >= 0 ? setup.stdout_fd : fileno(out);
        if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(stdout_fd, 1) < 0 || ::dup2(fileno(err), 2) < 0 ||
            ::chdir(directory.c_str()) != 0)
            ::_exit(250);
        if (setup.close_stderr)
            ::close(2);
        if (setup.file_size_limit >= 0) {
            rlimit limit { static_cast<rlim_t>(setup.file_size_limit), static_cast<rlim_t>(setup.file_size_limit) };
            if (::setrlimit(RLIMIT_FSIZE, &limit) != 0)
                ::_exit(252);
        }
        ::execv(argv[0], argv.data());
        ::_exit(251);
    }
    if (broken_stdout)
        ::close(pipe_ends[1]);
    int status = 0;
    if (child > 0 && ::waitpid(child, &status, 0) == child)
        outcome.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    outcome.out = read_all(fileno(out));
    outcome.err = read_all(fileno(err));
    std::fclose(out);
    std::fclose(err);
    return outcome;
}

// A scratch directory for binaries, removed at the end of the test.
class ScratchDirectory {
public:
    ScratchDirectory()
    {
        char pattern[] = "/tmp/wasmkern-cli-XXXXXX";
        if (char* made = ::mkdtemp(pattern))
            m_path = made;
    }
    ~ScratchDirectory()
    {
        if (!m_path.empty())
            std::filesystem::remove_all(m_path);
    }
    std::string write(std::string const& name, std::vector<unsigned char> const& bytes) const
    {
        std::string path = m_path + "/" + name;
        std::ofstream file(path, std::ios::binary);
        file.write(reinterpret_cast<char const*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        return path;
    }
    std::string const& path() const { return m_path; }

private:
    std::string m_path;
};

bool contains(std::string const& text, std::string const& part) { return text.find(part) != std::string::npos; }

// A module exporting "f" (function 0: unreachable), followed by `name_section`.
std::vector<unsigned char> unreachable_module(std::vector<unsigned char> const& name_section)
{
    std::vector<unsigned char> bytes = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00,             // type 0: [] -> []
        0x03, 0x02, 0x01, 0x00,                         // function 0: type 0
        0x07, 0x05, 0x01, 0x01, 'f', 0x00, 0x00,        // export "f" = function 0
        0x0a, 0x05, 0x01, 0x03, 0x00, 0x00, 0x0b,       // code: unreachable end
    };
    bytes.insert(bytes.end(), name_section.begin(), name_section.end());
    return bytes;
}

// A "name" custom section whose function-names subsection is `subsection`.
std::vector<unsigned char> name_section(std::vector<unsigned char> const& subsection)
{
    std::vector<unsigned char> content = { 0x04, 'n', 'a', 'm', 'e', 0x01, static_cast<unsigned char>(subsection.size()) };
    content.insert(content.end(), subsection.begin(), subsection.end());
    std::vector<unsigned char> section = { 0x00, static_cast<unsigned char>(content.size()) };
    section.insert(section.end(), content.begin(), content.end());
    return section;
}

} // namespace

TEST(RunHelp, ListsRunAndItsOptions)
{
    Outcome top = wasmkern({ "--help" });
    EXPECT_EQ(top.status, 0);
    EXPECT_TRUE(contains(top.out, "\n  run ")) << top.out;
    Outcome run = wasmkern({ "run", "--help" });
    EXPECT_EQ(run.status, 0);
    for (char const* option : { "--dir HOST[::GUEST]", "--env KEY=VALUE", "--invoke NAME", "134" })
        EXPECT_TRUE(contains(run.out, option)) << option;
    Outcome help = wasmkern({ "help", "run" });
    EXPECT_EQ(help.out, run.out);
}

TEST(RunInvoke, PassesAndPrintsEveryNumericType)
{
    struct Case {
        std::vector<std::string> args;
        std::string out;
    } cases[] = {
        { { "add", "1", "2" }, "3\n" },
        { { "add", "-5", "2" }, "-3\n" },
        { { "add", "0xffffffff", "1" }, "0\n" },
        { { "add", "4294967295", "0" }, "-1\n" },
        { { "add64", "9223372036854775807", "1" }, "-9223372036854775808\n" },
        { { "add64", "0x10", "-1" }, "15\n" },
        { { "mulf", "1.5", "2" }, "3\n" },
        { { "mulf", "inf", "-1" }, "-inf\n" },
        { { "mulf", "nan", "1" }, "nan\n" },
        { { "mulf", "0x1p-3", "1" }, "0.125\n" },
        { { "divd", "1", "3" }, "0.3333333333333333\n" },
        { { "divd", "-0x1.8p1", "2" }, "-1.5\n" },
        { { "swap", "7", "2.5" }, "2.5\n7\n-1\n" },
        { { "nan_payload" }, "nan:0x200001\n" },
        { { "nothing" }, "" },
    };
    for (Case const& c : cases) {
        std::vector<std::string> args = { "run", "--invoke", c.args[0], "math.wat" };
        args.insert(args.end(), c.args.begin() + 1, c.args.end());
        Outcome run = wasmkern(args);
        EXPECT_EQ(run.status, 0) << c.args[0] << ": " << run.err;
        EXPECT_EQ(run.out, c.out) << c.args[0];
        EXPECT_EQ(run.err, "") << c.args[0];
    }
}

TEST(RunInvoke, RefusesBadArguments)
{
    Outcome count = wasmkern({ "run", "--invoke", "add", "math.wat", "1" });
    EXPECT_EQ(count.status, 2);
    EXPECT_TRUE(contains(count.err, "'add' takes 2 arguments (i32, i32), got 1")) << count.err;
    Outcome extra = wasmkern({ "run", "--invoke", "nothing", "math.wat", "1" });
    EXPECT_EQ(extra.status, 2);
    EXPECT_TRUE(contains(extra.err, "takes 0 arguments")) << extra.err;
    Outcome text = wasmkern({ "run", "--invoke", "add", "math.wat", "1", "x" });
    EXPECT_EQ(text.status, 2);
    EXPECT_TRUE(contains(text.err, "argument 2 'x' is not an i32")) << text.err;
    Outcome range = wasmkern({ "run", "--invoke", "add", "math.wat", "4294967296", "0" });
    EXPECT_EQ(range.status, 2);
    EXPECT_TRUE(contains(range.err, "argument 1 '4294967296' is not an i32")) << range.err;
    Outcome floats = wasmkern({ "run", "--invoke", "divd", "math.wat", "1", "1.5.5" });
    EXPECT_EQ(floats.status, 2);
    EXPECT_TRUE(contains(floats.err, "is not an f64")) << floats.err;
    Outcome reference = wasmkern({ "run", "--invoke", "take_ref", "math.wat", "0" });
    EXPECT_EQ(reference.status, 2);
    EXPECT_TRUE(contains(reference.err, "cannot pass")) << reference.err;
    for (Outcome const* outcome : { &count, &extra, &text, &range, &floats, &reference })
        EXPECT_EQ(outcome->out, "");
}

TEST(RunInvoke, RefusesUnknownExports)
{
    Outcome missing = wasmkern({ "run", "--invoke", "nope", "math.wat" });
    EXPECT_EQ(missing.status, 1);
    EXPECT_TRUE(contains(missing.err, "math.wat: unknown export 'nope'")) << missing.err;
    Outcome global = wasmkern({ "run", "--invoke", "a_global", "math.wat" });
    EXPECT_EQ(global.status, 1);
    EXPECT_TRUE(contains(global.err, "unknown export 'a_global' (or not a function)")) << global.err;
}

TEST(RunTrap, PrintsKindAndNamedBacktrace)
{
    Outcome divide = wasmkern({ "run", "--invoke", "divide", "trap.wat", "0" });
    EXPECT_EQ(divide.status, 134);
    EXPECT_EQ(divide.out, "");
    EXPECT_EQ(divide.err, "error: wasm trap: integer divide by zero\n"
                          "wasm backtrace:\n"
                          "  #0 func[0] leaf\n"
                          "  #1 func[1] middle\n"
                          "  #2 func[2]\n");
    Outcome fine = wasmkern({ "run", "--invoke", "divide", "trap.wat", "1" });
    EXPECT_EQ(fine.status, 0);
    EXPECT_EQ(fine.out, "1\n");

    Outcome unreachable = wasmkern({ "run", "--invoke", "unreachable", "trap.wat" });
    EXPECT_EQ(unreachable.status, 134);
    EXPECT_TRUE(unreachable.err.starts_with("error: wasm trap: unreachable\n")) << unreachable.err;
    Outcome memory = wasmkern({ "run", "--invoke", "load_past_end", "trap.wat" });
    EXPECT_EQ(memory.status, 134);
    EXPECT_TRUE(memory.err.starts_with("error: wasm trap: out of bounds memory access\n")) << memory.err;
}

TEST(RunTrap, AnUncaughtExceptionIsATrapWithABacktrace)
{
    Outcome thrown = wasmkern({ "run", "--invoke", "throw", "trap.wat" });
    EXPECT_EQ(thrown.status, 134);
    EXPECT_EQ(thrown.out, "");
    EXPECT_EQ(thrown.err, "error: wasm trap: uncaught exception\n"
                          "wasm backtrace:\n"
                          "  #0 func[7] thrower\n"
                          "  #1 func[8]\n");
}

TEST(RunTrap, TextFunctionIdsNameTheBacktrace)
{
    Outcome run = wasmkern({ "run", "--invoke", "go", "ids.wat" });
    EXPECT_EQ(run.status, 134);
    EXPECT_EQ(run.err, "error: wasm trap: unreachable\n"
                       "wasm backtrace:\n"
                       "  #0 func[0] inner\n"
                       "  #1 func[1] outer\n"
                       "  #2 func[2]\n");
}

TEST(RunTrap, StackExhaustionIsATrapWithACompressedBacktrace)
{
    Outcome recurse = wasmkern({ "run", "--invoke", "recurse", "trap.wat" });
    EXPECT_EQ(recurse.status, 134);
    EXPECT_TRUE(recurse.err.starts_with("error: wasm trap: call stack exhausted\nwasm backtrace:\n"
                                        "  #0 func[4] recurse\n  #1 func[4] recurse\n  ... "))
        << recurse.err;
    EXPECT_LT(std::count(recurse.err.begin(), recurse.err.end(), '\n'), 10) << recurse.err;
}

TEST(RunTrap, NamesComeFromTheNameSectionOfABinary)
{
    ScratchDirectory scratch;
    ASSERT_FALSE(scratch.path().empty());
    std::string named = scratch.write("named.wasm", unreachable_module(name_section({ 0x01, 0x00, 0x04, 'b', 'o', 'o', 'm' })));
    Outcome run = wasmkern({ "run", "--invoke", "f", named });
    EXPECT_EQ(run.status, 134);
    EXPECT_EQ(run.err, "error: wasm trap: unreachable\nwasm backtrace:\n  #0 func[0] boom\n");

    // A name with terminal control bytes is printed escaped.
    std::string control = scratch.write("control.wasm", unreachable_module(name_section({ 0x01, 0x00, 0x03, 0x1b, '[', 'J' })));
    Outcome escaped = wasmkern({ "run", "--invoke", "f", control });
    EXPECT_EQ(escaped.status, 134);
    EXPECT_TRUE(contains(escaped.err, "  #0 func[0] \\x1b[J\n")) << escaped.err;
}

TEST(RunTrap, MalformedNameSectionsAreIgnored)
{
    ScratchDirectory scratch;
    ASSERT_FALSE(scratch.path().empty());
    std::vector<std::vector<unsigned char>> subsections = {
        { 0xff, 0xff, 0xff, 0xff, 0x0f },       // a count of 2^32 - 1 names, none there
        { 0x01, 0x00, 0x7f, 'x' },              // a name longer than the subsection
        { 0x01, 0x05, 0x01, 'x' },              // an index no function has
        { 0x01, 0x00, 0x02, 0xc0, 0x80 },       // an overlong UTF-8 encoding
        { 0x02, 0x00, 0x01, 'a', 0x00, 0x01, 'b' }, // the same index twice
    };
    for (size_t i = 0; i < subsections.size(); ++i) {
        std::string path = scratch.write("hostile" + std::to_string(i) + ".wasm", unreachable_module(name_section(subsections[i])));
        Outcome run = wasmkern({ "run", "--invoke", "f", path });
        EXPECT_EQ(run.status, 134) << i << ": " << run.err;
        EXPECT_TRUE(run.err.starts_with("error: wasm trap: unreachable\nwasm backtrace:\n  #0 func[0]")) << i << ": " << run.err;
    }
}

TEST(RunErrors, ReportBadFilesAndModules)
{
    Outcome missing = wasmkern({ "run", "no-such-file.wasm" });
    EXPECT_EQ(missing.status, 1);
    EXPECT_TRUE(contains(missing.err, "no-such-file.wasm: cannot read: No such file or directory")) << missing.err;

    ScratchDirectory scratch;
    ASSERT_FALSE(scratch.path().empty());
    std::string truncated = scratch.write("truncated.wasm", { 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01 });
    Outcome bad = wasmkern({ "run", truncated });
    EXPECT_EQ(bad.status, 1);
    EXPECT_TRUE(contains(bad.err, "truncated.wasm: offset 0x")) << bad.err;
    std::string invalid = scratch.write("invalid.wasm", {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, // [] -> [i32]
        0x03, 0x02, 0x01, 0x00, 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,                           // body: end
    });
    Outcome type = wasmkern({ "run", invalid });
    EXPECT_EQ(type.status, 1);
    EXPECT_TRUE(contains(type.err, "invalid.wasm: offset 0x")) << type.err;

    std::string syntax = scratch.write("syntax.wat", { '(', 'm', 'o', 'd', 'u', 'l', 'e', ' ', '(', 'f', 'u', 'n', 'c', ' ', 'x', ')', ')' });
    Outcome text = wasmkern({ "run", syntax });
    EXPECT_EQ(text.status, 1);
    EXPECT_TRUE(contains(text.err, "syntax.wat:1:")) << text.err;

    Outcome link = wasmkern({ "run", "unknown_import.wat" });
    EXPECT_EQ(link.status, 1);
    EXPECT_TRUE(contains(link.err, "unknown_import.wat: unknown import env::missing")) << link.err;

    Outcome start = wasmkern({ "run", "math.wat" });
    EXPECT_EQ(start.status, 1);
    EXPECT_TRUE(contains(start.err, "math.wat: the module exports no _start function")) << start.err;
}

TEST(RunErrors, ReportBadCommandLines)
{
    Outcome nothing = wasmkern({ "run" });
    EXPECT_EQ(nothing.status, 2);
    EXPECT_TRUE(contains(nothing.err, "run: missing FILE")) << nothing.err;
    Outcome option = wasmkern({ "run", "--frobnicate", "hello.wat" });
    EXPECT_EQ(option.status, 2);
    EXPECT_TRUE(contains(option.err, "unknown option '--frobnicate'")) << option.err;
    Outcome dir = wasmkern({ "run", "--dir", "::guest", "hello.wat" });
    EXPECT_EQ(dir.status, 2);
    EXPECT_TRUE(contains(dir.err, "--dir needs HOST or HOST::GUEST")) << dir.err;
    Outcome env = wasmkern({ "run", "--env", "NOVALUE", "hello.wat" });
    EXPECT_EQ(env.status, 2);
    EXPECT_TRUE(contains(env.err, "--env needs KEY=VALUE")) << env.err;
    Outcome absent = wasmkern({ "run", "--dir", "no-such-directory::/sandbox", "hello.wat" });
    EXPECT_EQ(absent.status, 1);
    EXPECT_TRUE(contains(absent.err, "--dir no-such-directory: cannot open: No such file or directory")) << absent.err;
    for (Outcome const* outcome : { &nothing, &option, &dir, &env, &absent })
        EXPECT_EQ(outcome->out, "");
}

TEST(RunWasi, CommandSeesArgumentsAndEnvironmentAndExits)
{
    Outcome run = wasmkern({ "run", "--env", "GREETING=hi there", "--env", "EMPTY=", "hello.wat", "one", "two words", "" });
    EXPECT_EQ(run.status, 7) << run.err;
    EXPECT_EQ(run.out, "hello\nhello.wat\none\ntwo words\n\nGREETING=hi there\nEMPTY=\n");
    EXPECT_EQ(run.err, "");
    // Options after FILE belong to the guest.
    Outcome guest = wasmkern({ "run", "hello.wat", "--help", "--env", "X=1" });
    EXPECT_EQ(guest.status, 7);
    EXPECT_EQ(guest.out, "hello\nhello.wat\n--help\n--env\nX=1\n");

    Outcome returns = wasmkern({ "run", "returns.wat" });
    EXPECT_EQ(returns.status, 0);
    EXPECT_EQ(returns.out, "");
}

TEST(RunWasi, DirectoriesArePreopenedInOrderUnderTheirGuestNames)
{
    Outcome run = wasmkern({ "run", "--dir", ".", "--dir", "/tmp::/sandbox", "--dir=..::up", "preopens.wat" });
    EXPECT_EQ(run.status, 0) << run.err;
    EXPECT_EQ(run.out, ".\n/sandbox\nup\n");
    Outcome none = wasmkern({ "run", "preopens.wat" });
    EXPECT_EQ(none.status, 0) << none.err;
    EXPECT_EQ(none.out, "");
}

TEST(RunWasi, WritingToAClosedPipeIsAnErrorForTheGuestNotASignal)
{
    // hello.wat ignores fd_write's EPIPE and exits 7; SIGPIPE would end the tool (141).
    Outcome run = wasmkern({ "run", "hello.wat" }, WK_CLI_DATA_DIR, true);
    EXPECT_EQ(run.status, 7) << run.err;
}

TEST(RunWasi, InvokeLinksWasiToo)
{
    Outcome greet = wasmkern({ "run", "--invoke", "greet", "hello.wat" });
    EXPECT_EQ(greet.status, 0) << greet.err;
    EXPECT_EQ(greet.out, "hello\n5\n");
    Outcome exit = wasmkern({ "run", "--invoke", "exit_with", "hello.wat", "9" });
    EXPECT_EQ(exit.status, 9);
    EXPECT_EQ(exit.out, "");
}

TEST(RunWasi, PreopenedDirectoryIsTheGuestsOnly)
{
#ifdef WK_USERLAND_DIR
    std::string escape = std::string(WK_USERLAND_DIR) + "/escape.wasm";
    if (!std::filesystem::exists(escape))
        GTEST_SKIP() << "no " << escape;
    ScratchDirectory scratch;
    ASSERT_FALSE(scratch.path().empty());
    std::filesystem::create_directory(scratch.path() + "/sub");
    std::ofstream(scratch.path() + "/sub/inner.txt") << "inner\n";
    Outcome run = wasmkern({ "run", "--dir", scratch.path() + "::/sandbox", escape });
    EXPECT_EQ(run.status, 0) << run.out << run.err;
    EXPECT_TRUE(contains(run.out, "0 escapes\n")) << run.out;
    EXPECT_FALSE(contains(run.out, "OPENED")) << run.out;
#else
    GTEST_SKIP() << "no userland";
#endif
}

// `wasmkern run prog.wasm >> log`: stdout is the parent's open file description, so
// the guest may write to it and nothing else: no clearing O_APPEND, truncating,
// seeking, allocating or setting times; it reports a stream, not a file.
TEST(RunWasi, StdioIsAStreamSharedWithTheParent)
{
    ScratchDirectory scratch;
    ASSERT_FALSE(scratch.path().empty());
    std::string log = scratch.path() + "/log";
    std::ofstream(log) << "before\n";
    int fd = ::open(log.c_str(), O_WRONLY | O_APPEND);
    ASSERT_GE(fd, 0);
    struct stat before {};
    ASSERT_EQ(::fstat(fd, &before), 0);
    ChildSetup setup;
    setup.stdout_fd = fd;
    Outcome run = wasmkern_with(setup, { "run", "--invoke", "shared_stdout", "host_files.wat" });
    EXPECT_EQ(run.status, 0) << run.err;
    // notcapable (76) for all six, then fdstat and filestat succeed and report an
    // unknown stream (0), as wasmtime does for stdio that is not a terminal.
    EXPECT_EQ(run.err, "76 76 76 76 76 76 00 00 00 00 \n");
    EXPECT_NE(::fcntl(fd, F_GETFL) & O_APPEND, 0) << "the guest cleared the parent's O_APPEND";
    ::close(fd);
    std::ifstream file(log);
    std::stringstream contents;
    contents << file.rdbuf();
    EXPECT_EQ(contents.str(), "before\nguest\n");
    struct stat after {};
    ASSERT_EQ(::stat(log.c_str(), &after), 0);
    EXPECT_LT(after.st_blocks * 512, 1048576) << "the guest allocated disk through stdout";
    EXPECT_GE(after.st_mtim.tv_sec, before.st_mtim.tv_sec) << "the guest set the log's times";
}

// Under `ulimit -f`, a write past the limit is EFBIG for the guest (errno 22), not
// SIGXFSZ ending the tool (status 153).
TEST(RunWasi, FileSizeLimitIsAnErrorForTheGuestNotASignal)
{
    ChildSetup setup;
    setup.file_size_limit = 4096;
    Outcome run = wasmkern_with(setup, { "run", "--invoke", "fill_stdout", "host_files.wat" });
    EXPECT_EQ(run.status, 22) << run.err;
    EXPECT_EQ(run.out.size(), 4096u);
}

// Started with stderr closed, the tool must not let a file the guest opens take fd 2:
// the trap report would be written into it.
TEST(RunWasi, TrapReportNeverLandsInAGuestFileWhenStderrIsClosed)
{
    ScratchDirectory first;
    ScratchDirectory second;
    ASSERT_FALSE(first.path().empty());
    ASSERT_FALSE(second.path().empty());
    ChildSetup setup;
    setup.close_stderr = true;
    Outcome run = wasmkern_with(setup, { "run", "--dir", first.path(), "--dir", second.path(), "--invoke",
                                         "trap_after_reopen", "host_files.wat" });
    EXPECT_EQ(run.status, 134);
    std::ifstream file(second.path() + "/out.txt");
    std::stringstream contents;
    contents << file.rdbuf();
    EXPECT_EQ(contents.str(), "guest\n");
}

// proc_exit statuses outside [0, 126) end the run as an error (status 1), as under
// wasmtime: 256 must not look like success, nor 134 like a trap.
TEST(RunWasi, ExitStatusesOutsideTheWasiRangeAreAnError)
{
    Outcome fits = wasmkern({ "run", "--invoke", "exit_with", "host_files.wat", "125" });
    EXPECT_EQ(fits.status, 125) << fits.err;
    EXPECT_EQ(fits.err, "");
    for (char const* status : { "126", "134", "255", "256", "4294967295" }) {
        Outcome run = wasmkern({ "run", "--invoke", "exit_with", "host_files.wat", status });
        EXPECT_EQ(run.status, 1) << status;
        EXPECT_EQ(run.err, std::string("error: proc_exit(") + (status[0] == '4' ? "4294967295" : status) +
                               "): exit status outside [0, 126)\n");
    }
}

// The command glue (engine/wasi/command.h) the kernel shares: proc_exit in the start function
// ends the instantiation with its status, and `_start` must be a () -> () function.
TEST(RunWasi, StartFunctionExitAndStartTypeFollowTheCommandGlue)
{
    ScratchDirectory scratch;
    auto text = [](std::string const& wat) { return std::vector<unsigned char>(wat.begin(), wat.end()); };
    std::string exiting = scratch.write("start_exit.wat", text(R"((module
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        (memory (export "memory") 1)
        (func $init i32.const 7 call $exit unreachable)
        (start $init)
        (func (export "_start") unreachable)))"));
    Outcome exited = wasmkern({ "run", exiting });
    EXPECT_EQ(exited.status, 7) << exited.err;
    EXPECT_EQ(exited.err, "");

    std::string typed = scratch.write("start_type.wat", text(R"((module (func (export "_start") (param i32))))"));
    Outcome refused = wasmkern({ "run", typed });
    EXPECT_EQ(refused.status, 1);
    EXPECT_TRUE(contains(refused.err, "start_type.wat: _start must take no parameters and return no results"))
        << refused.err;
}

// A device has no size to check first: /dev/zero is read one byte past the module
// size limit (1 GiB) and refused, instead of until memory runs out.
TEST(RunErrors, ModuleFilesHaveASizeLimit)
{
    Outcome run = wasmkern({ "run", "/dev/zero" });
    EXPECT_EQ(run.status, 1);
    EXPECT_EQ(run.err, "/dev/zero: cannot read: larger than the module size limit (1073741824 bytes)\n");
}

// The decoder's limits reach the command line with their names (engine/binary/limits.h).
TEST(RunErrors, ModulesOverTheEngineLimitsAreRefused)
{
    ScratchDirectory scratch;
    ASSERT_FALSE(scratch.path().empty());
    // A function section declaring 1000001 functions (one byte each, type 0).
    std::vector<unsigned char> bytes = { 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00 };
    std::vector<unsigned char> contents = { 0xc1, 0x84, 0x3d }; // LEB128 1000001
    contents.resize(contents.size() + 1000001, 0x00);
    bytes.push_back(0x03);
    for (unsigned long size = contents.size();;) { // LEB128 section size
        unsigned char byte = size & 0x7f;
        size >>= 7;
        bytes.push_back(size ? byte | 0x80 : byte);
        if (!size)
            break;
    }
    bytes.insert(bytes.end(), contents.begin(), contents.end());
    std::string path = scratch.write("many.wasm", bytes);
    Outcome run = wasmkern({ "run", path });
    EXPECT_EQ(run.status, 1);
    EXPECT_TRUE(contains(run.err, "many.wasm: offset 0x12: too many functions (limit 1000000)")) << run.err;
}
