// Starts every program built with these helpers in its working directory.
//
// NOTE: WASI preview1 has no working directory. wasi-libc keeps one itself: it starts at "/"
// (Debian's snapshot of 2022-05-10 does not read PWD) and chdir() changes it; once chdir is
// linked in, open, stat, opendir ... join a relative path to it before they pick a preopen.
// The kernel cannot supply it through preopens: wasi-libc strips a leading "/" before it
// compares paths with the preopens' names, so "motd" and "/motd" reach the kernel as the
// same path_open. So the directory travels as PWD in the environment (the shell sets it) and
// this constructor, run before main, makes it wasi-libc's. A PWD that is not an absolute
// path to a directory leaves the program at "/".
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void wk_start_in_pwd(void)
{
    const char* pwd = getenv("PWD");
    if (pwd && pwd[0] == '/')
        (void)chdir(pwd);
}
