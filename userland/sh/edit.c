// The shell's line editor: see edit.h.
#include "edit.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wasmkern.h"

#define MAX_ESCAPE_BYTES 32 // a longer escape sequence is given up on
#define MAX_CANDIDATES 256  // names Tab considers in one directory

enum EscapeState {
    ESCAPE_NONE,
    ESCAPE_START,     // after ESC
    ESCAPE_CSI,       // after ESC [ : parameters, intermediates, then a final byte
    ESCAPE_LAST_BYTE, // after ESC O : one more byte
};

static void echo(const char* text) { fputs(text, stdout); }

static void erase_character(struct ShEditor* editor)
{
    if (editor->length == 0)
        return;
    // A UTF-8 character goes as a whole: its continuation bytes, then its first byte.
    while (editor->length > 1 && ((unsigned char)editor->line[editor->length - 1] & 0xc0) == 0x80)
        --editor->length;
    --editor->length;
    echo("\b \b");
}

static void erase_line(struct ShEditor* editor)
{
    while (editor->length > 0)
        erase_character(editor);
}

// Replaces the line on the screen and in the editor by `text` (cut to the capacity).
static void show_line(struct ShEditor* editor, const char* text)
{
    erase_line(editor);
    size_t length = strlen(text);
    if (length >= SH_LINE_CAPACITY)
        length = SH_LINE_CAPACITY - 1;
    memcpy(editor->line, text, length);
    editor->length = length;
    editor->line[length] = '\0';
    fwrite(editor->line, 1, length, stdout);
}

void sh_remember(struct ShEditor* editor, const char* line)
{
    if (line[0] == '\0')
        return;
    if (editor->history_count > 0 && strcmp(editor->history[editor->history_count - 1], line) == 0)
        return;
    char* copy = strdup(line);
    if (!copy)
        return;
    if (editor->history_count == SH_HISTORY) {
        free(editor->history[0]);
        memmove(editor->history, editor->history + 1, (SH_HISTORY - 1) * sizeof *editor->history);
        --editor->history_count;
    }
    editor->history[editor->history_count++] = copy;
}

// Up (older, `step` -1) or Down (newer, +1) through the history.
static void recall(struct ShEditor* editor, int step)
{
    int target = editor->recalled + step;
    if (target < 0 || target > editor->history_count)
        return;
    if (editor->recalled == editor->history_count) {
        editor->line[editor->length] = '\0';
        strcpy(editor->draft, editor->line);
    }
    editor->recalled = target;
    show_line(editor, target == editor->history_count ? editor->draft : editor->history[target]);
}

// Appends `text` to the line with its echo; 0 when it did not fit.
static int insert_text(struct ShEditor* editor, const char* text, size_t length)
{
    if (editor->length + length + 1 > SH_LINE_CAPACITY)
        return 0;
    memcpy(editor->line + editor->length, text, length);
    editor->length += length;
    fwrite(text, 1, length, stdout);
    return 1;
}

static int compare_names(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

// Tab: completes the word before the end of the line as a path (as a program in /bin when it
// is the first word and has no '/'): one candidate is completed with "/" for a directory or
// " " after it; several are completed to their common start, and when that adds nothing
// they are listed and the prompt and line drawn again. Quotes in the word are not followed.
static void complete(struct ShEditor* editor, const char* prompt, const char* cwd)
{
    editor->line[editor->length] = '\0';
    size_t word_start = editor->length;
    while (word_start > 0 && editor->line[word_start - 1] != ' ' && editor->line[word_start - 1] != '\t'
        && !strchr("|&;<>", editor->line[word_start - 1]))
        --word_start;
    const char* word = editor->line + word_start;
    const char* slash = strrchr(word, '/');
    int first_word = 1;
    for (size_t i = 0; i < word_start; ++i)
        first_word &= editor->line[i] == ' ' || editor->line[i] == '\t';
    char directory[WK_PATH_MAX];
    const char* prefix;
    if (slash) {
        char given[WK_PATH_MAX];
        size_t length = (size_t)(slash - word) + 1;
        if (length >= sizeof given)
            return;
        memcpy(given, word, length);
        given[length] = '\0';
        if (wk_resolve_path(cwd, given, directory) != 0)
            return;
        prefix = slash + 1;
    } else {
        if (wk_resolve_path(cwd, first_word ? "/bin" : ".", directory) != 0)
            return;
        prefix = word;
    }
    size_t prefix_length = strlen(prefix);
    DIR* dir = opendir(directory);
    if (!dir)
        return;
    char* names[MAX_CANDIDATES];
    int count = 0;
    for (struct dirent* entry; (entry = readdir(dir)) && count < MAX_CANDIDATES;) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        if (strncmp(entry->d_name, prefix, prefix_length) != 0)
            continue;
        if (prefix_length == 0 && entry->d_name[0] == '.')
            continue;
        size_t length = strlen(entry->d_name);
        char* name = malloc(length + 2);
        if (!name)
            break;
        memcpy(name, entry->d_name, length + 1);
        if (entry->d_type == DT_DIR)
            strcpy(name + length, "/");
        names[count++] = name;
    }
    closedir(dir);
    if (count == 1) {
        const char* rest = names[0] + prefix_length;
        size_t length = strlen(rest);
        int is_directory = length > 0 && rest[length - 1] == '/';
        if (insert_text(editor, rest, length) && !is_directory)
            insert_text(editor, " ", 1);
    } else if (count > 1) {
        size_t common = strlen(names[0]);
        for (int i = 1; i < count; ++i) {
            size_t same = 0;
            while (same < common && names[i][same] == names[0][same])
                ++same;
            common = same;
        }
        if (common > prefix_length) {
            insert_text(editor, names[0] + prefix_length, common - prefix_length);
        } else {
            qsort(names, (size_t)count, sizeof *names, compare_names);
            echo("\n");
            for (int i = 0; i < count; ++i)
                printf(i + 1 < count ? "%s  " : "%s\n", names[i]);
            fputs(prompt, stdout);
            fwrite(editor->line, 1, editor->length, stdout);
        }
    }
    for (int i = 0; i < count; ++i)
        free(names[i]);
}

// Whether `byte` ends, continues or aborts the escape sequence in progress. Returns 1 when the
// byte was consumed by the sequence, 0 when it is to be handled as ordinary input. Up and
// Down (ESC [ A, ESC [ B, or ESC O A, ESC O B) browse the history; other sequences do nothing.
static int consume_escape(struct ShEditor* editor, unsigned char byte)
{
    switch (editor->escape_state) {
    case ESCAPE_START:
        editor->escape_length = 0;
        editor->escape_state = byte == '[' ? ESCAPE_CSI : byte == 'O' ? ESCAPE_LAST_BYTE : ESCAPE_NONE;
        // ESC followed by a control byte: the control byte still counts (ESC then Enter).
        return byte >= 0x20;
    case ESCAPE_CSI:
        if (byte >= 0x20 && byte <= 0x3f && ++editor->escape_length < MAX_ESCAPE_BYTES)
            return 1; // parameter or intermediate byte
        editor->escape_state = ESCAPE_NONE;
        if (editor->escape_length == 0 && (byte == 'A' || byte == 'B'))
            recall(editor, byte == 'A' ? -1 : 1);
        return byte >= 0x40 && byte <= 0x7e; // a final byte ends it; anything else is input
    case ESCAPE_LAST_BYTE:
        editor->escape_state = ESCAPE_NONE;
        if (byte == 'A' || byte == 'B')
            recall(editor, byte == 'A' ? -1 : 1);
        return byte >= 0x20;
    default:
        return 0;
    }
}

enum ShLineResult sh_read_line(struct ShEditor* editor, const char* prompt, const char* cwd)
{
    editor->length = 0;
    editor->overflowed = 0;
    editor->interrupted = 0;
    editor->escape_state = ESCAPE_NONE;
    editor->recalled = editor->history_count;
    for (;;) {
        fflush(stdout);
        unsigned char byte;
        ssize_t count = read(STDIN_FILENO, &byte, 1);
        if (count < 0 && errno == EINTR)
            continue;
        if (count < 0) {
            editor->line[editor->length] = '\0';
            return SH_LINE_READ_ERROR;
        }
        if (count == 0) {
            editor->line[editor->length] = '\0';
            return SH_LINE_END_OF_INPUT;
        }
        int after_cr = editor->after_cr;
        editor->after_cr = 0;
        if (editor->escape_state != ESCAPE_NONE && consume_escape(editor, byte))
            continue;
        switch (byte) {
        case '\n':
            if (after_cr)
                continue; // CR LF: the line already ended at CR
            /* fallthrough */
        case '\r':
            editor->after_cr = byte == '\r';
            editor->line[editor->length] = '\0';
            echo("\n");
            return SH_LINE_DONE;
        case 0x7f: // DEL, what most terminals send for Backspace
        case '\b':
            erase_character(editor);
            continue;
        case 0x15: // Ctrl-U
            erase_line(editor);
            editor->overflowed = 0;
            continue;
        case 0x03: // Ctrl-C: abandon the line
            echo("^C\n");
            editor->length = 0;
            editor->overflowed = 0;
            editor->interrupted = 1;
            editor->line[0] = '\0';
            return SH_LINE_DONE;
        case 0x04: // Ctrl-D: end of input on an empty line, ignored otherwise
            if (editor->length == 0) {
                editor->line[0] = '\0';
                return SH_LINE_END_OF_INPUT;
            }
            continue;
        case 0x1b:
            editor->escape_state = ESCAPE_START;
            continue;
        case '\t':
            if (!editor->overflowed)
                complete(editor, prompt, cwd);
            continue;
        default:
            if (byte < 0x20)
                continue; // other control bytes do nothing
            break;
        }
        if (editor->length + 1 >= SH_LINE_CAPACITY) {
            editor->overflowed = 1;
            echo("\a");
            continue;
        }
        editor->line[editor->length++] = (char)byte;
        fputc(byte, stdout);
    }
}
