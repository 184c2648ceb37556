// sh: the Wasmkern shell. Reads raw console input and edits the line itself (the kernel does
// not echo), splits it into words with quotes, and runs builtins or programs through
// wasmkern.spawn. docs/userland.md describes the prompt, the keys and the rules.
#include "wasmkern.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINE_CAPACITY 1024 // bytes of a line, including room for the NUL
#define MAX_WORDS 128
#define MAX_ESCAPE_BYTES 32 // a longer escape sequence is given up on

#define STATUS_NOT_FOUND 127
#define STATUS_NOT_RUNNABLE 126
#define STATUS_USAGE 2

static char g_cwd[WK_PATH_MAX] = "/";
static int g_status; // of the last command: `exit` without N exits with it

static void report(const char* format, ...) __attribute__((format(printf, 1, 2)));
static void report(const char* format, ...)
{
    fflush(stdout);
    va_list arguments;
    va_start(arguments, format);
    fputs("sh: ", stderr);
    vfprintf(stderr, format, arguments);
    fputc('\n', stderr);
    va_end(arguments);
}

// ---- the line editor -----------------------------------------------------------------------

enum EscapeState {
    ESCAPE_NONE,
    ESCAPE_START,     // after ESC
    ESCAPE_CSI,       // after ESC [ : parameters, intermediates, then a final byte
    ESCAPE_LAST_BYTE, // after ESC O : one more byte
};

struct Editor {
    char line[LINE_CAPACITY];
    size_t length;
    int overflowed;     // a byte was refused: the line is refused when it ends
    int after_cr;       // the last byte ended a line with CR: a following LF is part of it
    int escape_state;   // enum EscapeState
    int escape_length;
};

enum LineResult { LINE_DONE, LINE_END_OF_INPUT, LINE_READ_ERROR };

static void echo(const char* text) { fputs(text, stdout); }

static void erase_character(struct Editor* editor)
{
    if (editor->length == 0)
        return;
    // A UTF-8 character goes as a whole: its continuation bytes, then its first byte.
    while (editor->length > 1 && ((unsigned char)editor->line[editor->length - 1] & 0xc0) == 0x80)
        --editor->length;
    --editor->length;
    echo("\b \b");
}

// Whether `byte` ends, continues or aborts the escape sequence in progress. Returns 1 when the
// byte was consumed by the sequence, 0 when it is to be handled as ordinary input.
static int consume_escape(struct Editor* editor, unsigned char byte)
{
    switch (editor->escape_state) {
    case ESCAPE_START:
        editor->escape_length = 0;
        editor->escape_state = byte == '[' ? ESCAPE_CSI : byte == 'O' ? ESCAPE_LAST_BYTE : ESCAPE_NONE;
        // ESC followed by a control byte: the control byte still counts (ESC then Enter).
        return byte >= 0x20;
    case ESCAPE_CSI:
        if (byte >= 0x20 && byte <= 0x3f && ++editor->escape_length < MAX_ESCAPE_BYTES)
            return 1; // parameter or intermediate byte
        editor->escape_state = ESCAPE_NONE;
        return byte >= 0x40 && byte <= 0x7e; // a final byte ends it; anything else is input
    case ESCAPE_LAST_BYTE:
        editor->escape_state = ESCAPE_NONE;
        return byte >= 0x20;
    default:
        return 0;
    }
}

// Reads one line with editing. On LINE_DONE and LINE_END_OF_INPUT the line (possibly
// partial for the latter) is NUL-terminated in editor->line.
static enum LineResult read_line(struct Editor* editor)
{
    editor->length = 0;
    editor->overflowed = 0;
    editor->escape_state = ESCAPE_NONE;
    for (;;) {
        fflush(stdout);
        unsigned char byte;
        ssize_t count = read(STDIN_FILENO, &byte, 1);
        if (count < 0 && errno == EINTR)
            continue;
        if (count < 0) {
            editor->line[editor->length] = '\0';
            return LINE_READ_ERROR;
        }
        if (count == 0) {
            editor->line[editor->length] = '\0';
            return LINE_END_OF_INPUT;
        }
        int after_cr = editor->after_cr;
        editor->after_cr = 0;
        if (editor->escape_state != ESCAPE_NONE && consume_escape(editor, byte))
            continue;
        switch (byte) {
        case '\n':
            if (after_cr)
                continue; // CR LF: the line already ended at CR
            /* fallthrough */
        case '\r':
            editor->after_cr = byte == '\r';
            editor->line[editor->length] = '\0';
            echo("\n");
            return LINE_DONE;
        case 0x7f: // DEL, what most terminals send for Backspace
        case '\b':
            erase_character(editor);
            continue;
        case 0x15: // Ctrl-U
            while (editor->length > 0)
                erase_character(editor);
            editor->overflowed = 0;
            continue;
        case 0x03: // Ctrl-C: abandon the line
            echo("^C\n");
            editor->length = 0;
            editor->overflowed = 0;
            editor->line[0] = '\0';
            return LINE_DONE;
        case 0x04: // Ctrl-D: end of input on an empty line, ignored otherwise
            if (editor->length == 0) {
                editor->line[0] = '\0';
                return LINE_END_OF_INPUT;
            }
            continue;
        case 0x1b:
            editor->escape_state = ESCAPE_START;
            continue;
        case '\t':
            byte = ' ';
            break;
        default:
            if (byte < 0x20)
                continue; // other control bytes do nothing
            break;
        }
        if (editor->length + 1 >= LINE_CAPACITY) {
            editor->overflowed = 1;
            echo("\a");
            continue;
        }
        editor->line[editor->length++] = (char)byte;
        fputc(byte, stdout);
    }
}

// ---- words ---------------------------------------------------------------------------------

// Splits `line` into words, written NUL-terminated into `storage` (at least as large as the
// line). Spaces and tabs separate words; '...' keeps everything literally; "..." keeps
// everything but \" and \\, which stand for " and \; outside quotes a backslash takes the next
// byte literally; a word starting with # begins a comment; an unquoted & ends the command and
// sets *background (only spaces or a comment may follow). NULL, or what is wrong.
static const char* split_words(const char* line, char* storage, char* words[MAX_WORDS], int* count,
    int* background)
{
    *count = 0;
    *background = 0;
    char* out = storage;
    const char* in = line;
    for (;;) {
        while (*in == ' ' || *in == '\t')
            ++in;
        if (*in == '\0' || *in == '#')
            return NULL;
        if (*count == MAX_WORDS)
            return "too many words (at most 128)";
        words[(*count)++] = out;
        while (*in && *in != ' ' && *in != '\t') {
            if (*in == '\'') {
                const char* close = strchr(in + 1, '\'');
                if (!close)
                    return "unterminated single quote";
                memcpy(out, in + 1, (size_t)(close - in - 1));
                out += close - in - 1;
                in = close + 1;
            } else if (*in == '"') {
                for (++in; *in != '"'; ++in) {
                    if (*in == '\0')
                        return "unterminated double quote";
                    if (*in == '\\' && (in[1] == '"' || in[1] == '\\'))
                        ++in;
                    *out++ = *in;
                }
                ++in;
            } else if (*in == '\\') {
                if (in[1] == '\0')
                    return "the line ends with a backslash";
                *out++ = in[1];
                in += 2;
            } else if (*in == '&') {
                for (++in; *in == ' ' || *in == '\t';)
                    ++in;
                if (*in != '\0' && *in != '#')
                    return "& must end the command";
                if (out == words[*count - 1])
                    --*count; // the & stood alone
                else
                    *out = '\0';
                if (*count == 0)
                    return "& without a command";
                *background = 1;
                return NULL;
            } else {
                *out++ = *in++;
            }
        }
        *out++ = '\0';
    }
}

// ---- builtins ------------------------------------------------------------------------------

static int builtin_cd(int argc, char** argv)
{
    if (argc > 2) {
        report("cd: too many arguments");
        return STATUS_USAGE;
    }
    const char* target = argc == 2 ? argv[1] : "/";
    char path[WK_PATH_MAX];
    int error = wk_resolve_path(g_cwd, target, path);
    struct stat info;
    if (!error && stat(path, &info) != 0)
        error = errno;
    if (!error && !S_ISDIR(info.st_mode))
        error = ENOTDIR;
    if (error) {
        report("cd: %s: %s", target, strerror(error));
        return 1;
    }
    strcpy(g_cwd, path);
    // The shell's own relative paths (wasi-libc's cwd) follow; programs get g_cwd as PWD.
    (void)chdir(g_cwd);
    return 0;
}

static int compare_names(const void* a, const void* b)
{
    return strcmp(*(char* const*)a, *(char* const*)b);
}

// The names in /bin, sorted, wrapped before column 80 with continuation lines indented.
static void print_programs(void)
{
    enum { kMaxNames = 256 };
    char* names[kMaxNames];
    size_t count = 0;
    int more = 0;
    DIR* dir = opendir("/bin");
    if (!dir) {
        printf("(cannot list /bin: %s)\n", strerror(errno));
        return;
    }
    for (struct dirent* entry; (entry = readdir(dir));) {
        if (entry->d_name[0] == '.')
            continue;
        if (count == kMaxNames || !(names[count] = strdup(entry->d_name)))
            more = 1;
        else
            ++count;
    }
    closedir(dir);
    qsort(names, count, sizeof *names, compare_names);
    const char* heading = "programs in /bin:";
    size_t column = strlen(heading);
    printf("%s", heading);
    for (size_t i = 0; i < count; ++i) {
        size_t width = strlen(names[i]);
        if (column + 1 + width > 79 && column > 2) {
            printf("\n ");
            column = 1;
        }
        printf(" %s", names[i]);
        column += 1 + width;
        free(names[i]);
    }
    printf(more ? " ...\n" : "\n");
}

static void print_help(void)
{
    printf("Wasmkern shell. A line is words separated by spaces; 'single' and \"double\" quotes\n"
           "keep spaces in a word, \\ takes the next character literally, # starts a comment.\n"
           "The first word is a builtin or a program: /bin/WORD, or a path if it contains '/'.\n"
           "builtins:\n"
           "  cd [DIR]    change the directory programs start in (default /); it is their $PWD\n"
           "  pwd         print that directory\n"
           "  exit [N]    leave the shell with status N (default: the last command's status)\n"
           "  wait [PID]  wait for a program started with & (default: all of them)\n"
           "  kill PID... end processes (a builtin: works when the process table is full)\n"
           "  help        this text\n"
           "A command ending in & runs in the background: the shell prints [PID], goes on, and\n"
           "reports [PID] done, status N before a later prompt.\n"
           "keys: Backspace erases a character, Ctrl-U the line, Ctrl-C abandons it, Ctrl-D on an\n"
           "empty line exits. Every program takes --help.\n");
    print_programs();
}

// ---- background programs -------------------------------------------------------------------

#define MAX_JOBS 16
#define MAX_LISTED_PROCESSES 64

static uint32_t g_jobs[MAX_JOBS]; // pids started with & and not waited for yet
static int g_job_count;

static void forget_job(int index)
{
    g_jobs[index] = g_jobs[--g_job_count];
}

// Waits for job `index` (which must not block long: it has exited, or the caller asked to
// wait) and reports it. Returns its status.
static int finish_job(int index)
{
    uint32_t pid = g_jobs[index];
    uint32_t status = 0;
    int error = wasmkern_wait(pid, &status);
    forget_job(index);
    if (error) {
        report("wait for process %u: %s", pid, strerror(error));
        return 1;
    }
    const char* note = status == WK_STATUS_KILLED ? " (killed)" : status == WK_STATUS_TRAPPED ? " (trap)" : "";
    printf("[%u] done, status %u%s\n", pid, status, note);
    return (int)(status & 0xff);
}

// Reports the background programs that have exited, without blocking: ps says which.
static void reap_finished_jobs(void)
{
    if (g_job_count == 0)
        return;
    static struct WkProcessRecord records[MAX_LISTED_PROCESSES];
    uint32_t total = 0;
    if (wasmkern_ps(records, sizeof records, &total) != 0)
        return;
    uint32_t listed = total < MAX_LISTED_PROCESSES ? total : MAX_LISTED_PROCESSES;
    for (int job = g_job_count - 1; job >= 0; --job) {
        int running = 0;
        int found = 0;
        for (uint32_t i = 0; i < listed; ++i) {
            if (records[i].pid == g_jobs[job]) {
                found = 1;
                running = records[i].state != WK_PROCESS_EXITED;
            }
        }
        // Not in a complete listing: gone (wait says why); not in a cut-short one: unknown.
        if (running || (!found && listed < total))
            continue;
        finish_job(job);
    }
}

// wait [PID]: waits for one background program, or all of them.
static int builtin_wait(int argc, char** argv)
{
    if (argc > 2) {
        report("wait: too many arguments");
        return STATUS_USAGE;
    }
    if (argc == 1) {
        int status = 0;
        while (g_job_count > 0)
            status = finish_job(g_job_count - 1);
        return status;
    }
    char* end;
    unsigned long pid = strtoul(argv[1], &end, 10);
    for (int job = 0; job < g_job_count && *end == '\0' && argv[1][0] != '\0'; ++job) {
        if (g_jobs[job] == pid)
            return finish_job(job);
    }
    report("wait: %s: not a background program of this shell", argv[1]);
    return 1;
}

// kill PID...: ends each process through wasmkern.kill. A builtin so that it needs no process
// slot: with the kernel's table full of runaway programs, spawning /bin/kill would be refused.
static int builtin_kill(int argc, char** argv)
{
    if (argc == 1) {
        report("kill: missing process id");
        return STATUS_USAGE;
    }
    int status = 0;
    for (int i = 1; i < argc; ++i) {
        char* end;
        unsigned long pid = strtoul(argv[i], &end, 10);
        if (argv[i][0] < '0' || argv[i][0] > '9' || *end != '\0' || pid > UINT32_MAX) {
            report("kill: %s: not a process id", argv[i]);
            status = 1;
            continue;
        }
        int error = wasmkern_kill((uint32_t)pid);
        if (error) {
            report("kill: %s: %s", argv[i], strerror(error));
            status = 1;
        }
    }
    return status;
}

// ---- running programs ----------------------------------------------------------------------

static int run_program(int argc, char** argv, int background)
{
    if (background && g_job_count == MAX_JOBS) {
        report("%s: already %d programs in the background; `wait` for them first", argv[0], MAX_JOBS);
        return STATUS_NOT_RUNNABLE;
    }
    char path[WK_PATH_MAX];
    int error = wk_program_path(g_cwd, argv[0], path);
    char** environment = NULL;
    if (!error) {
        environment = wk_environment_with_pwd(g_cwd);
        if (!environment)
            error = ENOMEM;
    }
    uint32_t pid = 0;
    if (!error) {
        fflush(stdout);
        error = wk_spawn(path, argc, argv, environment, &pid);
    }
    free(environment);
    if (error == ENOENT) {
        report("%s: command not found", argv[0]);
        return STATUS_NOT_FOUND;
    }
    if (error == ENOEXEC) {
        report("%s: not a valid program", argv[0]);
        return STATUS_NOT_RUNNABLE;
    }
    if (error == EAGAIN) {
        report("%s: too many processes (the kernel's limit); wait for some to end", argv[0]);
        return STATUS_NOT_RUNNABLE;
    }
    if (error) {
        report("%s: %s", argv[0], strerror(error));
        return STATUS_NOT_RUNNABLE;
    }
    if (background) {
        g_jobs[g_job_count++] = pid;
        printf("[%u]\n", pid);
        return 0;
    }
    uint32_t status = 0;
    error = wasmkern_wait(pid, &status);
    if (error) {
        report("%s: wait for process %u: %s", argv[0], pid, strerror(error));
        return 1;
    }
    return (int)(status & 0xff);
}

// Runs one line. Returns 1 when the shell is to exit (with g_status).
static int run_line(const char* line)
{
    static char storage[LINE_CAPACITY];
    char* words[MAX_WORDS + 1];
    int count = 0;
    if (strlen(line) >= sizeof storage) {
        report("line too long (at most %d bytes)", LINE_CAPACITY - 1);
        g_status = STATUS_USAGE;
        return 0;
    }
    int background = 0;
    const char* problem = split_words(line, storage, words, &count, &background);
    if (problem) {
        report("%s", problem);
        g_status = STATUS_USAGE;
        return 0;
    }
    if (count == 0)
        return 0;
    words[count] = NULL;
    const char* command = words[0];
    int builtin = strcmp(command, "exit") == 0 || strcmp(command, "cd") == 0 || strcmp(command, "pwd") == 0
        || strcmp(command, "help") == 0 || strcmp(command, "wait") == 0 || strcmp(command, "kill") == 0;
    if (builtin && background) {
        report("%s: a builtin cannot run in the background", command);
        g_status = STATUS_USAGE;
        return 0;
    }
    if (strcmp(command, "exit") == 0) {
        if (count > 2) {
            report("exit: too many arguments");
            g_status = STATUS_USAGE;
            return 0;
        }
        if (count == 2) {
            char* end;
            long status = strtol(words[1], &end, 10);
            if (words[1][0] == '\0' || *end != '\0' || status < 0 || status > 255) {
                report("exit: %s: not a status (0 to 255)", words[1]);
                g_status = STATUS_USAGE;
                return 0;
            }
            g_status = (int)status;
        }
        return 1;
    }
    if (strcmp(command, "cd") == 0) {
        g_status = builtin_cd(count, words);
    } else if (strcmp(command, "pwd") == 0) {
        printf("%s\n", g_cwd);
        g_status = 0;
    } else if (strcmp(command, "help") == 0) {
        print_help();
        g_status = 0;
    } else if (strcmp(command, "wait") == 0) {
        g_status = builtin_wait(count, words);
    } else if (strcmp(command, "kill") == 0) {
        g_status = builtin_kill(count, words);
    } else {
        g_status = run_program(count, words, background);
    }
    return 0;
}

static void usage(FILE* out)
{
    fprintf(out, "usage: sh [-c LINE]\n"
                 "Reads command lines from standard input (raw: the shell echoes and edits them) and\n"
                 "runs them; with -c runs LINE only. `help` inside the shell lists the builtins.\n");
}

int main(int argc, char** argv)
{
    if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    const char* start = wk_cwd();
    struct stat info;
    if (wk_resolve_path("/", start, g_cwd) != 0 || stat(g_cwd, &info) != 0 || !S_ISDIR(info.st_mode))
        strcpy(g_cwd, "/");
    (void)chdir(g_cwd);
    // Programs expect a home directory; /home is where the image puts the user's files.
    if (!getenv("HOME") && setenv("HOME", "/home", 1) != 0)
        report("cannot set HOME: %s", strerror(errno));
    if (argc >= 2 && strcmp(argv[1], "-c") == 0) {
        if (argc != 3) {
            usage(stderr);
            return STATUS_USAGE;
        }
        run_line(argv[2]);
        fflush(stdout);
        return g_status;
    }
    if (argc >= 2) {
        fprintf(stderr, "sh: unexpected argument %s\n", argv[1]);
        usage(stderr);
        return STATUS_USAGE;
    }
    static struct Editor editor;
    for (;;) {
        reap_finished_jobs();
        printf("wasmkern:%s$ ", g_cwd);
        enum LineResult result = read_line(&editor);
        if (result == LINE_READ_ERROR) {
            report("reading standard input: %s", strerror(errno));
            return 1;
        }
        if (editor.overflowed) {
            if (result == LINE_END_OF_INPUT)
                echo("\n");
            report("line too long (at most %d bytes): not run", LINE_CAPACITY - 1);
            g_status = STATUS_USAGE;
        } else {
            if (result == LINE_END_OF_INPUT && editor.length > 0)
                echo("\n");
            if (run_line(editor.line))
                break;
        }
        if (result == LINE_END_OF_INPUT) {
            echo("exit\n");
            break;
        }
    }
    fflush(stdout);
    return g_status;
}
