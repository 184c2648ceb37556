// Helpers shared by the programs in userland/bin (declared in userland/include/wasmkern.h).
#include "wasmkern.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

extern char** environ;

int wk_strings_append(struct WkStrings* strings, const char* text)
{
    size_t size = strlen(text) + 1;
    if (size > SIZE_MAX - strings->length)
        return ENOMEM;
    if (strings->length + size > strings->capacity) {
        size_t capacity = strings->capacity ? strings->capacity : 256;
        while (capacity < strings->length + size) {
            if (capacity > SIZE_MAX / 2)
                return ENOMEM;
            capacity *= 2;
        }
        char* data = realloc(strings->data, capacity);
        if (!data)
            return ENOMEM;
        strings->data = data;
        strings->capacity = capacity;
    }
    memcpy(strings->data + strings->length, text, size);
    strings->length += size;
    return 0;
}

void wk_strings_free(struct WkStrings* strings)
{
    free(strings->data);
    strings->data = NULL;
    strings->length = strings->capacity = 0;
}

int wk_spawn(const char* path, int argc, char* const argv[], char* const envp[], uint32_t* process)
{
    static const int32_t stdio[3] = { 0, 1, 2 };
    return wk_spawn_with_fds(path, argc, argv, envp, stdio, process);
}

int wk_find_handle(uint32_t type, uint32_t rights, uint32_t* handle)
{
    // A program holds a few handles; 64 records cover what spawn can hand over.
    static struct WkHandleRecord records[64];
    uint32_t total = 0;
    if (wasmkern_handles(records, sizeof records, &total) != 0)
        return ENOENT;
    uint32_t listed = total < 64 ? total : 64;
    for (uint32_t i = 0; i < listed; ++i) {
        if (records[i].type == type && (records[i].rights & rights) == rights) {
            *handle = records[i].handle;
            return 0;
        }
    }
    return ENOENT;
}

uint32_t wk_process_pid(uint32_t process)
{
    struct WkProcessRecord record;
    return wasmkern_process_info(process, &record, sizeof record) == 0 ? record.pid : 0;
}

int wk_spawn_with_fds(const char* path, int argc, char* const argv[], char* const envp[], const int32_t fds[3],
    uint32_t* process)
{
    return wk_spawn_with_handles(path, argc, argv, envp, fds, NULL, 0, process);
}

int wk_spawn_with_handles(const char* path, int argc, char* const argv[], char* const envp[], const int32_t fds[3],
    const struct WkHandleGrant* handles, uint32_t count, uint32_t* process)
{
    return wk_spawn_listening(path, argc, argv, envp, fds, handles, count, 0, process);
}

int wk_spawn_listening(const char* path, int argc, char* const argv[], char* const envp[], const int32_t fds[3],
    const struct WkHandleGrant* handles, uint32_t count, uint32_t port, uint32_t* process)
{
    struct WkStrings packed_argv = { 0 };
    struct WkStrings packed_env = { 0 };
    int error = 0;
    for (int i = 0; i < argc && !error; ++i)
        error = wk_strings_append(&packed_argv, argv[i]);
    for (size_t i = 0; envp && envp[i] && !error; ++i)
        error = wk_strings_append(&packed_env, envp[i]);
    if (!error && port == 0)
        error = wasmkern_spawn_with_handles(path, strlen(path), packed_argv.data, packed_argv.length,
            packed_env.data, packed_env.length, fds[0], fds[1], fds[2], handles, count, 0, process);
    else if (!error)
        error = wasmkern_spawn_listening(path, strlen(path), packed_argv.data, packed_argv.length,
            packed_env.data, packed_env.length, fds[0], fds[1], fds[2], handles, count, 0, port, process);
    wk_strings_free(&packed_argv);
    wk_strings_free(&packed_env);
    return error;
}

char** wk_environment_with_pwd(const char* cwd)
{
    size_t count = 0;
    size_t text_size = strlen("PWD=") + strlen(cwd) + 1;
    for (char** entry = environ; entry && *entry; ++entry) {
        if (strncmp(*entry, "PWD=", 4) == 0)
            continue;
        ++count;
        text_size += strlen(*entry) + 1;
    }
    // The pointer array (count entries, PWD and the NULL) and then the strings.
    size_t pointers_size = (count + 2) * sizeof(char*);
    char** result = malloc(pointers_size + text_size);
    if (!result)
        return NULL;
    char* text = (char*)result + pointers_size;
    size_t index = 0;
    for (char** entry = environ; entry && *entry; ++entry) {
        if (strncmp(*entry, "PWD=", 4) == 0)
            continue;
        size_t size = strlen(*entry) + 1;
        memcpy(text, *entry, size);
        result[index++] = text;
        text += size;
    }
    result[index++] = text;
    memcpy(text, "PWD=", 4);
    memcpy(text + 4, cwd, strlen(cwd) + 1);
    result[index] = NULL;
    return result;
}

int wk_resolve_path(const char* cwd, const char* path, char out[WK_PATH_MAX])
{
    size_t length = 0;
    out[0] = '\0';
    // Two passes over the same loop: first the cwd (for a relative path), then the path.
    const char* sources[2] = { path[0] == '/' ? "" : cwd, path };
    for (int pass = 0; pass < 2; ++pass) {
        const char* cursor = sources[pass];
        while (*cursor) {
            while (*cursor == '/')
                ++cursor;
            const char* start = cursor;
            while (*cursor && *cursor != '/')
                ++cursor;
            size_t size = (size_t)(cursor - start);
            if (size == 0 || (size == 1 && start[0] == '.'))
                continue;
            if (size == 2 && start[0] == '.' && start[1] == '.') {
                while (length > 0 && out[length - 1] != '/')
                    --length;
                if (length > 0)
                    --length; // the slash before the removed component
                out[length] = '\0';
                continue;
            }
            if (length + 1 + size + 1 > WK_PATH_MAX)
                return ENAMETOOLONG;
            out[length++] = '/';
            memcpy(out + length, start, size);
            length += size;
            out[length] = '\0';
        }
    }
    if (length == 0) {
        out[0] = '/';
        out[1] = '\0';
    }
    return 0;
}

const char* wk_cwd(void)
{
    const char* pwd = getenv("PWD");
    return pwd && pwd[0] == '/' ? pwd : "/";
}

int wk_program_path(const char* cwd, const char* word, char out[WK_PATH_MAX])
{
    if (word[0] == '\0')
        return ENOENT;
    if (strchr(word, '/'))
        return wk_resolve_path(cwd, word, out);
    if (strlen("/bin/") + strlen(word) + 1 > WK_PATH_MAX)
        return ENAMETOOLONG;
    strcpy(out, "/bin/");
    strcat(out, word);
    return 0;
}
