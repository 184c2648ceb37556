// Fills the RAM file system: a sparse file first (a byte written 200 MiB in, which must cost
// next to nothing), then a file written 1 MiB at a time until the kernel refuses. The kernel
// must stop it at the per-process quota (EDQUOT) long before memory runs out, keep answering,
// and give everything back when the files are removed.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char g_chunk[1 << 20];

int main(void)
{
    int sparse = open("/quota_fs_fill.sparse", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int fill = open("/quota_fs_fill.data", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (sparse < 0 || fill < 0) {
        printf("quota_fs_fill: open: %s\n", strerror(errno));
        return 1;
    }
    ssize_t one = pwrite(sparse, "x", 1, 200 << 20);
    printf("quota_fs_fill: sparse byte at 200 MiB: %s\n", one == 1 ? "written" : strerror(errno));
    memset(g_chunk, 'q', sizeof(g_chunk));
    long written = 0;
    int error = 0;
    for (;;) {
        ssize_t n = write(fill, g_chunk, sizeof(g_chunk));
        if (n < 0) {
            error = errno;
            break;
        }
        written += n;
        if (n < (ssize_t)sizeof(g_chunk)) {
            // A short write: the next one says why.
            continue;
        }
    }
    printf("quota_fs_fill: wrote %ld MiB, then errno %d (%s)\n", written >> 20, error, strerror(error));
    close(sparse);
    close(fill);
    int removed = unlink("/quota_fs_fill.sparse") == 0 && unlink("/quota_fs_fill.data") == 0;
    printf("quota_fs_fill: files %s\n", removed ? "removed" : "not removed");
    return 0;
}
