// Starting the shell's programs: redirections and wasmkern.spawn (spawn.h).
#include "spawn.h"

#include "wasmkern.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// Opens a redirection's file relative to `cwd`: -1 after reporting why.
static int open_redirection(const char* name, const char* cwd, int flags)
{
    char path[WK_PATH_MAX];
    int error = wk_resolve_path(cwd, name, path);
    int fd = -1;
    if (!error) {
        fd = open(path, flags, 0666);
        if (fd < 0)
            error = errno;
    }
    if (error)
        sh_report("%s: %s", name, strerror(error));
    return fd;
}

void sh_close_fd(int* fd)
{
    if (*fd > 2)
        close(*fd);
    *fd = -1;
}

int sh_open_redirections(const struct ShCommand* command, const char* cwd, int fds[3], int opened[3])
{
    opened[0] = opened[1] = opened[2] = -1;
    if (command->input && (opened[0] = open_redirection(command->input, cwd, O_RDONLY)) < 0)
        return 1;
    if (command->output) {
        int flags = O_WRONLY | O_CREAT | (command->output_append ? O_APPEND : O_TRUNC);
        if ((opened[1] = open_redirection(command->output, cwd, flags)) < 0)
            return 1;
    }
    if (command->error) {
        int flags = O_WRONLY | O_CREAT | (command->error_append ? O_APPEND : O_TRUNC);
        if ((opened[2] = open_redirection(command->error, cwd, flags)) < 0)
            return 1;
    }
    for (int i = 0; i < 3; ++i) {
        if (opened[i] >= 0)
            fds[i] = opened[i];
    }
    if (command->error_to_output)
        fds[2] = fds[1];
    return 0;
}

// The rights of the root resource the program at `path` gets: the network right for every
// program unless `--nonet` withholds it (and the shell holds it), plus, for the four programs
// that need more, the right each uses (a nested shell gets what this one has).
static uint32_t root_rights_for(const char* path, uint32_t root, int network)
{
    if (!root)
        return 0;
    uint32_t net = network ? WK_RIGHT_NET : 0;
    if (strcmp(path, "/bin/ps") == 0)
        return WK_RIGHT_INSPECT | net;
    if (strcmp(path, "/bin/poweroff") == 0)
        return WK_RIGHT_POWER | net;
    if (strcmp(path, "/bin/kill") == 0)
        return WK_RIGHT_MANAGE | net;
    if (strcmp(path, "/bin/sh") == 0)
        return network ? WK_RIGHTS_ALL : WK_RIGHTS_ALL & ~WK_RIGHT_NET;
    return net;
}

int sh_spawn_command(struct ShCommand* command, const char* cwd, uint32_t root, const int stdio[3], uint32_t* pid)
{
    int fds[3] = { stdio[0], stdio[1], stdio[2] };
    int opened[3];
    // `--nonet PROGRAM ARGS...`: PROGRAM gets no network right (its connects are refused).
    int network = strcmp(command->argv[0], "--nonet") != 0;
    int skip = network ? 0 : 1;
    if (skip >= command->argc) {
        sh_report("usage: --nonet [--tcplisten PORT] PROGRAM [ARGS...]");
        return SH_STATUS_NOT_RUNNABLE;
    }
    // `--tcplisten PORT PROGRAM ARGS...`: PROGRAM gets a socket listening on PORT (descriptor 4).
    int listen = strcmp(command->argv[skip], "--tcplisten") == 0;
    char* end = NULL;
    unsigned long port = listen && command->argc > skip + 2 ? strtoul(command->argv[skip + 1], &end, 10) : 0;
    if (listen && (command->argc < skip + 3 || *end || port == 0 || port > 65535)) {
        sh_report("usage: --tcplisten PORT PROGRAM [ARGS...] (PORT 1..65535)");
        return SH_STATUS_NOT_RUNNABLE;
    }
    skip += listen ? 2 : 0;
    int status = sh_open_redirections(command, cwd, fds, opened);
    if (!status) {
        const char* name = command->argv[skip];
        char path[WK_PATH_MAX];
        int error = wk_program_path(cwd, name, path);
        char** environment = NULL;
        if (!error) {
            environment = wk_environment_with_pwd(cwd);
            if (!environment)
                error = ENOMEM;
        }
        if (!error) {
            int32_t child_fds[3] = { fds[0], fds[1], fds[2] };
            fflush(stdout);
            struct WkHandleGrant grant = { root, root_rights_for(path, root, network) };
            error = wk_spawn_listening(path, command->argc - skip, command->argv + skip, environment, child_fds,
                &grant, grant.rights ? 1 : 0, (uint32_t)port, pid);
        }
        free(environment);
        if (error == ENOENT) {
            sh_report("%s: command not found", name);
            status = SH_STATUS_NOT_FOUND;
        } else if (error == ENOEXEC) {
            sh_report("%s: not a valid program", name);
            status = SH_STATUS_NOT_RUNNABLE;
        } else if (error == EAGAIN) {
            sh_report("%s: too many processes (the kernel's limit); wait for some to end", name);
            status = SH_STATUS_NOT_RUNNABLE;
        } else if (error) {
            sh_report("%s: %s", name, strerror(error));
            status = SH_STATUS_NOT_RUNNABLE;
        }
    }
    for (int i = 0; i < 3; ++i)
        sh_close_fd(&opened[i]);
    return status;
}
