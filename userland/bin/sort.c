// sort [-r] [-n] [-u] [-t CHAR] [-k FIELD[,FIELD]] [FILE...]: sorts the lines of all FILEs
// together (no FILE, or "-", is standard input) bytewise, as in the C locale. Lines of any
// length; all input is held in memory, as sorting needs. The sort is stable and lines whose
// keys compare equal are ordered by the whole line (bytewise), except with -u, which keeps the
// first line of each run of equal keys.
#include "wasmkern.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

struct Line {
    char* text;
    size_t length; // without the newline
};

static int g_reverse, g_numeric, g_unique;
static int g_separator = -1; // -t: a byte, or -1 for blank-separated fields
static unsigned long long g_key_first, g_key_last; // -k: 1-based fields; 0 = not given / to the end
// -k's own options (FIELDn, FIELDr); when it has any, -n and -r do not apply to the key.
static int g_key_has_options, g_key_numeric, g_key_reverse;

static void usage(FILE* out)
{
    fprintf(out,
        "usage: sort [-r] [-n] [-u] [-t CHAR] [-k FIELD[,FIELD]] [FILE...]\n"
        "Sorts the lines of the FILEs (no FILE, or \"-\": standard input) bytewise. -n compares\n"
        "leading numbers (-12.5), -r reverses, -u keeps one line of each run of equal keys, -k\n"
        "compares fields FIELD to FIELD (default: to the end of the line), split at CHAR (-t) or\n"
        "where blanks begin (a field then includes its leading blanks); a FIELD may end in n or r,\n"
        "which then replace -n and -r for the key.\n");
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

// The [start, end) of the key of line.
static void key_of(const struct Line* line, const char** start, const char** end)
{
    const char* at = line->text;
    const char* limit = line->text + line->length;
    if (g_key_first == 0) {
        *start = at;
        *end = limit;
        return;
    }
    // Skips one field from `at`: to the separator after it (-t) or past blanks then non-blanks.
    for (unsigned long long field = 1; field < g_key_first && at < limit; ++field) {
        if (g_separator >= 0) {
            const char* separator = memchr(at, g_separator, (size_t)(limit - at));
            at = separator ? separator + 1 : limit;
        } else {
            while (at < limit && is_blank(*at))
                ++at;
            while (at < limit && !is_blank(*at))
                ++at;
        }
    }
    *start = at;
    *end = limit;
    if (g_key_last == 0)
        return;
    for (unsigned long long field = g_key_first; field <= g_key_last && at < limit; ++field) {
        if (g_separator >= 0) {
            const char* separator = memchr(at, g_separator, (size_t)(limit - at));
            at = separator ? separator : limit;
            if (field < g_key_last && at < limit)
                ++at;
        } else {
            while (at < limit && is_blank(*at))
                ++at;
            while (at < limit && !is_blank(*at))
                ++at;
        }
    }
    *end = at;
}

struct Number {
    int negative;
    const char* integer; // without leading zeros
    size_t integer_length;
    const char* fraction; // without trailing zeros
    size_t fraction_length;
};

static int is_digit(char c) { return c >= '0' && c <= '9'; }

// The leading number of [at, end): blanks, an optional '-', digits, an optional '.' and
// digits. Anything else (or nothing) is zero.
static struct Number parse_number(const char* at, const char* end)
{
    struct Number number = { 0, at, 0, at, 0 };
    while (at < end && is_blank(*at))
        ++at;
    if (at < end && *at == '-') {
        number.negative = 1;
        ++at;
    }
    while (at < end && *at == '0')
        ++at;
    number.integer = at;
    while (at < end && is_digit(*at))
        ++at;
    number.integer_length = (size_t)(at - number.integer);
    if (at < end && *at == '.') {
        number.fraction = ++at;
        while (at < end && is_digit(*at))
            ++at;
        number.fraction_length = (size_t)(at - number.fraction);
        while (number.fraction_length > 0 && number.fraction[number.fraction_length - 1] == '0')
            --number.fraction_length;
    }
    if (number.integer_length == 0 && number.fraction_length == 0)
        number.negative = 0; // -0 is 0
    return number;
}

static int compare_numbers(const char* a_start, const char* a_end, const char* b_start, const char* b_end)
{
    struct Number a = parse_number(a_start, a_end);
    struct Number b = parse_number(b_start, b_end);
    if (a.negative != b.negative)
        return a.negative ? -1 : 1;
    int sign = a.negative ? -1 : 1;
    if (a.integer_length != b.integer_length)
        return a.integer_length < b.integer_length ? -sign : sign;
    int result = memcmp(a.integer, b.integer, a.integer_length);
    if (result)
        return result < 0 ? -sign : sign;
    size_t common = a.fraction_length < b.fraction_length ? a.fraction_length : b.fraction_length;
    result = memcmp(a.fraction, b.fraction, common);
    if (result)
        return result < 0 ? -sign : sign;
    if (a.fraction_length != b.fraction_length)
        return a.fraction_length < b.fraction_length ? -sign : sign;
    return 0;
}

static int compare_bytes(const char* a, size_t a_length, const char* b, size_t b_length)
{
    int result = memcmp(a, b, a_length < b_length ? a_length : b_length);
    if (result)
        return result < 0 ? -1 : 1;
    return a_length < b_length ? -1 : a_length > b_length;
}

// Compares the keys; `whole` adds the last-resort comparison of the whole lines.
static int compare_lines(const struct Line* a, const struct Line* b, int whole)
{
    const char *a_start, *a_end, *b_start, *b_end;
    key_of(a, &a_start, &a_end);
    key_of(b, &b_start, &b_end);
    int numeric = g_key_has_options ? g_key_numeric : g_numeric;
    int result = numeric ? compare_numbers(a_start, a_end, b_start, b_end)
                           : compare_bytes(a_start, (size_t)(a_end - a_start), b_start, (size_t)(b_end - b_start));
    if (g_key_has_options ? g_key_reverse : g_reverse)
        result = -result;
    if (result == 0 && whole)
        result = g_reverse ? -compare_bytes(a->text, a->length, b->text, b->length)
                           : compare_bytes(a->text, a->length, b->text, b->length);
    return result;
}

// A stable merge sort of lines[0, count) using scratch (as large).
static void merge_sort(struct Line* lines, struct Line* scratch, size_t count)
{
    if (count < 2)
        return;
    size_t half = count / 2;
    merge_sort(lines, scratch, half);
    merge_sort(lines + half, scratch, count - half);
    size_t left = 0, right = half, out = 0;
    while (left < half && right < count) {
        if (compare_lines(&lines[right], &lines[left], !g_unique) < 0)
            scratch[out++] = lines[right++];
        else
            scratch[out++] = lines[left++];
    }
    while (left < half)
        scratch[out++] = lines[left++];
    while (right < count)
        scratch[out++] = lines[right++];
    memcpy(lines, scratch, count * sizeof *lines);
}

struct Lines {
    struct Line* items;
    size_t count;
    size_t capacity;
};

// Reads every line of file into lines. 0 or ENOMEM.
static int read_lines(FILE* file, struct Lines* lines)
{
    for (;;) {
        char* text = NULL;
        size_t capacity = 0;
        ssize_t length = getline(&text, &capacity, file);
        if (length < 0) {
            free(text);
            return ferror(file) && errno == ENOMEM ? ENOMEM : 0;
        }
        if (lines->count == lines->capacity) {
            size_t grown = lines->capacity ? lines->capacity * 2 : 256;
            struct Line* items = realloc(lines->items, grown * sizeof *items);
            if (!items) {
                free(text);
                return ENOMEM;
            }
            lines->items = items;
            lines->capacity = grown;
        }
        size_t size = (size_t)length;
        if (size > 0 && text[size - 1] == '\n')
            --size;
        lines->items[lines->count++] = (struct Line) { text, size };
    }
}

// Parses a field number with its options (n, r) from text; returns what follows, or NULL.
static const char* parse_field(const char* text, unsigned long long* field)
{
    char digits[24];
    size_t length = 0;
    while (text[length] >= '0' && text[length] <= '9' && length + 1 < sizeof digits) {
        digits[length] = text[length];
        ++length;
    }
    digits[length] = '\0';
    if (wk_parse_count(digits, field) != 0 || *field == 0)
        return NULL;
    for (text += length; *text == 'n' || *text == 'r'; ++text) {
        g_key_has_options = 1;
        if (*text == 'n')
            g_key_numeric = 1;
        else
            g_key_reverse = 1;
    }
    return text;
}

// Parses -k's FIELD[,FIELD] (each may end in n or r). 0, or -1 for a key this sort does not
// take.
static int parse_key(const char* text)
{
    g_key_has_options = g_key_numeric = g_key_reverse = 0;
    g_key_last = 0;
    text = parse_field(text, &g_key_first);
    if (text && *text == ',')
        text = parse_field(text + 1, &g_key_last);
    if (!text || *text)
        return -1;
    return 0;
}

int main(int argc, char** argv)
{
    struct WkOptions options = WK_OPTIONS("sort", argc, argv, usage);
    for (const char* arg; (arg = wk_next_option(&options));) {
        for (const char* flag = arg + 1; *flag; ++flag) {
            if (*flag == 'r') {
                g_reverse = 1;
            } else if (*flag == 'n') {
                g_numeric = 1;
            } else if (*flag == 'u') {
                g_unique = 1;
            } else if (*flag == 'k' || *flag == 't') {
                const char* value = flag[1] ? flag + 1 : wk_option_value(&options);
                if (!value)
                    return wk_usage_error(&options, "option -%c needs a value", *flag);
                if (*flag == 't') {
                    if (strlen(value) != 1) {
                        fprintf(stderr, "sort: the separator must be one byte: %s\n", value);
                        return 2;
                    }
                    g_separator = (unsigned char)value[0];
                } else if (parse_key(value) != 0) {
                    fprintf(stderr, "sort: invalid key: %s (FIELD or FIELD,FIELD)\n", value);
                    return 2;
                }
                break;
            } else {
                return wk_usage_error(&options, "unknown option -%c", *flag);
            }
        }
    }
    char** names;
    int count = wk_input_operands(&options, &names);
    struct Lines lines = { 0 };
    for (int i = 0; i < count; ++i) {
        FILE* file = wk_open_input("sort", names[i]);
        // NOTE: like GNU sort, an input that cannot be read ends the program before any
        // output: a sorted result without it would look complete.
        if (!file)
            return 2;
        int error = read_lines(file, &lines);
        if (wk_close_input("sort", names[i], file) != 0)
            return 2;
        if (error) {
            fprintf(stderr, "sort: %s: %s\n", names[i], strerror(error));
            return 2;
        }
    }
    struct Line* scratch = malloc((lines.count ? lines.count : 1) * sizeof *scratch);
    if (!scratch) {
        fprintf(stderr, "sort: %s\n", strerror(ENOMEM));
        return 2;
    }
    merge_sort(lines.items, scratch, lines.count);
    for (size_t i = 0; i < lines.count; ++i) {
        if (g_unique && i > 0 && compare_lines(&lines.items[i - 1], &lines.items[i], 0) == 0)
            continue;
        fwrite(lines.items[i].text, 1, lines.items[i].length, stdout);
        putchar('\n');
    }
    return wk_finish_output("sort") ? 2 : 0;
}
