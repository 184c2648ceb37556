// Starting the shell's programs (docs/userland.md, "The shell"): a command's redirections and
// its spawn through wasmkern.spawn, with `--nonet` and `--tcplisten PORT` before the program
// and the rights of the root resource it is handed.
#pragma once

#include "parse.h"

#include <stdint.h>

#define SH_STATUS_NOT_FOUND 127
#define SH_STATUS_NOT_RUNNABLE 126
#define SH_STATUS_USAGE 2

// Reports a problem as "sh: ..." on the shell's error stream (defined by the shell, sh.c).
void sh_report(const char* format, ...) __attribute__((format(printf, 1, 2)));

// Closes *fd unless it is one of 0, 1, 2 (or -1), and sets it to -1.
void sh_close_fd(int* fd);

// Opens `command`'s redirections (relative to `cwd`) into opened[0..3) (-1 where it has none)
// and makes fds[] (its stdio before them) what its fds 0, 1, 2 are after them. Returns 0, or 1
// after reporting a file that cannot be opened (the caller closes what was opened).
int sh_open_redirections(const struct ShCommand* command, const char* cwd, int fds[3], int opened[3]);

// Spawns one command, started in `cwd`, with `stdio` as its fds 0, 1, 2 (after its own
// redirections), handing it `root` (the root resource, 0: none) with the rights it needs.
// Returns 0 with *pid (a process handle), or the status it failed with (reported).
int sh_spawn_command(struct ShCommand* command, const char* cwd, uint32_t root, const int stdio[3], uint32_t* pid);
