// Rewrites one small file forever: nearly all of its time is spent in the kernel (WASI calls),
// so timer ticks rarely find it in wasm code. kill must still end it promptly.
#include <stdio.h>

int main(void)
{
    FILE* file = fopen("/chatter.out", "w");
    if (!file) {
        perror("chatter: /chatter.out");
        return 1;
    }
    for (;;) {
        rewind(file);
        fputs("chatter\n", file);
        fflush(file);
    }
}
