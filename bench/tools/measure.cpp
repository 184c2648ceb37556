#include "bench/tools/measure.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "engine/text/wat.h"
#include "engine/wasi/wasi_host.h"

namespace wk::bench {

using namespace engine;

u64 now_ns()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<u64>(ts.tv_sec) * 1'000'000'000u + static_cast<u64>(ts.tv_nsec);
}

u64 median(std::vector<u64> samples)
{
    std::sort(samples.begin(), samples.end());
    return samples[samples.size() / 2];
}

u64 minimum(const std::vector<u64>& samples)
{
    return *std::min_element(samples.begin(), samples.end());
}

std::optional<std::string> read_file(const char* path)
{
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        std::fprintf(stderr, "%s: cannot read: %s\n", path, std::strerror(errno));
        return std::nullopt;
    }
    std::stringstream buffer;
    buffer << file.rdbuf();
    return buffer.str();
}

Vector<u8> to_vector(std::string_view bytes)
{
    Vector<u8> vector;
    MUST(vector.try_resize(bytes.size()));
    std::memcpy(vector.data(), bytes.data(), bytes.size());
    return vector;
}

std::string wat_module(std::string_view wat)
{
    auto wasm = MUST(text::wat_to_wasm(StringView(wat.data(), wat.size())));
    return std::string(reinterpret_cast<const char*>(wasm.data()), wasm.size());
}

u64 code_section_bytes(std::string_view module)
{
    usize at = 8;
    auto leb = [&]() -> std::optional<u64> {
        u64 value = 0;
        for (u32 shift = 0; shift < 64 && at < module.size(); shift += 7) {
            u8 byte = static_cast<u8>(module[at++]);
            value |= static_cast<u64>(byte & 0x7f) << shift;
            if (byte < 0x80)
                return value;
        }
        return std::nullopt;
    };
    while (at < module.size()) {
        u8 id = static_cast<u8>(module[at++]);
        auto size = leb();
        if (!size)
            return 0;
        if (id == 10)
            return *size;
        at += *size;
    }
    return 0;
}

int print_error(const char* what, const Error& error)
{
    if (error.has_offset())
        std::fprintf(stderr, "%s: %s (at byte offset %llu)\n", what, error.message(),
                     static_cast<unsigned long long>(error.offset()));
    else
        std::fprintf(stderr, "%s: %s\n", what, error.message());
    return kExitFailure;
}

std::optional<u64> parse_count(const Arguments& args, usize index, u64 fallback)
{
    if (index >= args.size())
        return fallback;
    std::string text(args[index]);
    char* end = nullptr;
    unsigned long long value = std::strtoull(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || value == 0) {
        std::fprintf(stderr, "wk-bench: expected a positive count, got '%s'\n", text.c_str());
        return std::nullopt;
    }
    return value;
}

bool take_tier_option(Arguments& args, compile::CompileOptions& options)
{
    constexpr std::string_view kFlag = "--tier";
    usize index = 0;
    while (index < args.size()) {
        std::string_view arg = args[index];
        std::string_view name;
        usize taken = 1;
        if (arg == kFlag) {
            if (index + 1 >= args.size()) {
                std::fprintf(stderr, "wk-bench: --tier takes a tier name (baseline, optimized)\n");
                return false;
            }
            name = args[index + 1];
            taken = 2;
        } else if (arg.starts_with("--tier=")) {
            name = arg.substr(kFlag.size() + 1);
        } else {
            ++index;
            continue;
        }
        auto tier = compile::parse_tier(name);
        if (!tier) {
            std::fprintf(stderr, "wk-bench: unknown tier '%.*s' (baseline, optimized)\n", static_cast<int>(name.size()),
                         name.data());
            return false;
        }
        options.tier = *tier;
        args.erase(args.begin() + static_cast<std::ptrdiff_t>(index),
                   args.begin() + static_cast<std::ptrdiff_t>(index + taken));
    }
    return true;
}

namespace {

void nop_array_call(runtime::VMContext*, runtime::VMVal*) { }

void nop_native(runtime::VMContext*) { }

} // namespace

Result<std::unique_ptr<BenchImports>> BenchImports::create(bool nop_native_entry)
{
    std::unique_ptr<BenchImports> imports(new BenchImports());
    imports->m_store = TRY(runtime::Store::create());
    TRY(wasi::define_wasi(*imports->m_store, imports->m_linker, imports->m_context));
    u32 type_id = TRY(imports->m_store->types().intern_function({}, {}));
    const void* native = nop_native_entry ? reinterpret_cast<const void*>(&nop_native) : nullptr;
    auto* nop = TRY(imports->m_store->create_host_function(type_id, nop_array_call, native));
    TRY(imports->m_linker.define(StringView("bench"), StringView("nop"), runtime::Extern::from(nop)));
    return imports;
}

} // namespace wk::bench
