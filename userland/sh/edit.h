// The shell's line editor (docs/userland.md, "The shell"): the console is raw, so the shell
// echoes and edits what is typed itself, keeps a history for the Up and Down keys and
// completes paths with Tab.
#pragma once

#include <stddef.h>

#define SH_LINE_CAPACITY 1024 // bytes of a line, including room for the NUL
#define SH_HISTORY 64         // lines kept for Up and Down

struct ShEditor {
    char line[SH_LINE_CAPACITY];
    size_t length;
    int overflowed;   // a byte was refused: the line is refused when it ends
    int after_cr;     // the last byte ended a line with CR: a following LF is part of it
    int escape_state; // after ESC, ESC [ or ESC O
    int escape_length;
    int interrupted;  // the line ended with Ctrl-C
    char* history[SH_HISTORY]; // oldest first, malloc'ed
    int history_count;
    int recalled; // index into history while Up/Down browse it; history_count: the new line
    char draft[SH_LINE_CAPACITY]; // the line being typed when Up was first pressed
};

enum ShLineResult { SH_LINE_DONE, SH_LINE_END_OF_INPUT, SH_LINE_READ_ERROR };

// Reads one line from fd 0 with editing; `prompt` is what precedes it on the screen (Tab
// redraws it after listing candidates) and `cwd` where relative paths complete from. On
// SH_LINE_DONE and SH_LINE_END_OF_INPUT the line (possibly partial for the latter) is
// NUL-terminated in editor->line.
enum ShLineResult sh_read_line(struct ShEditor*, const char* prompt, const char* cwd);

// Adds a line to the history (not an empty one, nor a repeat of the last one).
void sh_remember(struct ShEditor*, const char* line);
