#pragma once

#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/format_sink.h"
#include "base/span.h"
#include "base/types.h"
#include "base/vector.h"
#include "engine/binary/limits.h"

namespace wk::hosted {

// Exit statuses of every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1; // the input is bad or a file cannot be read or written
inline constexpr int kExitUsage = 2;   // the command line is wrong

using Arguments = std::span<char const* const>;

// A FormatSink over a stdio stream.
class StdioSink final : public FormatSink {
public:
    explicit StdioSink(std::FILE* stream)
        : m_stream(stream)
    {
    }
    void write(StringView text) override { std::fwrite(text.data(), 1, text.size(), m_stream); }

private:
    std::FILE* m_stream;
};

// Input files (modules, text modules, scripts) are at most the engine's module size
// limit (engine/binary/limits.h, 1 GiB).
inline constexpr u64 kMaxInputFileSize = engine::limits::kModuleSize;

// The whole file, or nothing after printing `PATH: cannot read: REASON` to stderr
// (REASON "larger than the module size limit (1073741824 bytes)" past
// kMaxInputFileSize, also for devices and pipes, which are read no further).
std::optional<std::string> read_file(char const* path);
// False after printing `PATH: cannot write: REASON` to stderr.
bool write_file(char const* path, std::span<u8 const> bytes);

// Whether a file holds the text format: by extension (.wat/.wast text, .wasm
// binary), otherwise by the absence of the binary magic.
bool is_text_input(std::string_view path, std::string_view contents);

// `PATH:LINE:COL: message` for an error at a byte offset of a text file.
void print_text_error(char const* path, std::string_view source, Error const&);
// `PATH: offset 0x..: message` for an error at a byte offset of a binary.
void print_binary_error(char const* path, Error const&, char const* note = nullptr);

// A module file's binary: the file itself, or the encoding of a text file.
struct ModuleFile {
    std::string contents;
    bool is_text { false };
    Vector<u8> encoded; // text files only

    ReadonlyBytes bytes() const
    {
        if (is_text)
            return encoded.span();
        return ReadonlyBytes(reinterpret_cast<u8 const*>(contents.data()), contents.size());
    }
};

// Reads a .wasm or .wat file and encodes text; nothing after printing why not.
// `function_names`: text function `$id`s become name-section names (for backtraces).
std::optional<ModuleFile> load_module_file(char const* path, bool function_names = false);

// Note appended to errors at offsets of a text file's encoding.
inline constexpr char const* kEncodedNote = " (in the encoded binary)";

bool is_help(std::string_view argument);
// An argument that looks like an option (`-x`, `--x`) but is not the lone `-`.
bool is_option(std::string_view argument);

// Prints `message` and `usage` to stderr and returns kExitUsage.
int usage_error(std::string_view message, char const* usage);

int run_command(Arguments);
int validate_command(Arguments);
int wat2wasm_command(Arguments);
int dump_command(Arguments);
int wast_command(Arguments);

extern char const* const kRunUsage;
extern char const* const kValidateUsage;
extern char const* const kWat2WasmUsage;
extern char const* const kDumpUsage;
extern char const* const kWastUsage;

} // namespace wk::hosted
