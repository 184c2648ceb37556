// The shell's command language (docs/userland.md, "The shell"): words with quotes and $
// expansions, redirections, pipelines, and lists joined by ; && || with a final &. Pure C
// without I/O, so that it can be tested apart from the shell.
#pragma once

#include <stddef.h>

#define SH_MAX_WORDS 128    // words of one command
#define SH_MAX_COMMANDS 16  // commands of one pipeline
#define SH_STORAGE 65536    // bytes of one pipeline's expanded words

// How a pipeline is joined to the one after it.
enum ShConnector { SH_END, SH_SEQUENCE, SH_AND, SH_OR };

struct ShCommand {
    char* argv[SH_MAX_WORDS + 1]; // NULL-terminated
    int argc;
    const char* input;  // < FILE, or NULL
    const char* output; // > FILE or >> FILE, or NULL
    int output_append;
    const char* error;  // 2> FILE or 2>> FILE, or NULL
    int error_append;
    int error_to_output; // 2>&1: fd 2 is whatever fd 1 is (after the pipe and > FILE)
};

struct ShPipeline {
    struct ShCommand commands[SH_MAX_COMMANDS];
    int count;
    int background; // ended by &
};

// What $NAME stands for: the value, or NULL for an unset variable (expands to nothing).
// `name` is not NUL-terminated. "?" is the last status.
typedef const char* (*ShLookup)(const char* name, size_t length, void* data);

// Checks the whole line without expanding anything: NULL when it is well-formed, else the
// one-line message (an unterminated quote, an operator without a command on one side, a
// redirection without a file name, too many words or commands).
const char* sh_check(const char* line);

// Parses the pipeline that starts at *cursor (in a line sh_check accepted), expanding $
// with `lookup`, into `pipeline` (its words point into `storage`, SH_STORAGE bytes). Sets
// *cursor past the pipeline and its connector and *connector to it. Returns NULL or a
// message (the words expanded beyond SH_STORAGE). A pipeline of no command (an empty line,
// a comment) has count 0.
const char* sh_parse_pipeline(const char** cursor, ShLookup lookup, void* data, struct ShPipeline* pipeline,
    char* storage, enum ShConnector* connector);
