// hexdump [-C] [-v] [-s OFFSET] [-n LENGTH] [FILE...]: the canonical hex+ASCII dump (the one
// format, -C, so the flag is optional) of the FILEs read as one stream; no FILE, or "-", is
// standard input. Like BSD hexdump, a run of lines equal to the one before is shown as one `*`
// (not with -v), and the last line is the offset after the data.
#include "wasmkern.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE* out)
{
    fprintf(out, "usage: hexdump [-C] [-v] [-s OFFSET] [-n LENGTH] [FILE...]\n"
                 "Prints offset, 16 bytes in hex and as text (`.` for bytes outside 0x20-0x7e) per\n"
                 "line, of the FILEs as one stream (no FILE, or \"-\": standard input), skipping\n"
                 "OFFSET bytes and stopping after LENGTH. Repeated lines are one `*` unless -v.\n");
}

static int g_all_lines;
static unsigned long long g_offset; // of the next line
static unsigned char g_line[16];
static size_t g_filled;
static unsigned char g_previous[16];
static int g_have_previous, g_squeezing;

static void print_line(void)
{
    if (!g_all_lines && g_filled == 16 && g_have_previous && memcmp(g_line, g_previous, 16) == 0) {
        if (!g_squeezing)
            puts("*");
        g_squeezing = 1;
        return;
    }
    g_squeezing = 0;
    char text[96];
    size_t at = (size_t)sprintf(text, "%08llx  ", g_offset);
    for (size_t i = 0; i < 16; ++i) {
        if (i < g_filled)
            at += (size_t)sprintf(text + at, "%02x ", g_line[i]);
        else
            at += (size_t)sprintf(text + at, "   ");
        if (i == 7)
            text[at++] = ' ';
    }
    text[at++] = ' ';
    text[at++] = '|';
    for (size_t i = 0; i < g_filled; ++i)
        text[at++] = g_line[i] >= 0x20 && g_line[i] < 0x7f ? (char)g_line[i] : '.';
    text[at++] = '|';
    text[at++] = '\n';
    fwrite(text, 1, at, stdout);
    memcpy(g_previous, g_line, 16);
    g_have_previous = 1;
}

int main(int argc, char** argv)
{
    unsigned long long skip = 0;
    unsigned long long length = ~0ull;
    struct WkOptions options = WK_OPTIONS("hexdump", argc, argv, usage);
    for (const char* arg; (arg = wk_next_option(&options));) {
        if (strcmp(arg, "-C") == 0) {
            continue;
        } else if (strcmp(arg, "-v") == 0) {
            g_all_lines = 1;
        } else if ((strcmp(arg, "-s") == 0 || strcmp(arg, "-n") == 0) && options.next < argc) {
            const char* value = wk_option_value(&options);
            if (wk_parse_count(value, arg[1] == 's' ? &skip : &length) != 0) {
                fprintf(stderr, "hexdump: invalid number: %s\n", value);
                return 1;
            }
        } else {
            wk_usage_error(&options, "unknown option %s", arg);
            return 1;
        }
    }
    char** names;
    int count = wk_input_operands(&options, &names);
    int status = 0;
    g_offset = skip;
    static unsigned char buffer[16384];
    for (int i = 0; i < count && length > 0; ++i) {
        FILE* file = wk_open_input("hexdump", names[i]);
        if (!file) {
            status = 1;
            continue;
        }
        size_t size;
        while (length > 0 && (size = fread(buffer, 1, sizeof buffer, file)) > 0) {
            size_t at = 0;
            if (skip > 0) {
                size_t skipped = skip < size ? (size_t)skip : size;
                at = skipped;
                skip -= skipped;
            }
            for (; at < size && length > 0; ++at, --length) {
                g_line[g_filled++] = buffer[at];
                if (g_filled == 16) {
                    print_line();
                    g_offset += 16;
                    g_filled = 0;
                }
            }
        }
        status |= wk_close_input("hexdump", names[i], file);
    }
    unsigned long long end = g_offset - skip + g_filled; // skip: what the input was too short for
    if (g_filled > 0)
        print_line();
    if (end > 0)
        printf("%08llx\n", end);
    return wk_finish_output("hexdump") | status;
}
