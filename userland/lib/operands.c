// Input operands, counts and output errors for the text and file programs (wasmkern.h).
#include "wasmkern.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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
