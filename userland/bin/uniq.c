// uniq [-c] [-d] [-u] [-i] [INPUT [OUTPUT]]: writes one line of each run of equal adjacent
// lines. No INPUT, or "-", is standard input; OUTPUT (created or truncated) replaces standard
// output. Lines of any length; only the previous line is kept.
#include "wasmkern.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

static int g_count, g_repeated, g_unique, g_ignore_case;

static void usage(FILE* out)
{
    fprintf(out, "usage: uniq [-c] [-d] [-u] [-i] [INPUT [OUTPUT]]\n"
                 "Writes one line of each run of equal adjacent lines of INPUT (default standard\n"
                 "input) to OUTPUT (default standard output). -c prefixes the run's length, -d prints\n"
                 "only runs of two or more lines, -u only lines that are not repeated, -i ignores case.\n");
}

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int equal(const char* a, size_t a_length, const char* b, size_t b_length)
{
    if (a_length != b_length)
        return 0;
    if (!g_ignore_case)
        return memcmp(a, b, a_length) == 0;
    for (size_t i = 0; i < a_length; ++i) {
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return 0;
    }
    return 1;
}

static void emit(FILE* out, const char* line, size_t length, unsigned long long run)
{
    if ((g_repeated && run < 2) || (g_unique && run > 1))
        return;
    if (g_count)
        fprintf(out, "%7llu ", run);
    fwrite(line, 1, length, out);
    fputc('\n', out);
}

int main(int argc, char** argv)
{
    struct WkOptions options = WK_OPTIONS("uniq", argc, argv, usage);
    int* const flags[] = { &g_count, &g_repeated, &g_unique, &g_ignore_case };
    for (const char* arg; (arg = wk_next_option(&options));) {
        if (wk_flag_cluster(&options, arg, "cdui", flags) != 0)
            return 2;
    }
    int first = options.next;
    if (argc - first > 2)
        return wk_usage_error(&options, "extra operand %s", argv[first + 2]);
    const char* input_name = first < argc ? argv[first] : "-";
    FILE* input = wk_open_input("uniq", input_name);
    if (!input)
        return 1;
    FILE* out = stdout;
    if (first + 1 < argc && strcmp(argv[first + 1], "-") != 0) {
        char path[WK_PATH_MAX];
        int error = wk_resolve_path(wk_cwd(), argv[first + 1], path);
        if (!error && !(out = fopen(path, "w")))
            error = errno;
        if (error) {
            fprintf(stderr, "uniq: %s: %s\n", argv[first + 1], strerror(error));
            return 1;
        }
    }

    char* previous = NULL;
    size_t previous_capacity = 0;
    size_t previous_length = 0;
    unsigned long long run = 0;
    char* line = NULL;
    size_t capacity = 0;
    ssize_t length;
    while ((length = getline(&line, &capacity, input)) >= 0) {
        size_t size = (size_t)length;
        if (size > 0 && line[size - 1] == '\n')
            --size;
        if (run > 0 && equal(previous, previous_length, line, size)) {
            ++run;
            continue;
        }
        if (run > 0)
            emit(out, previous, previous_length, run);
        // The line becomes the previous one: swap the buffers rather than copy.
        char* swap = previous;
        size_t swap_capacity = previous_capacity;
        previous = line;
        previous_capacity = capacity;
        previous_length = size;
        line = swap;
        capacity = swap_capacity;
        run = 1;
    }
    if (run > 0)
        emit(out, previous, previous_length, run);
    free(line);
    free(previous);
    int status = wk_close_input("uniq", input_name, input);
    if (out != stdout) {
        if (fclose(out) != 0) {
            fprintf(stderr, "uniq: %s: %s\n", argv[first + 1], strerror(errno));
            status = 1;
        }
    }
    return wk_finish_output("uniq") | status;
}
