// Options, input operands, counts and output errors for the text and file programs
// (wasmkern.h).
#include "wasmkern.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

FILE* wk_open_input(const char* program, const char* shown)
{
    if (strcmp(shown, "-") == 0)
        return stdin;
    char path[WK_PATH_MAX];
    int error = wk_resolve_path(wk_cwd(), shown, path);
    FILE* file = NULL;
    if (!error) {
        file = fopen(path, "r");
        if (!file)
            error = errno;
    }
    struct stat info;
    if (file && fstat(fileno(file), &info) == 0 && S_ISDIR(info.st_mode)) {
        fclose(file);
        file = NULL;
        error = EISDIR;
    }
    if (!file)
        fprintf(stderr, "%s: %s: %s\n", program, shown, strerror(error));
    return file;
}

int wk_close_input(const char* program, const char* shown, FILE* file)
{
    // NOTE: stdio keeps no errno per stream; the errno of the failed read is still the last
    // one set when the caller stops at the error.
    int error = ferror(file) ? (errno ? errno : EIO) : 0;
    if (file == stdin)
        clearerr(stdin);
    else
        fclose(file);
    if (!error)
        return 0;
    fprintf(stderr, "%s: %s: %s\n", program, strcmp(shown, "-") == 0 ? "standard input" : shown,
        strerror(error));
    return 1;
}

int wk_parse_count(const char* text, unsigned long long* out)
{
    if (!*text)
        return EINVAL;
    unsigned long long value = 0;
    for (const char* at = text; *at; ++at) {
        if (*at < '0' || *at > '9')
            return EINVAL;
        unsigned digit = (unsigned)(*at - '0');
        if (value > (~0ull - digit) / 10)
            return ERANGE;
        value = value * 10 + digit;
    }
    *out = value;
    return 0;
}

int wk_finish_output(const char* program)
{
    if (fflush(stdout) == 0 && !ferror(stdout))
        return 0;
    fprintf(stderr, "%s: write error: %s\n", program, strerror(errno ? errno : EIO));
    return 1;
}

const char* wk_next_option(struct WkOptions* options)
{
    if (options->next >= options->argc)
        return NULL;
    const char* arg = options->argv[options->next];
    if (strcmp(arg, "--help") == 0) {
        options->usage(stdout);
        exit(0);
    }
    if (strcmp(arg, "--") == 0) {
        ++options->next;
        return NULL;
    }
    if (arg[0] != '-' || arg[1] == '\0')
        return NULL;
    ++options->next;
    return arg;
}

const char* wk_option_value(struct WkOptions* options)
{
    return options->next < options->argc ? options->argv[options->next++] : NULL;
}

int wk_usage_error(const struct WkOptions* options, const char* format, ...)
{
    fprintf(stderr, "%s: ", options->program);
    va_list arguments;
    va_start(arguments, format);
    vfprintf(stderr, format, arguments);
    va_end(arguments);
    fputc('\n', stderr);
    options->usage(stderr);
    return 2;
}

int wk_flag_cluster(const struct WkOptions* options, const char* arg, const char* letters, int* const flags[])
{
    for (const char* flag = arg + 1; *flag; ++flag) {
        const char* known = strchr(letters, *flag);
        if (!known)
            return wk_usage_error(options, "unknown option -%c", *flag);
        *flags[known - letters] = 1;
    }
    return 0;
}

int wk_count_option(struct WkOptions* options, const char* arg, unsigned long long* count, int* by_lines,
    int* from_start)
{
    const char* number;
    if (arg[1] == 'n' || arg[1] == 'c') {
        *by_lines = arg[1] == 'n';
        number = arg[2] ? arg + 2 : wk_option_value(options);
        if (!number)
            return wk_usage_error(options, "option -%c needs a number", arg[1]);
    } else if (arg[1] >= '0' && arg[1] <= '9') {
        *by_lines = 1;
        number = arg + 1;
    } else {
        return wk_usage_error(options, "unknown option %s", arg);
    }
    int plus = 0;
    if (from_start)
        plus = *from_start = number[0] == '+';
    if (wk_parse_count(number + plus, count) != 0) {
        fprintf(stderr, "%s: invalid number of %s: %s\n", options->program, *by_lines ? "lines" : "bytes", number);
        return 2;
    }
    return 0;
}

int wk_input_operands(const struct WkOptions* options, char*** names)
{
    static char* standard_input[] = { "-" };
    if (options->next >= options->argc) {
        *names = standard_input;
        return 1;
    }
    *names = options->argv + options->next;
    return options->argc - options->next;
}

int wk_transfer_target(const struct WkOptions* options, char target[WK_PATH_MAX], int* into_directory)
{
    int count = options->argc - options->next;
    if (count < 2)
        return wk_usage_error(options, "missing %s", count == 0 ? "source and target" : "target");
    const char* last = options->argv[options->argc - 1];
    int error = wk_resolve_path(wk_cwd(), last, target);
    struct stat info;
    *into_directory = !error && stat(target, &info) == 0 && S_ISDIR(info.st_mode);
    // NOTE: resolving drops a trailing '/', which still promises a directory.
    if (!error && (count > 2 || last[strlen(last) - 1] == '/') && !*into_directory)
        error = ENOTDIR;
    if (!error)
        return 0;
    fprintf(stderr, "%s: %s: %s\n", options->program, last, strerror(error));
    return 1;
}

int wk_transfer_destination(const char* target, int into_directory, const char* source, char out[WK_PATH_MAX])
{
    if (!into_directory) {
        memcpy(out, target, WK_PATH_MAX);
        return 0;
    }
    const char* slash = strrchr(source, '/');
    const char* name = slash[1] ? slash + 1 : source; // "/" has no name of its own
    if ((size_t)snprintf(out, WK_PATH_MAX, "%s/%s", strcmp(target, "/") ? target : "", name) >= WK_PATH_MAX)
        return ENAMETOOLONG;
    return 0;
}
