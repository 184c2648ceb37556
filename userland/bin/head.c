// head [-n N | -c N | -N] [FILE...]: the first N lines (default 10) or bytes of each FILE; no
// FILE, or "-", is standard input. Several FILEs are headed `==> NAME <==`, separated by a
// blank line. Lines may be of any length: input is copied in blocks, not line by line.
#include "wasmkern.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE* out)
{
    fprintf(out, "usage: head [-n LINES | -c BYTES | -LINES] [FILE...]\n"
                 "Prints the first 10 lines (or LINES lines, or BYTES bytes) of each FILE. No FILE, or\n"
                 "\"-\", is standard input; several FILEs get `==> FILE <==` headers.\n");
}

// Copies the first `limit` lines (by_lines) or bytes of file to stdout.
static void copy_head(FILE* file, unsigned long long limit, int by_lines)
{
    static char buffer[16384];
    while (limit > 0) {
        size_t size = fread(buffer, 1, sizeof buffer, file);
        if (size == 0)
            return;
        size_t keep = size;
        if (by_lines) {
            for (size_t i = 0; i < size; ++i) {
                if (buffer[i] == '\n' && --limit == 0) {
                    keep = i + 1;
                    break;
                }
            }
        } else if (limit < size) {
            keep = (size_t)limit;
            limit = 0;
        } else {
            limit -= size;
        }
        fwrite(buffer, 1, keep, stdout);
    }
}

int main(int argc, char** argv)
{
    unsigned long long limit = 10;
    int by_lines = 1;
    struct WkOptions options = WK_OPTIONS("head", argc, argv, usage);
    for (const char* arg; (arg = wk_next_option(&options));) {
        if (wk_count_option(&options, arg, &limit, &by_lines, NULL) != 0)
            return 2;
    }
    char** names;
    int count = wk_input_operands(&options, &names);
    int status = 0;
    int printed = 0;
    for (int i = 0; i < count; ++i) {
        FILE* file = wk_open_input("head", names[i]);
        if (!file) {
            status = 1;
            continue;
        }
        if (count > 1)
            printf("%s==> %s <==\n", printed++ ? "\n" : "", strcmp(names[i], "-") == 0 ? "standard input" : names[i]);
        copy_head(file, limit, by_lines);
        status |= wk_close_input("head", names[i], file);
    }
    return wk_finish_output("head") | status;
}
