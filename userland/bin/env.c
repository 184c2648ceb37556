// env [-i] [-u NAME]... [NAME=VALUE]... [COMMAND [ARG...]]: prints the environment, or runs
// COMMAND (found like the shell finds it) with the environment changed: -i starts from an empty
// one, -u removes NAME, NAME=VALUE sets NAME. Exits with COMMAND's status (127 not found,
// 126 not a valid program).
#include "wasmkern.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char** environ;

static void usage(FILE* out)
{
    fprintf(out, "usage: env [-i] [-u NAME]... [NAME=VALUE]... [COMMAND [ARG...]]\n"
                 "Prints the environment, one NAME=VALUE a line, or runs COMMAND (/bin/COMMAND, or a\n"
                 "path when it contains '/') with -i an empty environment, -u NAME removed and each\n"
                 "NAME=VALUE set. Exits with COMMAND's status.\n");
}

// The environment being built: `count` entries and a NULL.
static char** g_entries;
static size_t g_count;

static size_t name_length(const char* entry)
{
    const char* equals = strchr(entry, '=');
    return equals ? (size_t)(equals - entry) : strlen(entry);
}

static int has_name(const char* entry, const char* name, size_t length)
{
    return name_length(entry) == length && strncmp(entry, name, length) == 0;
}

// Removes the entries called `name` from index `from` on.
static void remove_name(size_t from, const char* name, size_t length)
{
    size_t kept = from;
    for (size_t i = from; i < g_count; ++i) {
        if (!has_name(g_entries[i], name, length))
            g_entries[kept++] = g_entries[i];
    }
    g_count = kept;
    g_entries[g_count] = NULL;
}

// Sets NAME=VALUE in the place of the first entry called NAME (dropping later ones), else at
// the end.
static void add_entry(char* entry)
{
    size_t length = name_length(entry);
    for (size_t i = 0; i < g_count; ++i) {
        if (has_name(g_entries[i], entry, length)) {
            g_entries[i] = entry;
            remove_name(i + 1, entry, length);
            return;
        }
    }
    g_entries[g_count++] = entry;
    g_entries[g_count] = NULL;
}

int main(int argc, char** argv)
{
    size_t inherited = 0;
    while (environ && environ[inherited])
        ++inherited;
    // Room for every inherited entry and every argument, plus the NULL.
    g_entries = calloc(inherited + (size_t)argc + 1, sizeof *g_entries);
    if (!g_entries) {
        fprintf(stderr, "env: %s\n", strerror(ENOMEM));
        return 125;
    }
    for (; g_count < inherited; ++g_count)
        g_entries[g_count] = environ[g_count];
    int first = 1;
    for (; first < argc; ++first) {
        const char* arg = argv[first];
        if (strcmp(arg, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(arg, "--") == 0) {
            ++first;
            break;
        }
        if (strcmp(arg, "-i") == 0 || strcmp(arg, "-") == 0) {
            g_count = 0;
            g_entries[0] = NULL;
        } else if (strcmp(arg, "-u") == 0 && first + 1 < argc) {
            const char* name = argv[++first];
            if (strchr(name, '=')) {
                fprintf(stderr, "env: cannot unset %s: the name contains '='\n", name);
                return 125;
            }
            remove_name(0, name, strlen(name));
        } else if (arg[0] == '-') {
            fprintf(stderr, "env: unknown option %s\n", arg);
            usage(stderr);
            return 125;
        } else {
            break;
        }
    }
    for (; first < argc && strchr(argv[first], '=') && argv[first][0] != '='; ++first)
        add_entry(argv[first]);
    if (first >= argc) {
        for (size_t i = 0; i < g_count; ++i)
            puts(g_entries[i]);
        return wk_finish_output("env") ? 125 : 0;
    }

    char path[WK_PATH_MAX];
    int error = wk_program_path(wk_cwd(), argv[first], path);
    uint32_t pid = 0;
    if (!error)
        error = wk_spawn(path, argc - first, argv + first, g_entries, &pid);
    if (error) {
        if (error == ENOENT)
            fprintf(stderr, "env: %s: command not found\n", argv[first]);
        else if (error == ENOEXEC)
            fprintf(stderr, "env: %s: not a valid program\n", argv[first]);
        else
            fprintf(stderr, "env: %s: %s\n", argv[first], strerror(error));
        return error == ENOENT ? 127 : 126;
    }
    uint32_t status = 0;
    error = wasmkern_wait(pid, &status);
    if (error) {
        fprintf(stderr, "env: wait for %s: %s\n", argv[first], strerror(error));
        return 125;
    }
    return (int)(status & 0xff);
}
