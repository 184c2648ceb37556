// The shell's command language (userland/sh/parse.h): tokens, quotes, expansion, operators,
// redirections and every syntax error, without running anything.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

extern "C" {
#include "parse.h"
}

namespace {

std::map<std::string, std::string> g_variables;

const char* lookup(const char* name, size_t length, void*)
{
    auto found = g_variables.find(std::string(name, length));
    return found == g_variables.end() ? nullptr : found->second.c_str();
}

struct Parsed {
    struct ShPipeline pipeline;
    enum ShConnector connector;
    const char* problem;
};

// Every pipeline of `line`, parsed in turn (stops at the first problem).
std::vector<Parsed> parse_all(const char* line, std::vector<std::string>* words = nullptr)
{
    // Words point into the storage: each pipeline gets its own, so that all stay readable.
    static char storage[8][SH_STORAGE];
    std::vector<Parsed> result;
    const char* cursor = line;
    for (;;) {
        Parsed parsed {};
        if (result.size() == 8) {
            ADD_FAILURE() << "more pipelines than the test keeps";
            return result;
        }
        parsed.problem
            = sh_parse_pipeline(&cursor, lookup, nullptr, &parsed.pipeline, storage[result.size()], &parsed.connector);
        if (words) {
            for (int c = 0; c < parsed.pipeline.count; ++c)
                for (int w = 0; w < parsed.pipeline.commands[c].argc; ++w)
                    words->push_back(parsed.pipeline.commands[c].argv[w]);
        }
        result.push_back(parsed);
        if (parsed.problem || parsed.connector == SH_END)
            return result;
    }
}

std::vector<std::string> words_of(const char* line)
{
    std::vector<std::string> words;
    auto parsed = parse_all(line, &words);
    EXPECT_EQ(parsed.back().problem, nullptr) << line;
    return words;
}

std::string check(const char* line)
{
    const char* problem = sh_check(line);
    return problem ? problem : "";
}

TEST(ShellParse, WordsQuotesAndComments)
{
    using Words = std::vector<std::string>;
    EXPECT_EQ(words_of("echo  'a  b' \"c \\\" \\\\ \\x\" d\\ e '' # gone"),
        (Words { "echo", "a  b", "c \" \\ \\x", "d e", "" }));
    EXPECT_EQ(words_of("echo a#b 2 x\\#"), (Words { "echo", "a#b", "2", "x#" }));
}

TEST(ShellParse, Expansion)
{
    g_variables = { { "A", "one two" }, { "EMPTY", "" }, { "?", "7" } };
    using Words = std::vector<std::string>;
    EXPECT_EQ(words_of("echo $A \"$A\" '$A' \\$A ${A}x $Ax $? $ a$?b \"\\$A\""),
        (Words { "echo", "one two", "one two", "$A", "$A", "one twox", "7", "$", "a7b", "$A" }));
    // Unquoted expansions of nothing are no word; quoted ones are an empty word.
    EXPECT_EQ(words_of("echo $EMPTY $UNSET \"$EMPTY\" x$UNSET"), (Words { "echo", "", "x" }));
    auto parsed = parse_all("$UNSET");
    EXPECT_EQ(parsed[0].pipeline.count, 0);
}

TEST(ShellParse, PipelinesListsAndRedirections)
{
    auto parsed = parse_all("cat < in | grep x 2>&1 | wc -l >> out 2> err; a && b || c &");
    ASSERT_EQ(parsed.size(), 4u);
    const ShPipeline& first = parsed[0].pipeline;
    ASSERT_EQ(first.count, 3);
    EXPECT_EQ(parsed[0].connector, SH_SEQUENCE);
    EXPECT_STREQ(first.commands[0].argv[0], "cat");
    EXPECT_STREQ(first.commands[0].input, "in");
    EXPECT_EQ(first.commands[0].argv[1], nullptr);
    EXPECT_TRUE(first.commands[1].error_to_output);
    EXPECT_EQ(first.commands[1].argc, 2);
    EXPECT_STREQ(first.commands[2].output, "out");
    EXPECT_TRUE(first.commands[2].output_append);
    EXPECT_STREQ(first.commands[2].error, "err");
    EXPECT_FALSE(first.commands[2].error_append);
    EXPECT_EQ(parsed[1].connector, SH_AND);
    EXPECT_EQ(parsed[2].connector, SH_OR);
    EXPECT_EQ(parsed[3].connector, SH_END);
    EXPECT_TRUE(parsed[3].pipeline.background);
    EXPECT_FALSE(parsed[2].pipeline.background);
    // Operators need no spaces; quoted ones are words.
    auto tight = parse_all("a|b>f;c&&d");
    ASSERT_EQ(tight.size(), 3u);
    EXPECT_EQ(tight[0].pipeline.count, 2);
    EXPECT_STREQ(tight[0].pipeline.commands[1].output, "f");
    using Words = std::vector<std::string>;
    EXPECT_EQ(words_of("echo '|' \";\" \\& '&&' 2\\>x"), (Words { "echo", "|", ";", "&", "&&", "2>x" }));
}

// The lines of the builtins' boot session (tests/userland/boot-pipes.sh): the shell decides
// what is a builtin by argv[0] after parsing, so a builtin's pipes and redirections are
// parsed like a program's.
TEST(ShellParse, BuiltinPipelinesAndRedirections)
{
    auto piped = parse_all("help | grep -c Builtins");
    ASSERT_EQ(piped.size(), 1u);
    ASSERT_EQ(piped[0].pipeline.count, 2);
    EXPECT_STREQ(piped[0].pipeline.commands[0].argv[0], "help");
    EXPECT_EQ(piped[0].pipeline.commands[0].output, nullptr);
    EXPECT_STREQ(piped[0].pipeline.commands[1].argv[2], "Builtins");

    auto listed = parse_all("pwd > p; echo a; pwd >> p 2>&1; cat p");
    ASSERT_EQ(listed.size(), 4u);
    const ShCommand& first = listed[0].pipeline.commands[0];
    EXPECT_EQ(first.argc, 1);
    EXPECT_STREQ(first.output, "p");
    EXPECT_FALSE(first.output_append);
    EXPECT_FALSE(first.error_to_output);
    const ShCommand& third = listed[2].pipeline.commands[0];
    EXPECT_STREQ(third.argv[0], "pwd");
    EXPECT_EQ(third.argc, 1);
    EXPECT_STREQ(third.output, "p");
    EXPECT_TRUE(third.output_append);
    EXPECT_TRUE(third.error_to_output);
    EXPECT_EQ(third.error, nullptr);

    auto inward = parse_all("pwd < nothing 2> e; kill x 2>&1 | cat");
    ASSERT_EQ(inward.size(), 2u);
    EXPECT_STREQ(inward[0].pipeline.commands[0].input, "nothing");
    EXPECT_STREQ(inward[0].pipeline.commands[0].error, "e");
    EXPECT_EQ(inward[1].pipeline.count, 2);
    EXPECT_TRUE(inward[1].pipeline.commands[0].error_to_output);
    EXPECT_EQ(inward[1].pipeline.commands[0].argc, 2);
    // A redirection before the builtin's name leaves the name first.
    auto before = parse_all("> out exit 5");
    ASSERT_EQ(before[0].pipeline.count, 1);
    EXPECT_STREQ(before[0].pipeline.commands[0].argv[0], "exit");
    EXPECT_STREQ(before[0].pipeline.commands[0].output, "out");
}

TEST(ShellParse, SyntaxErrors)
{
    EXPECT_EQ(check(""), "");
    EXPECT_EQ(check("  # only a comment"), "");
    EXPECT_EQ(check("a; b;"), "");
    EXPECT_EQ(check("echo 'open"), "unterminated single quote");
    EXPECT_EQ(check("echo \"open"), "unterminated double quote");
    EXPECT_EQ(check("echo ${A"), "unterminated ${");
    EXPECT_EQ(check("echo x\\"), "the line ends with a backslash");
    EXPECT_EQ(check("echo a |"), "syntax error: | without a command after it");
    EXPECT_EQ(check("echo a | ; b"), "syntax error: | without a command after it");
    EXPECT_EQ(check("| echo a"), "syntax error: | without a command before it");
    EXPECT_EQ(check("a | | b"), "syntax error: | without a command before it");
    EXPECT_EQ(check("echo a >"), "syntax error: > without a file name");
    EXPECT_EQ(check("echo a >> | b"), "syntax error: >> without a file name");
    EXPECT_EQ(check("cat <"), "syntax error: < without a file name");
    EXPECT_EQ(check("x 2>"), "syntax error: 2> without a file name");
    EXPECT_EQ(check("x 2>>;"), "syntax error: 2>> without a file name");
    EXPECT_EQ(check("> f"), "syntax error: a redirection without a command");
    EXPECT_EQ(check("&& b"), "syntax error: && without a command before it");
    EXPECT_EQ(check("a && || b"), "syntax error: || without a command before it");
    EXPECT_EQ(check("; a"), "syntax error: ; without a command before it");
    EXPECT_EQ(check("a &&"), "syntax error: && without a command after it");
    EXPECT_EQ(check("a ||  # comment"), "syntax error: || without a command after it");
    EXPECT_EQ(check("a & b"), "& must end the command");
    EXPECT_EQ(check("  &"), "& without a command");
    // The check does not know values: a variable counts as a command.
    EXPECT_EQ(check("$CMD | $OTHER"), "");
}

TEST(ShellParse, Limits)
{
    std::string many = "x";
    for (int i = 0; i < SH_MAX_WORDS; ++i)
        many += " w";
    EXPECT_EQ(check(many.c_str()), "too many words in a command (at most 128)");
    std::string pipes = "a";
    for (int i = 0; i < SH_MAX_COMMANDS; ++i)
        pipes += " | a";
    EXPECT_EQ(check(pipes.c_str()), "too many commands in a pipeline (at most 16)");
    // Expansion beyond the storage is refused, not cut short.
    g_variables = { { "BIG", std::string(SH_STORAGE / 2, 'b') } };
    auto parsed = parse_all("echo $BIG $BIG $BIG");
    ASSERT_NE(parsed.back().problem, nullptr);
    EXPECT_STREQ(parsed.back().problem, "the words are too long after expansion (at most 64 KiB)");
}

} // namespace
