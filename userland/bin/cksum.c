// cksum [FILE...]: the POSIX checksum (CRC-32, polynomial 0x04C11DB7, most significant bit
// first, the length appended, complemented) and byte count of each FILE, printed as
// `CRC SIZE NAME` like GNU cksum, so a file's sum compares with the host's. No FILE, or
// "-", is standard input (no name printed).
#include "wasmkern.h"

#include <stdint.h>
#include <stdio.h>

static uint32_t g_table[256];

static void usage(FILE* out)
{
    fprintf(out, "usage: cksum [FILE...]\n"
                 "Prints the POSIX CRC and byte count of each FILE. No FILE, or \"-\", is standard input.\n");
}

static void make_table(void)
{
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t crc = i << 24;
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
        g_table[i] = crc;
    }
}

static uint32_t add_byte(uint32_t crc, unsigned char byte) { return (crc << 8) ^ g_table[(crc >> 24) ^ byte]; }

int main(int argc, char** argv)
{
    struct WkOptions options = WK_OPTIONS("cksum", argc, argv, usage);
    for (const char* arg; (arg = wk_next_option(&options));)
        return wk_usage_error(&options, "unknown option %s", arg);
    make_table();
    char** names;
    int count = wk_input_operands(&options, &names);
    int named = options.next < argc;
    int status = 0;
    static unsigned char buffer[16384];
    for (int i = 0; i < count; ++i) {
        FILE* file = wk_open_input("cksum", names[i]);
        if (!file) {
            status = 1;
            continue;
        }
        uint32_t crc = 0;
        unsigned long long length = 0;
        size_t size;
        while ((size = fread(buffer, 1, sizeof buffer, file)) > 0) {
            for (size_t at = 0; at < size; ++at)
                crc = add_byte(crc, buffer[at]);
            length += size;
        }
        if (wk_close_input("cksum", names[i], file) != 0) {
            status = 1;
            continue;
        }
        for (unsigned long long rest = length; rest != 0; rest >>= 8)
            crc = add_byte(crc, (unsigned char)(rest & 0xFF));
        if (named)
            printf("%u %llu %s\n", (unsigned)~crc, length, names[i]);
        else
            printf("%u %llu\n", (unsigned)~crc, length);
    }
    return wk_finish_output("cksum") | status;
}
