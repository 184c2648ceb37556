// The shell's command language: see parse.h and docs/userland.md ("The shell").
#include "parse.h"

#include <string.h>

enum TokenKind {
    TOKEN_WORD,
    TOKEN_PIPE,         // |
    TOKEN_AND,          // &&
    TOKEN_OR,           // ||
    TOKEN_SEQUENCE,     // ;
    TOKEN_BACKGROUND,   // &
    TOKEN_INPUT,        // <
    TOKEN_OUTPUT,       // >
    TOKEN_APPEND,       // >>
    TOKEN_ERROR,        // 2>
    TOKEN_ERROR_APPEND, // 2>>
    TOKEN_ERROR_TO_OUTPUT, // 2>&1
    TOKEN_END,          // end of line, or a comment
};

static const char* const token_names[] = { "word", "|", "&&", "||", ";", "&", "<", ">", ">>", "2>", "2>>", "2>&1", "end" };

struct Lexer {
    const char* in;
    ShLookup lookup;
    void* data;
    char* out;
    char* out_end;
    int overflowed;
};

static void put(struct Lexer* lexer, char byte)
{
    if (lexer->out < lexer->out_end)
        *lexer->out++ = byte;
    else
        lexer->overflowed = 1;
}

static void put_text(struct Lexer* lexer, const char* text)
{
    for (; text && *text; ++text)
        put(lexer, *text);
}

static int is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static int is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }
static int is_operator_char(char c) { return c == '|' || c == '&' || c == ';' || c == '<' || c == '>'; }

// Expands the $ at lexer->in. Sets *expanded when a variable was looked up (a lone $ is
// literal). NULL or a message.
static const char* expand_dollar(struct Lexer* lexer, int* expanded)
{
    const char* at = lexer->in + 1;
    *expanded = 1;
    if (*at == '?') {
        put_text(lexer, lexer->lookup("?", 1, lexer->data));
        lexer->in = at + 1;
        return NULL;
    }
    if (*at == '{') {
        const char* name = at + 1;
        const char* end = name;
        while (is_name_char(*end))
            ++end;
        if (*end != '}' || end == name || !is_name_start(*name))
            return *end == '\0' ? "unterminated ${" : "bad ${NAME}";
        put_text(lexer, lexer->lookup(name, (size_t)(end - name), lexer->data));
        lexer->in = end + 1;
        return NULL;
    }
    if (is_name_start(*at)) {
        const char* end = at;
        while (is_name_char(*end))
            ++end;
        put_text(lexer, lexer->lookup(at, (size_t)(end - at), lexer->data));
        lexer->in = end;
        return NULL;
    }
    *expanded = 0;
    put(lexer, '$');
    ++lexer->in;
    return NULL;
}

// Reads one word at lexer->in into lexer->out (NUL-terminated). *keep is 0 when the word
// was nothing but unquoted expansions of empty or unset variables: it is no word then.
static const char* read_word(struct Lexer* lexer, int* keep)
{
    const char* problem = NULL;
    char* start = lexer->out;
    int quoted = 0;
    int literal = 0;
    while (*lexer->in && *lexer->in != ' ' && *lexer->in != '\t' && !is_operator_char(*lexer->in)) {
        char c = *lexer->in;
        if (c == '\'') {
            const char* close = strchr(lexer->in + 1, '\'');
            if (!close)
                return "unterminated single quote";
            for (const char* p = lexer->in + 1; p < close; ++p)
                put(lexer, *p);
            lexer->in = close + 1;
            quoted = 1;
        } else if (c == '"') {
            quoted = 1;
            for (++lexer->in; *lexer->in != '"';) {
                if (*lexer->in == '\0')
                    return "unterminated double quote";
                if (*lexer->in == '$') {
                    int expanded;
                    if ((problem = expand_dollar(lexer, &expanded)))
                        return problem;
                    continue;
                }
                if (*lexer->in == '\\' && (lexer->in[1] == '"' || lexer->in[1] == '\\' || lexer->in[1] == '$'))
                    ++lexer->in;
                put(lexer, *lexer->in++);
            }
            ++lexer->in;
        } else if (c == '\\') {
            if (lexer->in[1] == '\0')
                return "the line ends with a backslash";
            put(lexer, lexer->in[1]);
            lexer->in += 2;
            literal = 1;
        } else if (c == '$') {
            int expanded;
            if ((problem = expand_dollar(lexer, &expanded)))
                return problem;
            literal |= !expanded;
        } else {
            put(lexer, c);
            ++lexer->in;
            literal = 1;
        }
    }
    put(lexer, '\0');
    *keep = quoted || literal || lexer->out - start > 1;
    if (!*keep)
        lexer->out = start;
    return NULL;
}

// The next token; for a word, *word is its text in the storage (NULL when dropped).
static const char* next_token(struct Lexer* lexer, enum TokenKind* kind, char** word)
{
    while (*lexer->in == ' ' || *lexer->in == '\t')
        ++lexer->in;
    const char* in = lexer->in;
    *word = NULL;
    switch (*in) {
    case '\0':
    case '#':
        *kind = TOKEN_END;
        return NULL;
    case '|':
        *kind = in[1] == '|' ? TOKEN_OR : TOKEN_PIPE;
        break;
    case '&':
        *kind = in[1] == '&' ? TOKEN_AND : TOKEN_BACKGROUND;
        break;
    case ';':
        *kind = TOKEN_SEQUENCE;
        break;
    case '<':
        *kind = TOKEN_INPUT;
        break;
    case '>':
        *kind = in[1] == '>' ? TOKEN_APPEND : TOKEN_OUTPUT;
        break;
    case '2':
        if (in[1] == '>') {
            *kind = in[2] == '&' && in[3] == '1' ? TOKEN_ERROR_TO_OUTPUT : in[2] == '>' ? TOKEN_ERROR_APPEND : TOKEN_ERROR;
            break;
        }
        /* fallthrough */
    default: {
        *kind = TOKEN_WORD;
        char* start = lexer->out;
        int keep = 0;
        const char* problem = read_word(lexer, &keep);
        if (!problem && keep)
            *word = start;
        return problem;
    }
    }
    lexer->in += strlen(token_names[*kind]);
    return NULL;
}

static const char kPipeWithoutCommandBefore[] = "syntax error: | without a command before it";
static const char kPipeWithoutCommandAfter[] = "syntax error: | without a command after it";
static const char kTooManyWords[] = "too many words in a command (at most 128)";
static const char kTooManyCommands[] = "too many commands in a pipeline (at most 16)";
static const char kExpansionTooLong[] = "the words are too long after expansion (at most 64 KiB)";
static const char kBackgroundNotLast[] = "& must end the command";
static const char kBackgroundAlone[] = "& without a command";

static const char* missing_target(enum TokenKind kind)
{
    switch (kind) {
    case TOKEN_INPUT: return "syntax error: < without a file name";
    case TOKEN_OUTPUT: return "syntax error: > without a file name";
    case TOKEN_APPEND: return "syntax error: >> without a file name";
    case TOKEN_ERROR: return "syntax error: 2> without a file name";
    default: return "syntax error: 2>> without a file name";
    }
}

const char* sh_parse_pipeline(const char** cursor, ShLookup lookup, void* data, struct ShPipeline* pipeline,
    char* storage, enum ShConnector* connector)
{
    struct Lexer lexer = { *cursor, lookup, data, storage, storage + SH_STORAGE, 0 };
    memset(pipeline, 0, sizeof *pipeline);
    *connector = SH_END;
    struct ShCommand* command = NULL; // the command being read
    int after_pipe = 0;
    const char* problem = NULL;
    for (;;) {
        enum TokenKind kind;
        char* word;
        if ((problem = next_token(&lexer, &kind, &word)))
            break;
        if (lexer.overflowed) {
            problem = kExpansionTooLong;
            break;
        }
        if (kind == TOKEN_WORD || (kind >= TOKEN_INPUT && kind <= TOKEN_ERROR_TO_OUTPUT)) {
            if (!command) {
                if (pipeline->count == SH_MAX_COMMANDS) {
                    problem = kTooManyCommands;
                    break;
                }
                command = &pipeline->commands[pipeline->count++];
                after_pipe = 0;
            }
            if (kind == TOKEN_WORD) {
                if (!word)
                    continue;
                if (command->argc == SH_MAX_WORDS) {
                    problem = kTooManyWords;
                    break;
                }
                command->argv[command->argc++] = word;
                continue;
            }
            if (kind == TOKEN_ERROR_TO_OUTPUT) {
                command->error_to_output = 1;
                command->error = NULL;
                continue;
            }
            enum TokenKind target_kind;
            char* target;
            if ((problem = next_token(&lexer, &target_kind, &target)))
                break;
            if (target_kind != TOKEN_WORD) {
                problem = missing_target(kind);
                break;
            }
            if (!target) {
                problem = "a redirection's file name expanded to nothing";
                break;
            }
            if (kind == TOKEN_INPUT) {
                command->input = target;
            } else if (kind == TOKEN_OUTPUT || kind == TOKEN_APPEND) {
                command->output = target;
                command->output_append = kind == TOKEN_APPEND;
            } else {
                command->error = target;
                command->error_append = kind == TOKEN_ERROR_APPEND;
                command->error_to_output = 0;
            }
            continue;
        }
        // An operator or the end: the command before it is complete.
        int empty = !command || (command->argc == 0 && !command->input && !command->output && !command->error);
        if (command && command->argc == 0 && !empty) {
            problem = "syntax error: a redirection without a command";
            break;
        }
        if (kind == TOKEN_PIPE) {
            if (empty) {
                problem = kPipeWithoutCommandBefore;
                break;
            }
            command = NULL;
            after_pipe = 1;
            continue;
        }
        if (after_pipe) {
            problem = kPipeWithoutCommandAfter;
            break;
        }
        if (empty && command)
            pipeline->count = 0; // only expansions to nothing: no command at all
        if (kind == TOKEN_BACKGROUND) {
            enum TokenKind following;
            char* ignored;
            const char* rest = lexer.in;
            if ((problem = next_token(&lexer, &following, &ignored)))
                break;
            lexer.in = rest;
            if (following != TOKEN_END) {
                problem = kBackgroundNotLast;
                break;
            }
            if (pipeline->count == 0) {
                problem = kBackgroundAlone;
                break;
            }
            pipeline->background = 1;
            *connector = SH_END;
        } else if (kind == TOKEN_AND || kind == TOKEN_OR || kind == TOKEN_SEQUENCE) {
            if (pipeline->count == 0) {
                static char message[64];
                strcpy(message, "syntax error: ");
                strcat(message, token_names[kind]);
                strcat(message, " without a command before it");
                problem = message;
                break;
            }
            *connector = kind == TOKEN_AND ? SH_AND : kind == TOKEN_OR ? SH_OR : SH_SEQUENCE;
        }
        break;
    }
    for (int i = 0; i < pipeline->count; ++i)
        pipeline->commands[i].argv[pipeline->commands[i].argc] = NULL;
    *cursor = *connector == SH_END ? lexer.in + strlen(lexer.in) : lexer.in;
    return problem;
}

// While checking, every variable stands for a non-empty word: whether a command is there
// must not depend on values the check does not know.
static const char* placeholder(const char* name, size_t length, void* data)
{
    (void)name;
    (void)length;
    (void)data;
    return "x";
}

const char* sh_check(const char* line)
{
    static struct ShPipeline pipeline;
    static char storage[SH_STORAGE];
    const char* cursor = line;
    enum ShConnector previous = SH_SEQUENCE;
    for (;;) {
        enum ShConnector connector;
        const char* problem = sh_parse_pipeline(&cursor, placeholder, NULL, &pipeline, storage, &connector);
        if (problem)
            return problem;
        if (pipeline.count == 0 && (previous == SH_AND || previous == SH_OR))
            return previous == SH_AND ? "syntax error: && without a command after it"
                                      : "syntax error: || without a command after it";
        if (connector == SH_END)
            return NULL;
        previous = connector;
    }
}
