// Exercises the validator on code clang emits: loops, switches (br_table),
// indirect calls, 64-bit and floating-point arithmetic, memory traffic.
typedef unsigned long long u64;
typedef unsigned int u32;

static u32 table[256];
static double samples[64];

typedef u32 (*step_fn)(u32);

static u32 step_a(u32 x) { return x * 2654435761u + 1; }
static u32 step_b(u32 x) { return (x >> 3) ^ (x << 7); }
static u32 step_c(u32 x) { return x + 0x9e3779b9u; }
static step_fn steps[] = { step_a, step_b, step_c };

u32 crc32(const unsigned char* data, u32 length)
{
    if (!table[1]) {
        for (u32 i = 0; i < 256; ++i) {
            u32 c = i;
            for (int k = 0; k < 8; ++k)
                c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
    }
    u32 crc = ~0u;
    for (u32 i = 0; i < length; ++i)
        crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

u32 dispatch(u32 op, u32 value)
{
    switch (op) {
    case 0: return value + 1;
    case 1: return value * 3;
    case 2: return value ^ 0x55;
    case 3: return value << 2;
    case 4: return value >> 1;
    case 5: return steps[value % 3](value);
    case 6: return value - 7;
    case 7: return ~value;
    default: return 0;
    }
}

double mean(u32 count)
{
    double sum = 0;
    for (u32 i = 0; i < count && i < 64; ++i) {
        samples[i] = (double)i * 0.5;
        sum += samples[i];
    }
    return count ? sum / count : 0.0;
}

u64 fib(u32 n)
{
    u64 a = 0, b = 1;
    while (n--) {
        u64 t = a + b;
        a = b;
        b = t;
    }
    return a;
}
