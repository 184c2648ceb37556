// tail [-n [+]N | -c [+]N | -N] [FILE...]: the last N lines (default 10) or bytes of each FILE,
// or with +N everything from line or byte N on; no FILE, or "-", is standard input (a pipe
// works: input is streamed, keeping only the last N lines or bytes in memory). Several FILEs
// are headed `==> NAME <==`, separated by a blank line.
#include "wasmkern.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE* out)
{
    fprintf(out, "usage: tail [-n [+]LINES | -c [+]BYTES | -LINES] [FILE...]\n"
                 "Prints the last 10 lines (or LINES lines, or BYTES bytes) of each FILE; with +N,\n"
                 "everything from line or byte N on. No FILE, or \"-\", is standard input; several\n"
                 "FILEs get `==> FILE <==` headers.\n");
}

// The bytes kept so far: data[start, length).
struct Window {
    char* data;
    size_t start;
    size_t length;
    size_t capacity;
    unsigned long long newlines; // in data[start, length)
};

static int window_append(struct Window* window, const char* bytes, size_t size)
{
    if (window->start > 0 && window->start >= window->length / 2) {
        memmove(window->data, window->data + window->start, window->length - window->start);
        window->length -= window->start;
        window->start = 0;
    }
    if (size > window->capacity - window->length) {
        size_t capacity = window->capacity ? window->capacity : 65536;
        while (capacity - window->length < size) {
            if (capacity > SIZE_MAX / 2)
                return ENOMEM;
            capacity *= 2;
        }
        char* data = realloc(window->data, capacity);
        if (!data)
            return ENOMEM;
        window->data = data;
        window->capacity = capacity;
    }
    memcpy(window->data + window->length, bytes, size);
    window->length += size;
    return 0;
}

// Drops whole lines from the front until at most `keep` newlines remain.
static void window_drop_lines(struct Window* window, unsigned long long keep)
{
    while (window->newlines > keep) {
        char* newline = memchr(window->data + window->start, '\n', window->length - window->start);
        window->start = (size_t)(newline - window->data) + 1;
        --window->newlines;
    }
}

// Writes the last `limit` lines or bytes of file. 0, or ENOMEM.
static int copy_tail(FILE* file, unsigned long long limit, int by_lines)
{
    static char buffer[16384];
    struct Window window = { 0 };
    int error = 0;
    size_t size;
    while (!error && (size = fread(buffer, 1, sizeof buffer, file)) > 0) {
        error = window_append(&window, buffer, size);
        if (error)
            break;
        if (by_lines) {
            for (size_t i = 0; i < size; ++i)
                window.newlines += buffer[i] == '\n';
            window_drop_lines(&window, limit);
        } else if (window.length - window.start > limit) {
            window.start = window.length - (size_t)limit;
        }
    }
    if (!error && by_lines && window.length > window.start && window.data[window.length - 1] != '\n') {
        // The unterminated last line counts as a line.
        if (limit == 0)
            window.start = window.length;
        else
            window_drop_lines(&window, limit - 1);
    }
    if (!error)
        fwrite(window.data + window.start, 1, window.length - window.start, stdout);
    free(window.data);
    return error;
}

// Skips to line or byte `from` (1-based) and copies the rest.
static void copy_from(FILE* file, unsigned long long from, int by_lines)
{
    static char buffer[16384];
    unsigned long long skip = from > 0 ? from - 1 : 0;
    size_t size;
    while ((size = fread(buffer, 1, sizeof buffer, file)) > 0) {
        size_t at = 0;
        while (skip > 0 && at < size) {
            if (!by_lines) {
                size_t step = skip < size - at ? (size_t)skip : size - at;
                at += step;
                skip -= step;
            } else if (buffer[at++] == '\n') {
                --skip;
            }
        }
        fwrite(buffer + at, 1, size - at, stdout);
    }
}

int main(int argc, char** argv)
{
    unsigned long long limit = 10;
    int by_lines = 1;
    int from_start = 0;
    struct WkOptions options = WK_OPTIONS("tail", argc, argv, usage);
    for (const char* arg; (arg = wk_next_option(&options));) {
        if (wk_count_option(&options, arg, &limit, &by_lines, &from_start) != 0)
            return 2;
    }
    char** names;
    int count = wk_input_operands(&options, &names);
    int status = 0;
    int printed = 0;
    for (int i = 0; i < count; ++i) {
        FILE* file = wk_open_input("tail", names[i]);
        if (!file) {
            status = 1;
            continue;
        }
        if (count > 1)
            printf("%s==> %s <==\n", printed++ ? "\n" : "", strcmp(names[i], "-") == 0 ? "standard input" : names[i]);
        int error = from_start ? (copy_from(file, limit, by_lines), 0) : copy_tail(file, limit, by_lines);
        status |= wk_close_input("tail", names[i], file);
        if (error) {
            fprintf(stderr, "tail: %s: %s\n", names[i], strerror(error));
            status = 1;
        }
    }
    return wk_finish_output("tail") | status;
}
