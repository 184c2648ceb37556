// The kernel's `wasmkern` import module and the small helpers the programs in userland/bin
// share (userland/lib/wasmkern.c). Every import but poweroff returns a WASI errno (0 = success);
// wasi-libc's errno values are the WASI ones, so strerror() names them. Pointers are into memory 0; every
// parameter and result is an i32 (docs/userland.md, "The wasmkern imports").
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define WK_IMPORT(name) __attribute__((import_module("wasmkern"), import_name(name)))

// Starts the program at the absolute `path`. `argv` and `env` are byte buffers of
// NUL-terminated strings (argv[0] first); the caller's WASI fds stdin_fd/stdout_fd/stderr_fd
// become the child's 0/1/2. The child's working directory is the PWD entry of `env` (the
// kernel does not read it; lib/start_in_pwd.c chdir()s to it before main). Errors: ENOENT missing file, ENOEXEC not a valid module, EAGAIN
// process limit, ENOMEM.
WK_IMPORT("spawn")
int32_t wasmkern_spawn(const char* path, uint32_t path_len, const char* argv, uint32_t argv_len,
    const char* env, uint32_t env_len, int32_t stdin_fd, int32_t stdout_fd, int32_t stderr_fd,
    uint32_t* pid_out);

// spawn, with the size of the stack the child's wasm frames may use: 0 is the default (8 MiB),
// otherwise 64 KiB .. 256 MiB (rounded up to 4 KiB); outside that EINVAL. The stack is mapped
// as the child's recursion grows it; deeper recursion ends the child with "call stack
// exhausted" (status 134).
WK_IMPORT("spawn_with_stack")
int32_t wasmkern_spawn_with_stack(const char* path, uint32_t path_len, const char* argv, uint32_t argv_len,
    const char* env, uint32_t env_len, int32_t stdin_fd, int32_t stdout_fd, int32_t stderr_fd,
    uint32_t* pid_out, uint32_t stack_bytes);

// Blocks until child `pid` exits; *status_out: its proc_exit code, 134 after a trap, 137 when
// killed. ECHILD: not a child of the caller (or already waited for).
WK_IMPORT("wait")
int32_t wasmkern_wait(uint32_t pid, uint32_t* status_out);

// ESRCH: no such process.
WK_IMPORT("kill")
int32_t wasmkern_kill(uint32_t pid);

// One record per process, as many as fit in buf; *count_out is the total number.
WK_IMPORT("ps")
int32_t wasmkern_ps(void* buf, uint32_t buf_len, uint32_t* count_out);

// Writes a WkMemoryRecord (the kernel's physical memory and heap) to buf; buf_len must be at
// least its 32 bytes (else EINVAL).
WK_IMPORT("meminfo")
int32_t wasmkern_meminfo(void* buf, uint32_t buf_len);

// Copies the newest min(buf_len, held) bytes of the kernel log ring (64 KiB; oldest first) to
// buf and a WkLogInfo to info_out. EFAULT: buf or info_out not wholly inside memory (nothing
// written).
WK_IMPORT("dmesg")
int32_t wasmkern_dmesg(void* buf, uint32_t buf_len, void* info_out);

// Stops the machine; QEMU exits with `status`. The only import without a result: it does not
// return.
WK_IMPORT("poweroff")
void wasmkern_poweroff(int32_t status);

// Creates a pipe (docs/process-abi.md, "Pipes"): fds[0] reads, fds[1] writes; both are
// ordinary WASI fds (fd_read, fd_write, fd_close, and spawn's stdio). ENFILE when the
// kernel's pipes are all in use, EMFILE, ENOMEM.
WK_IMPORT("pipe")
int32_t wasmkern_pipe(int32_t fds[2]);

// Like wait, and while the child runs a Ctrl-C typed on the serial console ends the wait
// with ECANCELED (the child runs on; the caller decides what to stop).
WK_IMPORT("wait_console")
int32_t wasmkern_wait_console(uint32_t pid, uint32_t* status_out);

// Like kill, but the process ends with status 130 (WK_STATUS_INTERRUPTED), as after Ctrl-C.
WK_IMPORT("interrupt")
int32_t wasmkern_interrupt(uint32_t pid);

enum WkProcessState {
    WK_PROCESS_RUNNING = 0,
    WK_PROCESS_BLOCKED = 1,
    WK_PROCESS_EXITED = 2, // exited, not yet waited for
};

// A ps record: 64 bytes, little-endian, as the kernel writes it.
struct WkProcessRecord {
    uint32_t pid;
    uint32_t parent_pid;
    uint32_t state;
    uint32_t reserved;
    uint64_t memory_bytes;
    uint64_t cpu_time_ns;
    char name[32]; // NUL-padded, not always NUL-terminated
};
_Static_assert(sizeof(struct WkProcessRecord) == 64, "ps records are 64 bytes");

// A meminfo record: 32 bytes, little-endian. Heap pages are part of the used memory.
struct WkMemoryRecord {
    uint64_t total_bytes; // physical memory the frame allocator manages
    uint64_t free_bytes; // of which free
    uint64_t heap_used_bytes; // kernel heap: allocated
    uint64_t heap_held_bytes; // kernel heap: pages it holds
};
_Static_assert(sizeof(struct WkMemoryRecord) == 32, "meminfo records are 32 bytes");

// What dmesg reports beside the text: 16 bytes, little-endian.
struct WkLogInfo {
    uint32_t copied; // bytes written to buf
    uint32_t held; // bytes the ring holds (at most 65536)
    uint64_t dropped; // older bytes overwritten since boot
};
_Static_assert(sizeof(struct WkLogInfo) == 16, "dmesg info records are 16 bytes");

// Exit statuses the kernel gives a child that did not call proc_exit.
#define WK_STATUS_TRAPPED 134
#define WK_STATUS_KILLED 137
#define WK_STATUS_INTERRUPTED 130

// The longest path the helpers build (including the NUL).
#define WK_PATH_MAX 1024

// ---- helpers (userland/lib/wasmkern.c) ----------------------------------------------------

// A growable byte buffer for spawn's argv and env: strings packed with their NULs.
struct WkStrings {
    char* data;
    size_t length;
    size_t capacity;
};
// Appends `text` and its NUL. 0, or ENOMEM.
int wk_strings_append(struct WkStrings*, const char* text);
void wk_strings_free(struct WkStrings*);

// Spawns `path` with argv[0..argc) and the NULL-terminated `envp` (NULL: no environment),
// the child's stdio being the caller's fds 0, 1 and 2. Returns 0 or an errno.
int wk_spawn(const char* path, int argc, char* const argv[], char* const envp[], uint32_t* pid);
// The same with the caller's fds[0], fds[1], fds[2] as the child's stdio.
int wk_spawn_with_fds(const char* path, int argc, char* const argv[], char* const envp[], const int32_t fds[3],
    uint32_t* pid);

// `environ` with PWD replaced by (or extended with) PWD=cwd, NULL-terminated, in one
// allocation to release with free(). NULL when out of memory.
char** wk_environment_with_pwd(const char* cwd);

// The normalised absolute form of `path`: relative paths start at `cwd`; ".", "" and ".."
// components are resolved by name (".." of "/" is "/"). 0, or ENAMETOOLONG.
int wk_resolve_path(const char* cwd, const char* path, char out[WK_PATH_MAX]);

// The directory relative paths start at: $PWD when it is an absolute path, "/" otherwise.
const char* wk_cwd(void);

// The absolute path of the program a command word names: a word containing '/' is a path
// (resolved against cwd), any other word is /bin/WORD. 0, ENAMETOOLONG, or ENOENT for "".
int wk_program_path(const char* cwd, const char* word, char out[WK_PATH_MAX]);

// ---- helpers for the text and file programs (userland/lib/operands.c) ---------------------

// Opens an input operand for reading: "-" is standard input, any other name is resolved
// against wk_cwd(). A directory is EISDIR. On failure prints "program: shown: reason" on
// stderr and returns NULL.
FILE* wk_open_input(const char* program, const char* shown);
// Closes what wk_open_input returned (standard input stays open). A read error seen on the
// stream is reported as "program: shown: reason"; returns 0, or 1 after such an error.
int wk_close_input(const char* program, const char* shown, FILE* file);

// Parses a decimal count (digits only, no sign) into *out. 0, EINVAL or ERANGE.
int wk_parse_count(const char* text, unsigned long long* out);

// Option scanning: argv[next] is the next argument to look at (start at 1); what follows
// the options is argv[next..argc). usage(out) prints the program's usage text.
struct WkOptions {
    const char* program;
    int argc;
    char** argv;
    int next;
    void (*usage)(FILE* out);
};
#define WK_OPTIONS(program, argc, argv, usage) { (program), (argc), (argv), 1, (usage) }

// The next option argument ("-x..."), consumed; NULL when the operands start: at the end, at
// a word not starting with '-', at "-" (an operand), or after "--" (consumed). "--help"
// prints usage on stdout and exits 0.
const char* wk_next_option(struct WkOptions* options);
// The value of the option just returned: the next argument, consumed; NULL if none is left.
const char* wk_option_value(struct WkOptions* options);
// Prints "program: MESSAGE" (printf format) and the usage on stderr. Returns 2.
int wk_usage_error(const struct WkOptions* options, const char* format, ...)
    __attribute__((format(printf, 2, 3)));
// Sets *flags[i] to 1 for each letter of the option cluster arg ("-ab") that is letters[i].
// 0, or an unknown letter's usage error (2).
int wk_flag_cluster(const struct WkOptions* options, const char* arg, const char* letters, int* const flags[]);
// head and tail's count options: -n N, -nN, -c N, -cN (bytes) or -N, into *count and
// *by_lines. With from_start, a leading '+' is allowed and sets *from_start (else clears it).
// 0, or 2 after printing the error.
int wk_count_option(struct WkOptions* options, const char* arg, unsigned long long* count, int* by_lines,
    int* from_start);
// The input operands after the options, or just "-" (standard input) when there are none:
// points *names at them and returns how many.
int wk_input_operands(const struct WkOptions* options, char*** names);
// For "PROGRAM SOURCE TARGET" and "PROGRAM SOURCE... DIRECTORY" (cp, mv): resolves the last
// operand into target; *into_directory says it is an existing directory. 0; 2 after a usage
// error for missing operands; 1 after "program: TARGET: reason" (unresolvable, or not a
// directory although several sources or a trailing '/' need one).
int wk_transfer_target(const struct WkOptions* options, char target[WK_PATH_MAX], int* into_directory);
// Where the absolute path source goes: target, or with into_directory target/NAME, NAME being
// source's last component. 0 or ENAMETOOLONG.
int wk_transfer_destination(const char* target, int into_directory, const char* source, char out[WK_PATH_MAX]);

// Flushes stdout and reports a failed write as "program: write error: reason". 0 or 1.
int wk_finish_output(const char* program);
