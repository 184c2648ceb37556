// Arguments and environment as the runtime passes them.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char** environ;

static int compare(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

int main(int argc, char** argv)
{
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; ++i)
        printf("argv[%d]=[%s] (%zu bytes)\n", i, argv[i], strlen(argv[i]));
    printf("argv[argc] is %s\n", argv[argc] == NULL ? "NULL" : "not NULL");

    int count = 0;
    for (char** e = environ; *e; ++e)
        ++count;
    char** sorted = malloc(sizeof(char*) * (size_t)(count + 1));
    memcpy(sorted, environ, sizeof(char*) * (size_t)count);
    qsort(sorted, (size_t)count, sizeof(char*), compare);
    printf("environ has %d entries\n", count);
    for (int i = 0; i < count; ++i)
        printf("env: %s\n", sorted[i]);
    free(sorted);

    const char* greeting = getenv("GREETING");
    printf("GREETING=%s\n", greeting ? greeting : "(unset)");
    printf("MISSING=%s\n", getenv("MISSING") ? "set" : "(unset)");
    setenv("ADDED", "later", 1);
    printf("ADDED=%s\n", getenv("ADDED"));
    unsetenv("GREETING");
    printf("GREETING after unsetenv=%s\n", getenv("GREETING") ? "set" : "(unset)");
    return argc > 3 ? 3 : 0;
}
