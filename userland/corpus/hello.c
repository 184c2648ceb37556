// stdio: formatted output on stdout and stderr, line input from stdin.
#include <ctype.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    printf("hello, wasm32-wasi\n");
    printf("%d %5d|%-5d|%05d %x %X %o %u\n", 42, -7, 7, 42, 255, 255, 8, 4000000000u);
    printf("%lld %llu %zu %c %s %.3s|%10s|%-10s|\n", -9000000000000LL, 18000000000000000000ULL, sizeof(long), 'w',
           "string", "truncated", "right", "left");
    printf("%%|%p\n", (void*)0);
    fprintf(stderr, "this line goes to stderr\n");
    fputs("fputs line\n", stdout);
    puts("puts line");
    for (int c = 'a'; c <= 'e'; ++c)
        putchar(c);
    putchar('\n');

    char line[256];
    int lines = 0, words = 0, chars = 0;
    while (fgets(line, sizeof line, stdin)) {
        ++lines;
        chars += (int)strlen(line);
        int in_word = 0;
        for (char* p = line; *p; ++p) {
            if (isspace((unsigned char)*p))
                in_word = 0;
            else if (!in_word) {
                in_word = 1;
                ++words;
            }
        }
        for (char* p = line; *p; ++p)
            *p = (char)toupper((unsigned char)*p);
        printf("stdin: %s", line);
    }
    printf("lines=%d words=%d chars=%d\n", lines, words, chars);
    fflush(stdout);
    fprintf(stderr, "done\n");
    return 0;
}
