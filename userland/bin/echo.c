// echo [-n] [WORD...]: prints the words separated by spaces, then a newline (none with -n).
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: echo [-n] [WORD...]\n"
               "Prints the words separated by single spaces and a newline; -n leaves the newline out.\n");
        return 0;
    }
    int first = 1;
    int newline = 1;
    if (argc > 1 && strcmp(argv[1], "-n") == 0) {
        newline = 0;
        first = 2;
    }
    for (int i = first; i < argc; ++i) {
        if (i > first)
            putchar(' ');
        fputs(argv[i], stdout);
    }
    if (newline)
        putchar('\n');
    if (fflush(stdout) != 0) {
        perror("echo: write");
        return 1;
    }
    return 0;
}
