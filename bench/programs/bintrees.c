/* Binary trees: builds a long-lived tree of depth n, then for depths 4, 6, ..., n builds
 * and frees many short-lived complete trees, counting nodes of each. One malloc and one
 * free per node: measures the allocator (wasi-libc's dlmalloc vs glibc) and calls. */
#include "bench.h"

typedef struct Node {
    struct Node* left;
    struct Node* right;
    uint32_t value;
} Node;

static Node* build(int depth, uint32_t value)
{
    Node* node = bench_alloc(sizeof(Node));
    node->value = value;
    if (depth > 0) {
        node->left = build(depth - 1, 2 * value);
        node->right = build(depth - 1, 2 * value + 1);
    } else {
        node->left = node->right = NULL;
    }
    return node;
}

/* Sum over nodes of (value mod 7) + 1: visits every node and depends on the values. */
static uint64_t check(Node const* node)
{
    uint64_t sum = node->value % 7 + 1;
    if (node->left)
        sum += check(node->left) + check(node->right);
    return sum;
}

static void release(Node* node)
{
    if (node->left) {
        release(node->left);
        release(node->right);
    }
    free(node);
}

int main(int argc, char** argv)
{
    int max_depth = (int)bench_size(argc, argv, 14);
    if (max_depth < 4)
        max_depth = 4;
    uint64_t start = bench_now_ns();

    uint64_t hash = 0;
    Node* long_lived = build(max_depth, 1);
    for (int depth = 4; depth <= max_depth; depth += 2) {
        int64_t iterations = (int64_t)1 << (max_depth - depth + 4);
        uint64_t sum = 0;
        for (int64_t i = 0; i < iterations; i++) {
            Node* tree = build(depth, (uint32_t)i);
            sum += check(tree);
            release(tree);
        }
        hash = bench_mix(hash, sum);
    }
    hash = bench_mix(hash, check(long_lived));
    release(long_lived);
    uint64_t end = bench_now_ns();
    bench_report(hash, start, end);
    return 0;
}
