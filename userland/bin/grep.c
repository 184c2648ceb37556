// grep [-v] [-i] [-n] [-c] [-l] [-q] [-F] [-e] PATTERN [FILE...]: prints the lines that match
// PATTERN. PATTERN is a basic regular expression (see match.h below) or, with -F, a fixed
// string; no FILE, or "-", is standard input. Status: 0 a line was selected, 1 none, 2 an
// error (a bad pattern, an unreadable file), like POSIX grep.
//
// The expression is compiled to a list of atoms (a byte, any byte, a set of bytes, each once,
// optional or repeated) and run as a set of positions in that list over the line, so that the
// time is at most (line length) x (pattern length) whatever the pattern: no backtracking.
// Bytes are matched one by one; `.` and sets see UTF-8 sequences as their bytes.
#include "wasmkern.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

enum Repeat { ONCE, OPTIONAL, ANY_NUMBER };

struct Atom {
    uint8_t set[32]; // bit c: byte c matches
    enum Repeat repeat;
};

struct Pattern {
    struct Atom* atoms;
    size_t count;
    int anchored_start;
    int anchored_end;
};

static int g_invert, g_ignore_case, g_numbers, g_count, g_list, g_quiet, g_fixed;

static void usage(FILE* out)
{
    fprintf(out,
        "usage: grep [-v] [-i] [-n] [-c] [-l] [-q] [-F] [-e] PATTERN [FILE...]\n"
        "Prints the lines of each FILE (no FILE, or \"-\": standard input) that match PATTERN, a\n"
        "basic regular expression: . any byte, [abc] [^a-z] [[:digit:]] sets, * repeats the\n"
        "previous item, \\+ one or more, \\? optional, ^ and $ anchor at the ends, \\ quotes the\n"
        "next character. -F: PATTERN is a plain string. -v: lines that do not match; -i: ignore\n"
        "case; -n: line numbers; -c: only a count; -l: only the names of files with a match;\n"
        "-q: nothing, the status says it. Status 0 selected, 1 none, 2 error.\n");
}

static void set_add(uint8_t set[32], unsigned c) { set[c >> 3] |= (uint8_t)(1u << (c & 7)); }
static int set_has(const uint8_t set[32], unsigned c) { return set[c >> 3] >> (c & 7) & 1; }

static int is_upper(unsigned c) { return c >= 'A' && c <= 'Z'; }
static int is_lower(unsigned c) { return c >= 'a' && c <= 'z'; }

// Adds the other case of every ASCII letter in the set.
static void set_fold_case(uint8_t set[32])
{
    for (unsigned c = 'A'; c <= 'Z'; ++c) {
        if (set_has(set, c) || set_has(set, c + 32)) {
            set_add(set, c);
            set_add(set, c + 32);
        }
    }
}

static struct Atom* add_atom(struct Pattern* pattern)
{
    struct Atom* atoms = realloc(pattern->atoms, (pattern->count + 1) * sizeof *atoms);
    if (!atoms) {
        fprintf(stderr, "grep: %s\n", strerror(ENOMEM));
        exit(2);
    }
    pattern->atoms = atoms;
    struct Atom* atom = &atoms[pattern->count++];
    memset(atom, 0, sizeof *atom);
    return atom;
}

// Whether byte c is in the class [:name:]; -1 for an unknown class.
static int in_class(const char* name, size_t length, unsigned c)
{
    int digit = c >= '0' && c <= '9';
    int alpha = is_upper(c) || is_lower(c);
    int punct = c > ' ' && c < 127 && !digit && !alpha;
#define CLASS(text, test)                                                  \
    if (length == sizeof text - 1 && memcmp(name, text, length) == 0) \
        return (test);
    CLASS("alpha", alpha)
    CLASS("digit", digit)
    CLASS("alnum", alpha || digit)
    CLASS("upper", is_upper(c))
    CLASS("lower", is_lower(c))
    CLASS("space", c == ' ' || (c >= '\t' && c <= '\r'))
    CLASS("blank", c == ' ' || c == '\t')
    CLASS("punct", punct)
    CLASS("print", c >= ' ' && c < 127)
    CLASS("graph", c > ' ' && c < 127)
    CLASS("cntrl", c < ' ' || c == 127)
    CLASS("xdigit", digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
#undef CLASS
    return -1;
}

[[noreturn]] static void bad_pattern(const char* reason)
{
    fprintf(stderr, "grep: %s\n", reason);
    exit(2);
}

// Parses the bracket expression after '[' at text; returns the byte after its ']'.
static const char* parse_set(const char* text, uint8_t set[32])
{
    int negate = *text == '^';
    text += negate;
    uint8_t members[32] = { 0 };
    int first = 1;
    for (;; first = 0) {
        unsigned c = (unsigned char)*text;
        if (c == '\0')
            bad_pattern("Unmatched [ in the pattern");
        if (c == ']' && !first)
            break;
        if (c == '[' && text[1] == ':') {
            const char* end = strstr(text + 2, ":]");
            if (!end)
                bad_pattern("Unmatched [ in the pattern");
            size_t length = (size_t)(end - (text + 2));
            if (in_class(text + 2, length, 'a') < 0)
                bad_pattern("unknown character class in the pattern");
            for (unsigned b = 0; b < 256; ++b) {
                if (in_class(text + 2, length, b) > 0)
                    set_add(members, b);
            }
            text = end + 2;
            continue;
        }
        if (c == '[' && (text[1] == '.' || text[1] == '='))
            bad_pattern("collating elements ([. .] and [= =]) are not supported");
        unsigned last = c;
        if (text[1] == '-' && text[2] != ']' && text[2] != '\0') {
            last = (unsigned char)text[2];
            if (last < c)
                bad_pattern("Invalid range end in the pattern");
            text += 3;
        } else {
            text += 1;
        }
        for (unsigned b = c; b <= last; ++b)
            set_add(members, b);
    }
    if (g_ignore_case)
        set_fold_case(members);
    for (unsigned b = 0; b < 256; ++b) {
        if (set_has(members, b) != negate)
            set_add(set, b);
    }
    return text + 1;
}

static void compile(const char* text, struct Pattern* pattern)
{
    memset(pattern, 0, sizeof *pattern);
    if (g_fixed) {
        for (; *text; ++text) {
            struct Atom* atom = add_atom(pattern);
            set_add(atom->set, (unsigned char)*text);
            if (g_ignore_case)
                set_fold_case(atom->set);
        }
        return;
    }
    if (*text == '^') {
        pattern->anchored_start = 1;
        ++text;
    }
    while (*text) {
        unsigned c = (unsigned char)*text;
        struct Atom* previous = pattern->count ? &pattern->atoms[pattern->count - 1] : NULL;
        if (c == '$' && text[1] == '\0') {
            pattern->anchored_end = 1;
            break;
        }
        if (c == '*' && previous) {
            previous->repeat = ANY_NUMBER;
            ++text;
            continue;
        }
        if (c == '\\') {
            unsigned quoted = (unsigned char)text[1];
            if (quoted == '\0')
                bad_pattern("Trailing backslash in the pattern");
            if ((quoted == '+' || quoted == '?') && previous) {
                if (quoted == '?' && previous->repeat == ONCE)
                    previous->repeat = OPTIONAL;
                if (quoted == '+' && previous->repeat == ONCE) {
                    struct Atom copy = *previous;
                    copy.repeat = ANY_NUMBER;
                    *add_atom(pattern) = copy;
                }
                text += 2;
                continue;
            }
            if ((quoted >= '0' && quoted <= '9') || is_upper(quoted) || is_lower(quoted) || quoted == '(' || quoted == ')'
                || quoted == '{' || quoted == '}' || quoted == '|' || quoted == '<' || quoted == '>' || quoted == '`'
                || quoted == '\'') {
                fprintf(stderr, "grep: \\%c is not supported in patterns\n", (char)quoted);
                exit(2);
            }
            struct Atom* atom = add_atom(pattern);
            set_add(atom->set, quoted);
            if (g_ignore_case)
                set_fold_case(atom->set);
            text += 2;
            continue;
        }
        struct Atom* atom = add_atom(pattern);
        if (c == '.') {
            memset(atom->set, 0xff, sizeof atom->set);
            ++text;
        } else if (c == '[') {
            text = parse_set(text + 1, atom->set);
        } else {
            set_add(atom->set, c);
            if (g_ignore_case)
                set_fold_case(atom->set);
            ++text;
        }
    }
}

// The set of positions in the pattern reachable so far: a list and a membership array.
struct States {
    size_t* list;
    uint8_t* member;
    size_t count;
};

static void states_add(const struct Pattern* pattern, struct States* states, size_t state)
{
    // An optional or repeated atom may be skipped: its successor is reachable too.
    for (;;) {
        if (states->member[state])
            return;
        states->member[state] = 1;
        states->list[states->count++] = state;
        if (state == pattern->count || pattern->atoms[state].repeat == ONCE)
            return;
        ++state;
    }
}

static void states_clear(struct States* states)
{
    for (size_t i = 0; i < states->count; ++i)
        states->member[states->list[i]] = 0;
    states->count = 0;
}

static struct States g_current, g_next;

static int matches(const struct Pattern* pattern, const char* line, size_t length)
{
    size_t accept = pattern->count;
    states_clear(&g_current);
    states_add(pattern, &g_current, 0);
    for (size_t at = 0;; ++at) {
        if (g_current.member[accept] && (!pattern->anchored_end || at == length))
            return 1;
        if (at == length)
            return 0;
        unsigned c = (unsigned char)line[at];
        states_clear(&g_next);
        for (size_t i = 0; i < g_current.count; ++i) {
            size_t state = g_current.list[i];
            if (state == accept || !set_has(pattern->atoms[state].set, c))
                continue;
            states_add(pattern, &g_next, pattern->atoms[state].repeat == ANY_NUMBER ? state : state + 1);
        }
        if (!pattern->anchored_start)
            states_add(pattern, &g_next, 0);
        struct States swap = g_current;
        g_current = g_next;
        g_next = swap;
        if (g_current.count == 0)
            return 0;
    }
}

// Scans one input. Returns the number of selected lines, or -1 after a read error.
static long long scan(const struct Pattern* pattern, FILE* file, const char* shown, int show_names)
{
    char* line = NULL;
    size_t capacity = 0;
    ssize_t length;
    long long selected = 0;
    unsigned long long number = 0;
    while ((length = getline(&line, &capacity, file)) >= 0) {
        ++number;
        size_t text_length = (size_t)length;
        if (text_length > 0 && line[text_length - 1] == '\n')
            --text_length;
        if (matches(pattern, line, text_length) == g_invert)
            continue;
        ++selected;
        if (g_quiet)
            break;
        if (g_list)
            break;
        if (g_count)
            continue;
        if (show_names)
            printf("%s:", shown);
        if (g_numbers)
            printf("%llu:", number);
        fwrite(line, 1, text_length, stdout);
        putchar('\n');
    }
    free(line);
    if (g_count)
        printf(show_names ? "%s:%lld\n" : "%.0s%lld\n", shown, selected);
    if (g_list && selected)
        printf("%s\n", shown);
    return selected;
}

int main(int argc, char** argv)
{
    const char* pattern_text = NULL;
    struct WkOptions options = WK_OPTIONS("grep", argc, argv, usage);
    // NOTE: -e ends the options: what follows it is FILEs.
    for (const char* arg; !pattern_text && (arg = wk_next_option(&options));) {
        for (const char* flag = arg + 1; *flag; ++flag) {
            switch (*flag) {
            case 'v': g_invert = 1; break;
            case 'i': g_ignore_case = 1; break;
            case 'n': g_numbers = 1; break;
            case 'c': g_count = 1; break;
            case 'l': g_list = 1; break;
            case 'q': g_quiet = 1; break;
            case 'F': g_fixed = 1; break;
            case 'e':
                pattern_text = flag[1] ? flag + 1 : wk_option_value(&options);
                if (!pattern_text)
                    return wk_usage_error(&options, "option -e needs a pattern");
                flag += strlen(flag) - 1;
                break;
            default:
                return wk_usage_error(&options, "unknown option -%c", *flag);
            }
        }
    }
    if (!pattern_text && !(pattern_text = wk_option_value(&options)))
        return wk_usage_error(&options, "missing pattern");
    struct Pattern pattern;
    compile(pattern_text, &pattern);
    size_t states = pattern.count + 1;
    g_current.list = malloc(states * sizeof(size_t));
    g_current.member = calloc(states, 1);
    g_next.list = malloc(states * sizeof(size_t));
    g_next.member = calloc(states, 1);
    if (!g_current.list || !g_current.member || !g_next.list || !g_next.member) {
        fprintf(stderr, "grep: %s\n", strerror(ENOMEM));
        return 2;
    }

    char** names;
    int count = wk_input_operands(&options, &names);
    int errors = 0;
    long long selected = 0;
    for (int i = 0; i < count; ++i) {
        FILE* file = wk_open_input("grep", names[i]);
        if (!file) {
            errors = 1;
            continue;
        }
        const char* shown = strcmp(names[i], "-") == 0 ? "(standard input)" : names[i];
        selected += scan(&pattern, file, shown, count > 1);
        errors |= wk_close_input("grep", names[i], file);
        if (g_quiet && selected)
            return 0;
    }
    errors |= wk_finish_output("grep");
    return errors ? 2 : selected ? 0 : 1;
}
