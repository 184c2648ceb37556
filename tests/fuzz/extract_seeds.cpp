// Builds the fuzzers' seed corpora from the spec suite: every module that
// encodes becomes a binary seed, and the scripts' top-level forms (modules and
// assertions about modules, plus a few of every other command per file) become
// text seeds. Files are named by a hash of their contents, so duplicates merge.
// Usage: extract_seeds SUITE_DIR BINARY_OUT_DIR TEXT_OUT_DIR
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "engine/text/wast.h"

namespace fs = std::filesystem;
using namespace wk::engine::text;

namespace {

constexpr std::size_t kMaxSeedSize = 16 * 1024;
constexpr int kOtherFormsPerFile = 8;

std::string hex_hash(std::string_view bytes)
{
    std::uint64_t hash = 0xcbf29ce484222325ull;
    for (unsigned char c : bytes)
        hash = (hash ^ c) * 0x100000001b3ull;
    char name[17];
    std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(hash));
    return name;
}

bool write_seed(fs::path const& directory, std::string_view bytes)
{
    if (bytes.size() > kMaxSeedSize)
        return false;
    fs::path path = directory / hex_hash(bytes);
    if (fs::exists(path))
        return false;
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return true;
}

// Top-level parenthesised forms of a script, skipping comments and strings.
std::vector<std::string_view> top_level_forms(std::string_view source)
{
    std::vector<std::string_view> forms;
    std::size_t depth = 0;
    std::size_t start = 0;
    for (std::size_t i = 0; i < source.size(); ++i) {
        char c = source[i];
        if (c == ';' && i + 1 < source.size() && source[i + 1] == ';') {
            while (i < source.size() && source[i] != '\n')
                ++i;
        } else if (c == '(' && i + 1 < source.size() && source[i + 1] == ';') {
            std::size_t nesting = 1;
            for (i += 2; i < source.size() && nesting > 0; ++i) {
                if (source[i] == '(' && i + 1 < source.size() && source[i + 1] == ';')
                    ++nesting, ++i;
                else if (source[i] == ';' && i + 1 < source.size() && source[i + 1] == ')')
                    --nesting, ++i;
            }
            --i;
        } else if (c == '"') {
            for (++i; i < source.size() && source[i] != '"'; ++i) {
                if (source[i] == '\\')
                    ++i;
            }
        } else if (c == '(') {
            if (depth++ == 0)
                start = i;
        } else if (c == ')' && depth > 0) {
            if (--depth == 0)
                forms.push_back(source.substr(start, i + 1 - start));
        }
    }
    return forms;
}

bool is_module_form(std::string_view form)
{
    for (std::string_view prefix : { "(module", "(assert_malformed", "(assert_invalid", "(assert_unlinkable" }) {
        if (form.starts_with(prefix))
            return true;
    }
    return false;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 4) {
        std::fprintf(stderr, "usage: extract_seeds SUITE_DIR BINARY_OUT_DIR TEXT_OUT_DIR\n");
        return 2;
    }
    fs::path suite = argv[1];
    fs::path binary_dir = argv[2];
    fs::path text_dir = argv[3];
    fs::create_directories(binary_dir);
    fs::create_directories(text_dir);
    if (!fs::is_directory(suite)) {
        std::fprintf(stderr, "extract_seeds: %s: no test suite there; the corpora start empty\n", argv[1]);
        return 0;
    }
    std::vector<fs::path> files;
    for (auto const& entry : fs::recursive_directory_iterator(suite)) {
        if (entry.is_regular_file() && entry.path().extension() == ".wast")
            files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());

    std::size_t binaries = 0;
    std::size_t texts = 0;
    for (fs::path const& path : files) {
        std::ifstream in(path, std::ios::binary);
        std::stringstream buffer;
        buffer << in.rdbuf();
        std::string source = buffer.str();

        int others = 0;
        for (std::string_view form : top_level_forms(source)) {
            if (is_module_form(form) || others++ < kOtherFormsPerFile)
                texts += write_seed(text_dir, form);
        }
        auto script = parse_wast(source);
        if (!script)
            continue;
        for (Command const& command : script->commands) {
            if (!command.has_module)
                continue;
            auto binary = command.module.to_binary();
            if (binary)
                binaries += write_seed(binary_dir,
                                       std::string_view(reinterpret_cast<char const*>(binary->data()), binary->size()));
        }
    }
    std::printf("extract_seeds: %zu .wast files, %zu binary seeds, %zu text seeds\n", files.size(), binaries, texts);
    return 0;
}
