// Tries to leave the preopened directory: every attempt must be refused, whatever the
// runtime's reason. Prints only the verdicts.
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static int escapes = 0;

static void attempt(const char* path)
{
    int fd = open(path, O_RDONLY);
    printf("open %-40s %s\n", path, fd < 0 ? "refused" : "OPENED");
    if (fd >= 0) {
        ++escapes;
        close(fd);
    }
}

int main(void)
{
    attempt("/sandbox/../../../../etc/passwd");
    attempt("/sandbox/sub/../../etc/passwd");
    attempt("/etc/passwd");
    attempt("/sandbox/..");
    attempt("../etc/passwd");
    int made = symlink("../../../../../../etc", "/sandbox/to_etc");
    printf("symlink to ../../../../../../etc: %s\n", made == 0 ? "created" : "refused");
    attempt("/sandbox/to_etc/passwd");
    int fd = open("/sandbox/sub/inner.txt", O_RDONLY);
    printf("open inside through a subdirectory: %s\n", fd >= 0 ? "ok" : "FAILED");
    if (fd >= 0)
        close(fd);
    unlink("/sandbox/to_etc");
    printf("%d escapes\n", escapes);
    return escapes ? 1 : 0;
}
