// A large module for decode+validate throughput: many distinct functions,
// made by expanding one template with different constants.
typedef unsigned int u32;
typedef unsigned long long u64;

static u32 memory_area[4096];

#define BODY(N)                                                              \
    u32 f##N(u32 x, u32 y)                                                   \
    {                                                                        \
        u32 acc = x ^ (N * 2654435761u);                                     \
        for (u32 i = 0; i < (y & 63); ++i) {                                 \
            acc += memory_area[(acc + i + N) & 4095] * (N | 1);              \
            switch ((acc >> (N % 13)) & 7) {                                 \
            case 0: acc ^= acc << 7; break;                                  \
            case 1: acc += (u32)((u64)acc * (N + 3) >> 11); break;           \
            case 2: acc = (acc >> 3) | (acc << 29); break;                   \
            case 3: memory_area[(acc + N) & 4095] = acc; break;              \
            case 4: acc -= (u32)(double)(acc % (N + 7)) * 0.5; break;        \
            case 5: acc *= 0x9e3779b9u + N; break;                           \
            default: acc = ~acc + (u32)(float)i; break;                      \
            }                                                                \
        }                                                                    \
        return acc;                                                          \
    }

#define B10(N) BODY(N##0) BODY(N##1) BODY(N##2) BODY(N##3) BODY(N##4) \
               BODY(N##5) BODY(N##6) BODY(N##7) BODY(N##8) BODY(N##9)
#define B100(N) B10(N##0) B10(N##1) B10(N##2) B10(N##3) B10(N##4) \
                B10(N##5) B10(N##6) B10(N##7) B10(N##8) B10(N##9)
#define B1000(N) B100(N##0) B100(N##1) B100(N##2) B100(N##3) B100(N##4) \
                 B100(N##5) B100(N##6) B100(N##7) B100(N##8) B100(N##9)

B1000(1)
B1000(2)
B1000(3)
B1000(4)
