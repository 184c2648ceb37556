#include "hosted/cli.h"

#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/text/wat.h"

namespace wk::hosted {

std::optional<std::string> read_file(char const* path)
{
    struct stat info {};
    if (::stat(path, &info) != 0) {
        std::fprintf(stderr, "%s: cannot read: %s\n", path, std::strerror(errno));
        return std::nullopt;
    }
    if (S_ISDIR(info.st_mode)) {
        std::fprintf(stderr, "%s: cannot read: is a directory\n", path);
        return std::nullopt;
    }
    auto too_large = [&] {
        std::fprintf(stderr, "%s: cannot read: larger than the module size limit (%llu bytes)\n", path,
                     static_cast<unsigned long long>(kMaxInputFileSize));
        return std::nullopt;
    };
    if (S_ISREG(info.st_mode) && static_cast<u64>(info.st_size) > kMaxInputFileSize)
        return too_large();
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        std::fprintf(stderr, "%s: cannot read: %s\n", path, std::strerror(errno));
        return std::nullopt;
    }
    // NOTE: a device or pipe (/dev/zero) has no size to check first: reading stops one
    // byte past the limit. The buffer grows by realloc (which remaps rather than copies
    // large blocks), read(2) fills it directly.
    usize capacity = S_ISREG(info.st_mode) ? static_cast<usize>(info.st_size) + 1 : usize { 1 } << 20;
    char* buffer = static_cast<char*>(std::malloc(capacity));
    usize size = 0;
    int error = buffer ? 0 : ENOMEM;
    while (error == 0) {
        if (size == capacity) {
            usize grown = capacity * 2 > kMaxInputFileSize + 1 ? kMaxInputFileSize + 1 : capacity * 2;
            char* larger = grown > capacity ? static_cast<char*>(std::realloc(buffer, grown)) : nullptr;
            if (!larger) {
                error = grown > capacity ? ENOMEM : EFBIG;
                break;
            }
            buffer = larger;
            capacity = grown;
        }
        ssize_t count = ::read(fd, buffer + size, capacity - size);
        if (count < 0 && errno == EINTR)
            continue;
        if (count < 0)
            error = errno;
        else if (count == 0)
            break;
        else
            size += static_cast<usize>(count);
    }
    ::close(fd);
    if (error == 0 && size > kMaxInputFileSize)
        error = EFBIG;
    std::optional<std::string> contents;
    if (error == 0)
        contents.emplace(buffer, size);
    std::free(buffer);
    if (error == EFBIG)
        return too_large();
    if (error != 0) {
        std::fprintf(stderr, "%s: cannot read: %s\n", path, std::strerror(error));
        return std::nullopt;
    }
    return contents;
}

bool write_file(char const* path, std::span<u8 const> bytes)
{
    std::FILE* file = std::fopen(path, "wb");
    if (!file) {
        std::fprintf(stderr, "%s: cannot write: %s\n", path, std::strerror(errno));
        return false;
    }
    bool ok = std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size();
    int saved_errno = errno;
    if (std::fclose(file) != 0 && ok) {
        ok = false;
        saved_errno = errno;
    }
    if (!ok)
        std::fprintf(stderr, "%s: cannot write: %s\n", path, std::strerror(saved_errno));
    return ok;
}

bool is_text_input(std::string_view path, std::string_view contents)
{
    if (path.ends_with(".wat") || path.ends_with(".wast"))
        return true;
    if (path.ends_with(".wasm"))
        return false;
    return !contents.starts_with(std::string_view("\0asm", 4));
}

void print_text_error(char const* path, std::string_view source, Error const& error)
{
    if (!error.has_offset()) {
        std::fprintf(stderr, "%s: %s\n", path, error.message());
        return;
    }
    usize offset = error.offset() < source.size() ? error.offset() : source.size();
    usize line = 1;
    usize line_start = 0;
    for (usize i = 0; i < offset; ++i) {
        if (source[i] == '\n') {
            ++line;
            line_start = i + 1;
        }
    }
    std::fprintf(stderr, "%s:%zu:%zu: %s\n", path, line, offset - line_start + 1, error.message());
}

void print_binary_error(char const* path, Error const& error, char const* note)
{
    char const* suffix = note ? note : "";
    if (error.has_offset())
        std::fprintf(stderr, "%s: offset 0x%llx: %s%s\n", path, static_cast<unsigned long long>(error.offset()),
                     error.message(), suffix);
    else
        std::fprintf(stderr, "%s: %s%s\n", path, error.message(), suffix);
}

std::optional<ModuleFile> load_module_file(char const* path, bool function_names)
{
    auto contents = read_file(path);
    if (!contents)
        return std::nullopt;
    ModuleFile file;
    file.contents = std::move(*contents);
    file.is_text = is_text_input(path, file.contents);
    if (file.is_text) {
        auto encoded = function_names ? engine::text::wat_to_wasm_with_names(file.contents)
                                      : engine::text::wat_to_wasm(file.contents);
        if (!encoded) {
            print_text_error(path, file.contents, encoded.error());
            return std::nullopt;
        }
        file.encoded = encoded.release_value();
    }
    return file;
}

bool is_help(std::string_view argument)
{
    return argument == "help" || argument == "--help" || argument == "-h";
}

bool is_option(std::string_view argument)
{
    return argument.size() > 1 && argument[0] == '-';
}

int usage_error(std::string_view message, char const* usage)
{
    std::fprintf(stderr, "wasmkern: %.*s\n\n%s", static_cast<int>(message.size()), message.data(), usage);
    return kExitUsage;
}

} // namespace wk::hosted
