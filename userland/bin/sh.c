// sh: the Wasmkern shell. Reads raw console input and edits the line itself (the kernel does
// not echo; ../sh/edit.c), parses it (../sh/parse.c) and runs builtins, or programs through
// wasmkern.spawn (../sh/spawn.c) with pipes and redirections. docs/userland.md describes the
// prompt, the keys and the rules.
#include "../sh/edit.h"
#include "../sh/parse.h"
#include "../sh/spawn.h"
#include "wasmkern.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_cwd[WK_PATH_MAX] = "/";
static int g_status; // of the last command: `exit` without N exits with it
// The root resource, when the kernel or the shell's parent handed it over (0: none). The shell
// passes it on, with only the right each needs, to /bin/ps, /bin/poweroff, /bin/kill and
// /bin/sh, and to no other program (docs/process-abi.md, "Handles").
static uint32_t g_root;

// Where a builtin writes: its redirections or pipe while run_builtin runs it, NULL (the
// shell's stdout and stderr) otherwise. NOTE: streams over the target fds rather than fds
// 1 and 2 moved aside: WASI has no dup, so the shell could not get its own fd 1 back.
static FILE* g_builtin_out;
static FILE* g_builtin_err;

static FILE* out_stream(void)
{
    return g_builtin_out ? g_builtin_out : stdout;
}

void sh_report(const char* format, ...)
{
    FILE* err = g_builtin_err ? g_builtin_err : stderr;
    fflush(out_stream()); // what was printed before comes first where both reach one screen
    va_list arguments;
    va_start(arguments, format);
    fputs("sh: ", err);
    vfprintf(err, format, arguments);
    fputc('\n', err);
    va_end(arguments);
}

// ---- builtins ------------------------------------------------------------------------------

static int builtin_cd(int argc, char** argv)
{
    if (argc > 2) {
        sh_report("cd: too many arguments");
        return SH_STATUS_USAGE;
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
        sh_report("cd: %s: %s", target, strerror(error));
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
        fprintf(out_stream(), "(cannot list /bin: %s)\n", strerror(errno));
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
    fprintf(out_stream(), "%s", heading);
    for (size_t i = 0; i < count; ++i) {
        size_t width = strlen(names[i]);
        if (column + 1 + width > 79 && column > 2) {
            fprintf(out_stream(), "\n ");
            column = 1;
        }
        fprintf(out_stream(), " %s", names[i]);
        column += 1 + width;
        free(names[i]);
    }
    fprintf(out_stream(), more ? " ...\n" : "\n");
}

static void print_help(void)
{
    FILE* out = out_stream();
    fprintf(out, "Wasmkern shell. A line is words separated by spaces; 'single' and \"double\" quotes\n"
                 "keep spaces in a word, \\ takes the next character literally, # starts a comment.\n"
                 "$NAME, ${NAME} and $? (the last status) expand, also inside \"double\" quotes.\n"
                 "The first word is a builtin or a program: /bin/WORD, or a path if it contains '/'.\n"
                 "  a | b | c   pipes: a's output is b's input, and so on\n"
                 "  < F  > F  >> F  2> F  2>> F  2>&1    redirect input, output, errors (2>&1: to output)\n"
                 "  a ; b   a && b   a || b    b always, only after a succeeded, only after it failed\n"
                 "  --nonet PROG ...   run PROG without the network right (no outbound connections)\n"
                 "  --tcplisten PORT PROG ...   PROG accepts TCP connections on PORT (descriptor 4)\n"
                 "builtins:\n"
                 "  cd [DIR]    change the directory programs start in (default /); it is their $PWD\n"
                 "  pwd         print that directory\n"
                 "  export [NAME[=VALUE]...]  set variables (all are passed to programs); unset NAME...\n"
                 "  exit [N]    leave the shell with status N (default: the last command's status)\n"
                 "  wait [PID]  wait for a program started with & (default: all of them)\n"
                 "  kill PID... end processes: background ones, any with the root resource (a builtin:\n"
                 "              works when the process table is full)\n"
                 "  help        this text\n"
                 "Builtins run in the shell; piped or redirected they write to the pipe or file, and\n"
                 "cd, export and unset still change the shell (exit in a pipeline does not exit).\n"
                 "A command ending in & runs in the background: the shell prints [PID], goes on, and\n"
                 "reports [PID] done, status N before a later prompt.\n"
                 "keys: Backspace erases a character, Ctrl-U the line, Ctrl-C abandons it or stops the\n"
                 "running program (status 130), Up and Down recall earlier lines, Tab completes a path,\n"
                 "Ctrl-D on an empty line exits. Every program takes --help.\n");
    print_programs();
}

// ---- background programs -------------------------------------------------------------------

#define MAX_JOBS 16

static uint32_t g_jobs[MAX_JOBS]; // handles of programs started with & and not waited for yet
static uint32_t g_job_pids[MAX_JOBS]; // and their pids, as shown
static int g_job_count;

static void forget_job(int index)
{
    --g_job_count;
    g_jobs[index] = g_jobs[g_job_count];
    g_job_pids[index] = g_job_pids[g_job_count];
}

// Waits for job `index` (which must not block long: it has exited, or the caller asked to
// wait) and reports it. Returns its status.
static int finish_job(int index)
{
    uint32_t pid = g_job_pids[index];
    uint32_t status = 0;
    int error = wasmkern_wait(g_jobs[index], &status);
    forget_job(index);
    if (error) {
        sh_report("wait for process %u: %s", pid, strerror(error));
        return 1;
    }
    const char* note = status == WK_STATUS_KILLED ? " (killed)" : status == WK_STATUS_TRAPPED ? " (trap)" : "";
    fprintf(out_stream(), "[%u] done, status %u%s\n", pid, status, note);
    return (int)(status & 0xff);
}

// Reports the background programs that have exited, without blocking: their handles say which.
static void reap_finished_jobs(void)
{
    for (int job = g_job_count - 1; job >= 0; --job) {
        struct WkProcessRecord record;
        // An error (it is gone) is reported by wait.
        if (wasmkern_process_info(g_jobs[job], &record, sizeof record) == 0 && record.state != WK_PROCESS_EXITED)
            continue;
        finish_job(job);
    }
}

// wait [PID]: waits for one background program, or all of them.
static int builtin_wait(int argc, char** argv)
{
    if (argc > 2) {
        sh_report("wait: too many arguments");
        return SH_STATUS_USAGE;
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
        if (g_job_pids[job] == pid)
            return finish_job(job);
    }
    sh_report("wait: %s: not a background program of this shell", argv[1]);
    return 1;
}

// kill PID...: ends each process through wasmkern.kill. A builtin so that it needs no process
// slot: with the kernel's table full of runaway programs, spawning /bin/kill would be refused.
// A pid of a background program uses the shell's handle to it; any other needs the root
// resource (wasmkern.process_by_pid).
static int builtin_kill(int argc, char** argv)
{
    if (argc == 1) {
        sh_report("kill: missing process id");
        return SH_STATUS_USAGE;
    }
    int status = 0;
    for (int i = 1; i < argc; ++i) {
        char* end;
        unsigned long pid = strtoul(argv[i], &end, 10);
        if (argv[i][0] < '0' || argv[i][0] > '9' || *end != '\0' || pid > UINT32_MAX) {
            sh_report("kill: %s: not a process id", argv[i]);
            status = 1;
            continue;
        }
        int error = ENOTCAPABLE;
        int job = 0;
        while (job < g_job_count && g_job_pids[job] != pid)
            ++job;
        if (job < g_job_count) {
            error = wasmkern_kill(g_jobs[job]);
        } else if (g_root) {
            uint32_t process = 0;
            error = wasmkern_process_by_pid(g_root, (uint32_t)pid, &process);
            if (!error) {
                error = wasmkern_kill(process);
                wasmkern_handle_close(process);
            }
        }
        if (error == ENOTCAPABLE && !g_root) {
            sh_report("kill: %s: not started by this shell (other processes need the root resource)", argv[i]);
            status = 1;
        } else if (error) {
            sh_report("kill: %s: %s", argv[i], strerror(error));
            status = 1;
        }
    }
    return status;
}

// export NAME=VALUE... or NAME...: sets variables of the shell's environment (every variable
// is exported: programs get them all); a bare NAME keeps its value or becomes empty.
static int valid_name(const char* name, size_t length)
{
    if (length == 0 || !((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z') || name[0] == '_'))
        return 0;
    for (size_t i = 1; i < length; ++i) {
        char c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return 1;
}

extern char** environ;

static int builtin_export(int argc, char** argv)
{
    if (argc == 1) {
        for (char** entry = environ; entry && *entry; ++entry)
            fprintf(out_stream(), "export %s\n", *entry);
        return 0;
    }
    int status = 0;
    for (int i = 1; i < argc; ++i) {
        char* equals = strchr(argv[i], '=');
        size_t length = equals ? (size_t)(equals - argv[i]) : strlen(argv[i]);
        if (!valid_name(argv[i], length)) {
            sh_report("export: %s: not a variable name", argv[i]);
            status = 1;
            continue;
        }
        int result = 0;
        if (equals) {
            *equals = '\0';
            result = setenv(argv[i], equals + 1, 1);
            *equals = '=';
        } else if (!getenv(argv[i])) {
            result = setenv(argv[i], "", 1);
        }
        if (result != 0) {
            sh_report("export: %s: %s", argv[i], strerror(errno));
            status = 1;
        }
    }
    return status;
}

static int builtin_unset(int argc, char** argv)
{
    int status = 0;
    for (int i = 1; i < argc; ++i) {
        if (!valid_name(argv[i], strlen(argv[i]))) {
            sh_report("unset: %s: not a variable name", argv[i]);
            status = 1;
            continue;
        }
        unsetenv(argv[i]);
    }
    return status;
}

// ---- running pipelines ---------------------------------------------------------------------

static const char* lookup_variable(const char* name, size_t length, void* data)
{
    (void)data;
    static char status_text[16];
    if (length == 1 && name[0] == '?') {
        snprintf(status_text, sizeof status_text, "%d", g_status);
        return status_text;
    }
    static char key[256];
    if (length >= sizeof key)
        return NULL;
    memcpy(key, name, length);
    key[length] = '\0';
    return getenv(key);
}

enum Builtin { NOT_BUILTIN, BUILTIN_EXIT, BUILTIN_CD, BUILTIN_PWD, BUILTIN_HELP, BUILTIN_WAIT, BUILTIN_KILL,
    BUILTIN_EXPORT, BUILTIN_UNSET };

static enum Builtin builtin_of(const char* word)
{
    static const char* const names[] = { "exit", "cd", "pwd", "help", "wait", "kill", "export", "unset" };
    for (size_t i = 0; i < sizeof names / sizeof *names; ++i) {
        if (strcmp(word, names[i]) == 0)
            return (enum Builtin)(i + 1);
    }
    return NOT_BUILTIN;
}

// Runs a builtin's work (its streams are set up). Returns its status; *exits is set when it
// is an `exit` that is to end the shell (with that status).
static int builtin_status(enum Builtin builtin, int count, char** words, int* exits)
{
    switch (builtin) {
    case BUILTIN_EXIT:
        if (count > 2) {
            sh_report("exit: too many arguments");
            return SH_STATUS_USAGE;
        }
        if (count == 2) {
            char* end;
            long status = strtol(words[1], &end, 10);
            if (words[1][0] == '\0' || *end != '\0' || status < 0 || status > 255) {
                sh_report("exit: %s: not a status (0 to 255)", words[1]);
                return SH_STATUS_USAGE;
            }
            *exits = 1;
            return (int)status;
        }
        *exits = 1;
        return g_status;
    case BUILTIN_CD: return builtin_cd(count, words);
    case BUILTIN_PWD: fprintf(out_stream(), "%s\n", g_cwd); return 0;
    case BUILTIN_HELP: print_help(); return 0;
    case BUILTIN_WAIT: return builtin_wait(count, words);
    case BUILTIN_KILL: return builtin_kill(count, words);
    case BUILTIN_EXPORT: return builtin_export(count, words);
    case BUILTIN_UNSET: return builtin_unset(count, words);
    case NOT_BUILTIN: break;
    }
    return 0;
}

// A stream over `fd` for a builtin: the shell's own for 1 and 2, else a new one (which
// owns fd). NULL after reporting why not.
static FILE* builtin_stream(int fd)
{
    if (fd == 1)
        return stdout;
    if (fd == 2)
        return stderr;
    FILE* stream = fdopen(fd, "w");
    if (!stream)
        sh_report("cannot write to fd %d: %s", fd, strerror(errno));
    return stream;
}

// Runs builtin `builtin` of `command` in the shell with its fd 1 being `output` (1, or a pipe's
// write end, which this closes) after its redirections; it reads nothing (its input file,
// if any, is only opened, so a missing one is an error as for a program). Returns its
// status; *exits as builtin_status.
// NOTE: the output goes through a stream of the shell's; writing more than a pipe holds (64
// KiB) waits for the reader, and a reader that has gone makes the rest of the output vanish
// (EPIPE), as SIGPIPE would end a POSIX shell's subshell.
static int run_builtin_command(struct ShCommand* command, enum Builtin builtin, int output, int* exits)
{
    int fds[3] = { 0, output, 2 };
    int opened[3];
    int status = sh_open_redirections(command, g_cwd, fds, opened);
    sh_close_fd(&opened[0]);
    if (fds[1] != output)
        sh_close_fd(&output); // `> FILE` after a pipe overrides the pipe
    FILE* out = NULL;
    FILE* err = NULL;
    if (!status && !(out = builtin_stream(fds[1])))
        status = 1;
    if (!status && !(err = fds[2] == fds[1] ? out : builtin_stream(fds[2])))
        status = 1;
    if (!status) {
        // The streams own what they were opened over: fclose below closes those fds.
        if (out != stdout)
            opened[1] = output = -1;
        if (err != stderr && err != out)
            opened[2] = -1;
        fflush(stdout);
        g_builtin_out = out;
        g_builtin_err = err;
        status = builtin_status(builtin, command->argc, command->argv, exits);
        int error = fflush(out) != 0 || ferror(out) ? errno : 0;
        g_builtin_out = g_builtin_err = NULL;
        if (error && error != EPIPE) {
            sh_report("%s: write error: %s", command->argv[0], strerror(error));
            status = 1;
        }
        if (err != out && err != stderr)
            fclose(err);
        if (out != stdout)
            fclose(out);
        else
            clearerr(stdout);
    } else if (out && out != stdout) {
        fclose(out);
        opened[1] = output = -1;
    }
    sh_close_fd(&opened[1]);
    sh_close_fd(&opened[2]);
    sh_close_fd(&output);
    return status;
}

// Waits for the foreground processes pids[0..count) (a 0 pid did not start). Ctrl-C on the
// console ends those still running with status 130 (wasmkern.interrupt). Returns the last
// one's status, or `last_status` when the last did not start.
static int wait_foreground(const uint32_t* pids, int count, int last_status)
{
    int interrupted = 0;
    for (int i = 0; i < count; ++i) {
        if (pids[i] == 0)
            continue;
        uint32_t status = 0;
        int error;
        while ((error = interrupted ? wasmkern_wait(pids[i], &status) : wasmkern_wait_console(pids[i], &status))
            == ECANCELED) {
            interrupted = 1;
            fputs("^C\n", stdout);
            for (int j = i; j < count; ++j) {
                if (pids[j] != 0)
                    wasmkern_interrupt(pids[j]);
            }
        }
        if (error) {
            sh_report("wait for process %u: %s", pids[i], strerror(error));
            status = 1;
        }
        if (i == count - 1)
            last_status = (int)(status & 0xff);
    }
    return last_status;
}

// Runs one pipeline (count > 0). Returns 1 when the shell is to exit (with g_status).
// Programs are spawned first, left to right; then the builtins run in the shell, left to
// right, each writing into its pipe (or file). NOTE: that order cannot deadlock: a builtin
// reads nothing (the shell closes the read end it would have), so every pipe a program
// waits on ends at a program or at a closed end, and each builtin's reader already runs.
static int run_pipeline(struct ShPipeline* pipeline)
{
    struct ShCommand* first = &pipeline->commands[0];
    enum Builtin builtins[SH_MAX_COMMANDS];
    int builtin_count = 0;
    for (int i = 0; i < pipeline->count; ++i) {
        builtins[i] = builtin_of(pipeline->commands[i].argv[0]);
        builtin_count += builtins[i] != NOT_BUILTIN;
    }
    if (builtin_count > 0 && pipeline->background) {
        for (int i = 0; i < pipeline->count; ++i) {
            if (builtins[i] != NOT_BUILTIN) {
                sh_report("%s: a builtin cannot run in the background", pipeline->commands[i].argv[0]);
                break;
            }
        }
        g_status = SH_STATUS_USAGE;
        return 0;
    }
    if (pipeline->count == 1 && builtin_count == 1) {
        // Alone (even redirected) a builtin acts on the shell, `exit` too, as POSIX says.
        int exits = 0;
        g_status = run_builtin_command(first, builtins[0], 1, &exits);
        return exits;
    }
    if (pipeline->background && g_job_count + pipeline->count > MAX_JOBS) {
        sh_report("%s: already %d programs in the background; `wait` for them first", first->argv[0], g_job_count);
        g_status = SH_STATUS_NOT_RUNNABLE;
        return 0;
    }
    uint32_t pids[SH_MAX_COMMANDS] = { 0 };
    int builtin_output[SH_MAX_COMMANDS]; // for a builtin: its fd 1 (1, or a pipe's write end)
    int ran = 0; // commands [0, ran) have their fds (a failed pipe stops the rest)
    int last_status = 0;
    int previous_read = -1; // the read end of the pipe from the command before
    for (int i = 0; i < pipeline->count; ++i) {
        int32_t pipe_fds[2] = { -1, -1 };
        int last = i == pipeline->count - 1;
        if (!last) {
            int error = wasmkern_pipe(pipe_fds);
            if (error) {
                sh_report("pipe: %s", strerror(error));
                last_status = SH_STATUS_NOT_RUNNABLE;
                break;
            }
        }
        ran = i + 1;
        int write_end = last ? 1 : pipe_fds[1];
        if (builtins[i] != NOT_BUILTIN) {
            builtin_output[i] = write_end; // kept for the builtin, which closes it
        } else {
            int stdio[3] = { previous_read >= 0 ? previous_read : 0, write_end, 2 };
            int status = sh_spawn_command(&pipeline->commands[i], g_cwd, g_root, stdio, &pids[i]);
            if (status) {
                pids[i] = 0;
                if (last)
                    last_status = status;
            }
            sh_close_fd(&write_end);
        }
        // The shell keeps no other end of a pipe: a reader sees end of file once its writers
        // are gone, and a writer EPIPE once its readers are (a builtin's readers at once).
        sh_close_fd(&previous_read);
        previous_read = pipe_fds[0];
    }
    sh_close_fd(&previous_read);
    for (int i = 0; i < ran; ++i) {
        if (builtins[i] == NOT_BUILTIN)
            continue;
        // In a pipeline `exit` ends only its own part, as it would end a POSIX subshell.
        int exits = 0;
        int status = run_builtin_command(&pipeline->commands[i], builtins[i], builtin_output[i], &exits);
        if (i == pipeline->count - 1)
            last_status = status;
    }
    if (pipeline->background) {
        for (int i = 0; i < pipeline->count; ++i) {
            if (pids[i] == 0)
                continue;
            g_jobs[g_job_count] = pids[i];
            g_job_pids[g_job_count] = wk_process_pid(pids[i]);
            printf("[%u]\n", g_job_pids[g_job_count]);
            ++g_job_count;
        }
        g_status = pids[pipeline->count - 1] == 0 ? last_status : 0;
        return 0;
    }
    g_status = wait_foreground(pids, pipeline->count, last_status);
    return 0;
}

// Runs one line. Returns 1 when the shell is to exit (with g_status).
static int run_line(const char* line)
{
    static struct ShPipeline pipeline;
    static char storage[SH_STORAGE];
    if (strlen(line) >= SH_LINE_CAPACITY) {
        sh_report("line too long (at most %d bytes)", SH_LINE_CAPACITY - 1);
        g_status = SH_STATUS_USAGE;
        return 0;
    }
    const char* problem = sh_check(line);
    if (problem) {
        sh_report("%s", problem);
        g_status = SH_STATUS_USAGE;
        return 0;
    }
    const char* cursor = line;
    enum ShConnector connector = SH_SEQUENCE;
    while (connector != SH_END) {
        enum ShConnector before = connector;
        // Expansion happens as each pipeline comes to run: $? is the status just before it.
        problem = sh_parse_pipeline(&cursor, lookup_variable, NULL, &pipeline, storage, &connector);
        if (problem) {
            sh_report("%s", problem);
            g_status = SH_STATUS_USAGE;
            return 0;
        }
        if (pipeline.count == 0)
            continue;
        if ((before == SH_AND && g_status != 0) || (before == SH_OR && g_status == 0))
            continue; // skipped: the status stays
        if (run_pipeline(&pipeline))
            return 1;
    }
    return 0;
}

static void usage(FILE* out)
{
    fprintf(out, "usage: sh [-c LINE]\n"
                 "Reads command lines from standard input (raw: the shell echoes and edits them) and\n"
                 "runs them; with -c runs LINE only. `help` inside the shell lists the builtins.\n");
}

// "wasmkern:CWD$ " into `out` (at least 12 bytes). NOTE: by hand rather than with snprintf:
// printf's formatter is the program's largest function, and the kernel compiles each function
// at its first call, so using it here would add its compile to every boot's time to the first
// prompt (docs/boot-and-machine-state.md, "Boot phases").
static void make_prompt(char* out, size_t size)
{
    size_t length = strnlen(g_cwd, size - 12);
    memcpy(out, "wasmkern:", 9);
    memcpy(out + 9, g_cwd, length);
    memcpy(out + 9 + length, "$ ", 3);
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
    if (wk_find_handle(WK_OBJECT_RESOURCE, WK_RIGHT_DUPLICATE, &g_root) != 0)
        g_root = 0;
    // Programs expect a home directory; /home is where the image puts the user's files.
    if (!getenv("HOME") && setenv("HOME", "/home", 1) != 0)
        sh_report("cannot set HOME: %s", strerror(errno));
    if (argc >= 2 && strcmp(argv[1], "-c") == 0) {
        if (argc != 3) {
            usage(stderr);
            return SH_STATUS_USAGE;
        }
        run_line(argv[2]);
        fflush(stdout);
        return g_status;
    }
    if (argc >= 2) {
        fprintf(stderr, "sh: unexpected argument %s\n", argv[1]);
        usage(stderr);
        return SH_STATUS_USAGE;
    }
    static struct ShEditor editor;
    static char prompt[WK_PATH_MAX + 16];
    for (;;) {
        reap_finished_jobs();
        make_prompt(prompt, sizeof prompt);
        fputs(prompt, stdout);
        enum ShLineResult result = sh_read_line(&editor, prompt, g_cwd);
        if (result == SH_LINE_READ_ERROR) {
            sh_report("reading standard input: %s", strerror(errno));
            return 1;
        }
        if (editor.overflowed) {
            if (result == SH_LINE_END_OF_INPUT)
                fputs("\n", stdout);
            sh_report("line too long (at most %d bytes): not run", SH_LINE_CAPACITY - 1);
            g_status = SH_STATUS_USAGE;
        } else {
            if (result == SH_LINE_END_OF_INPUT && editor.length > 0)
                fputs("\n", stdout);
            sh_remember(&editor, editor.line);
            if (editor.interrupted)
                g_status = 130;
            else if (run_line(editor.line))
                break;
        }
        if (result == SH_LINE_END_OF_INPUT) {
            fputs("exit\n", stdout);
            break;
        }
    }
    fflush(stdout);
    return g_status;
}
