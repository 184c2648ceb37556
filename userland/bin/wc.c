// wc [-l] [-w] [-c] [FILE...]: counts newlines, words (runs of non-space bytes) and bytes.
// Without options all three; no FILE, or "-", is standard input. Columns as GNU wc lays
// them out: one count of one input is printed bare, otherwise every count is right-aligned
// to the width of the total size of the regular files (at least 7 when an input is not a
// regular file), and several inputs end with a `total` line.
#include "wasmkern.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct Counts {
    unsigned long long lines;
    unsigned long long words;
    unsigned long long bytes;
};

static int g_lines, g_words, g_bytes;
static int g_width = 1;

static void usage(FILE* out)
{
    fprintf(out, "usage: wc [-l] [-w] [-c] [FILE...]\n"
                 "Prints the newline (-l), word (-w) and byte (-c) counts of each FILE (all three\n"
                 "without options), and a total for several. No FILE, or \"-\", is standard input.\n");
}

static int is_space(int c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

static void count_stream(FILE* file, struct Counts* counts)
{
    static char buffer[16384];
    int in_word = 0;
    size_t size;
    while ((size = fread(buffer, 1, sizeof buffer, file)) > 0) {
        counts->bytes += size;
        for (size_t i = 0; i < size; ++i) {
            unsigned char c = (unsigned char)buffer[i];
            if (c == '\n')
                ++counts->lines;
            if (is_space(c)) {
                in_word = 0;
            } else if (!in_word) {
                in_word = 1;
                ++counts->words;
            }
        }
    }
}

static void print(const struct Counts* counts, const char* name)
{
    const char* separator = "";
    if (g_lines) {
        printf("%*llu", g_width, counts->lines);
        separator = " ";
    }
    if (g_words) {
        printf("%s%*llu", separator, g_width, counts->words);
        separator = " ";
    }
    if (g_bytes)
        printf("%s%*llu", separator, g_width, counts->bytes);
    if (name)
        printf(" %s", name);
    putchar('\n');
}

// The column width from the sizes of the inputs that can be examined.
static int column_width(int count, char** names, int selected)
{
    if (count == 1 && selected == 1)
        return 1;
    unsigned long long regular_total = 0;
    int minimum = 1;
    for (int i = 0; i < count; ++i) {
        struct stat info;
        int examined;
        if (strcmp(names[i], "-") == 0) {
            examined = fstat(STDIN_FILENO, &info) == 0;
        } else {
            char path[WK_PATH_MAX];
            examined = wk_resolve_path(wk_cwd(), names[i], path) == 0 && stat(path, &info) == 0;
        }
        if (!examined)
            continue;
        if (S_ISREG(info.st_mode))
            regular_total += (unsigned long long)info.st_size;
        else
            minimum = 7;
    }
    int width = 1;
    for (; regular_total >= 10; regular_total /= 10)
        ++width;
    return width < minimum ? minimum : width;
}

int main(int argc, char** argv)
{
    struct WkOptions options = WK_OPTIONS("wc", argc, argv, usage);
    int* const flags[] = { &g_lines, &g_words, &g_bytes };
    for (const char* arg; (arg = wk_next_option(&options));) {
        if (wk_flag_cluster(&options, arg, "lwc", flags) != 0)
            return 2;
    }
    if (!g_lines && !g_words && !g_bytes)
        g_lines = g_words = g_bytes = 1;
    char** names;
    int count = wk_input_operands(&options, &names);
    int named = options.next < argc; // NOTE: standard input alone gets no name column
    g_width = column_width(count, names, g_lines + g_words + g_bytes);

    struct Counts total = { 0, 0, 0 };
    int status = 0;
    for (int i = 0; i < count; ++i) {
        FILE* file = wk_open_input("wc", names[i]);
        if (!file) {
            status = 1;
            continue;
        }
        struct Counts counts = { 0, 0, 0 };
        count_stream(file, &counts);
        if (wk_close_input("wc", names[i], file) != 0)
            status = 1;
        total.lines += counts.lines;
        total.words += counts.words;
        total.bytes += counts.bytes;
        print(&counts, named ? names[i] : NULL);
    }
    if (count > 1)
        print(&total, "total");
    return wk_finish_output("wc") | status;
}
