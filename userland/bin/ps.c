// ps: one line per process: pid, parent, state, memory, cpu time, name.
#include "wasmkern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char* state_name(uint32_t state)
{
    switch (state) {
    case WK_PROCESS_RUNNING:
        return "running";
    case WK_PROCESS_BLOCKED:
        return "blocked";
    case WK_PROCESS_EXITED:
        return "exited";
    default:
        return "?";
    }
}

int main(int argc, char** argv)
{
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: ps\n"
               "Lists the processes: PID, parent PID, state (running, blocked, or exited and not yet\n"
               "waited for), memory in KiB, CPU time in seconds and the program's name.\n"
               "Needs the root resource, which the shell hands to ps.\n");
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "ps: unexpected argument %s\nusage: ps\n", argv[1]);
        return 2;
    }
    uint32_t resource = 0;
    if (wk_find_handle(WK_OBJECT_RESOURCE, WK_RIGHT_INSPECT, &resource) != 0) {
        fprintf(stderr, "ps: no root resource (only the first shell hands it to ps)\n");
        return 1;
    }
    // Processes come and go between calls: ask again with room for the count last reported
    // (and some more) until everything fits.
    uint32_t capacity = 16;
    struct WkProcessRecord* records = NULL;
    uint32_t total = 0;
    for (int attempt = 0;; ++attempt) {
        struct WkProcessRecord* grown = realloc(records, (size_t)capacity * sizeof *records);
        if (!grown) {
            fprintf(stderr, "ps: out of memory for %u processes\n", capacity);
            free(records);
            return 1;
        }
        records = grown;
        int error = wasmkern_ps(resource, records, capacity * sizeof *records, &total);
        if (error) {
            fprintf(stderr, "ps: %s\n", strerror(error));
            free(records);
            return 1;
        }
        if (total <= capacity || attempt == 4)
            break;
        if (total > UINT32_MAX / 2 / sizeof *records) {
            fprintf(stderr, "ps: the kernel reports %u processes, too many to list\n", total);
            free(records);
            return 1;
        }
        capacity = total + 16;
    }
    uint32_t shown = total < capacity ? total : capacity;
    printf("%5s %5s %-8s %9s %9s  %s\n", "PID", "PPID", "STATE", "MEM(KiB)", "CPU(s)", "NAME");
    for (uint32_t i = 0; i < shown; ++i) {
        const struct WkProcessRecord* record = &records[i];
        char name[sizeof record->name + 1];
        memcpy(name, record->name, sizeof record->name);
        name[sizeof record->name] = '\0';
        for (char* c = name; *c; ++c)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                *c = '?';
        printf("%5u %5u %-8s %9llu %5llu.%03llu  %s\n", record->pid, record->parent_pid,
            state_name(record->state), (unsigned long long)(record->memory_bytes / 1024),
            (unsigned long long)(record->cpu_time_ns / 1000000000u),
            (unsigned long long)(record->cpu_time_ns / 1000000u % 1000u), name);
    }
    if (shown < total)
        printf("(%u more processes appeared while listing)\n", total - shown);
    free(records);
    return 0;
}
