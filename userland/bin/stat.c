// stat [-c FORMAT] PATH...: the size, type, links, inode and times of each PATH (a symbolic
// link itself, not its target). Times are UTC. -c prints FORMAT instead, with the GNU stat
// directives %n %s %F %h %i %d %X %Y %Z %x %y %z %%. Relative paths start at $PWD.
#include "wasmkern.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void usage(FILE* out)
{
    fprintf(out, "usage: stat [-c FORMAT] PATH...\n"
                 "Prints the size, type, links, inode and times (UTC) of each PATH. FORMAT: %%n name,\n"
                 "%%s size, %%F type, %%h links, %%i inode, %%d device, %%X %%Y %%Z access, modify and\n"
                 "change seconds, %%x %%y %%z the same as dates, %%%% a %%; \\n and \\t escapes.\n");
}

static const char* type_name(const struct stat* info)
{
    switch (info->st_mode & S_IFMT) {
    case S_IFREG: return info->st_size == 0 ? "regular empty file" : "regular file";
    case S_IFDIR: return "directory";
    case S_IFLNK: return "symbolic link";
    case S_IFCHR: return "character special file";
    case S_IFBLK: return "block special file";
    case S_IFSOCK: return "socket";
    }
    return "unknown";
}

static void print_time(const struct timespec* when)
{
    time_t seconds = when->tv_sec;
    struct tm parts;
    char text[64];
    if (!gmtime_r(&seconds, &parts) || strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &parts) == 0) {
        printf("%lld", (long long)seconds);
        return;
    }
    printf("%s.%09ld +0000", text, (long)when->tv_nsec);
}

static void print_format(const char* format, const char* name, const struct stat* info)
{
    for (const char* at = format; *at; ++at) {
        if (*at == '\\' && (at[1] == 'n' || at[1] == 't' || at[1] == '\\')) {
            ++at;
            putchar(*at == 'n' ? '\n' : *at == 't' ? '\t' : '\\');
            continue;
        }
        if (*at != '%' || at[1] == '\0') {
            putchar(*at);
            continue;
        }
        switch (*++at) {
        case 'n': fputs(name, stdout); break;
        case 's': printf("%lld", (long long)info->st_size); break;
        case 'F': fputs(type_name(info), stdout); break;
        case 'h': printf("%llu", (unsigned long long)info->st_nlink); break;
        case 'i': printf("%llu", (unsigned long long)info->st_ino); break;
        case 'd': printf("%llu", (unsigned long long)info->st_dev); break;
        case 'X': printf("%lld", (long long)info->st_atim.tv_sec); break;
        case 'Y': printf("%lld", (long long)info->st_mtim.tv_sec); break;
        case 'Z': printf("%lld", (long long)info->st_ctim.tv_sec); break;
        case 'x': print_time(&info->st_atim); break;
        case 'y': print_time(&info->st_mtim); break;
        case 'z': print_time(&info->st_ctim); break;
        case '%': putchar('%'); break;
        default: putchar('%'); putchar(*at); break;
        }
    }
    putchar('\n');
}

static void print_default(const char* name, const struct stat* info)
{
    printf("  File: %s\n", name);
    printf("  Size: %-15lld Type: %s\n", (long long)info->st_size, type_name(info));
    printf(" Inode: %-15llu Links: %llu\n", (unsigned long long)info->st_ino, (unsigned long long)info->st_nlink);
    printf("Access: ");
    print_time(&info->st_atim);
    printf("\nModify: ");
    print_time(&info->st_mtim);
    printf("\nChange: ");
    print_time(&info->st_ctim);
    putchar('\n');
}

int main(int argc, char** argv)
{
    const char* format = NULL;
    struct WkOptions options = WK_OPTIONS("stat", argc, argv, usage);
    for (const char* arg; (arg = wk_next_option(&options));) {
        if (strcmp(arg, "-c") == 0 && options.next < argc)
            format = wk_option_value(&options);
        else
            return wk_usage_error(&options, "unknown option %s", arg);
    }
    if (options.next >= argc)
        return wk_usage_error(&options, "missing operand");
    int status = 0;
    for (int i = options.next; i < argc; ++i) {
        char path[WK_PATH_MAX];
        int error = wk_resolve_path(wk_cwd(), argv[i], path);
        struct stat info;
        if (!error && lstat(path, &info) != 0)
            error = errno;
        if (error) {
            fprintf(stderr, "stat: %s: %s\n", argv[i], strerror(error));
            status = 1;
            continue;
        }
        if (format)
            print_format(format, argv[i], &info);
        else
            print_default(argv[i], &info);
    }
    return wk_finish_output("stat") | status;
}
