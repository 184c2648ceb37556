#include "engine/compile/compiled_module.h"
#include "kernel/debug/ktest.h"
#include "kernel/mm/memory.h"
#include "kernel/proc/module_loader.h"

// The compile estimate is an upper bound of the kernel heap's peak while a module is decoded,
// validated and compiled, for the shapes that cost most per byte (measured: see
// docs/process-abi.md, "Compile memory").
namespace wk::kernel::proc {

namespace {

enum class Shape { Constants, Functions, Nested, Loops, Ifs, Calls, BranchTable };

bool append(Vector<u8>& out, ReadonlyBytes bytes) { return out.try_extend(bytes).has_value(); }

bool append_leb(Vector<u8>& out, u64 value)
{
    do {
        u8 byte = value & 0x7f;
        value >>= 7;
        if (!out.try_append(static_cast<u8>(byte | (value ? 0x80 : 0))))
            return false;
    } while (value);
    return true;
}

bool append_repeated(Vector<u8>& out, ReadonlyBytes unit, usize count)
{
    for (usize i = 0; i < count; ++i) {
        if (!append(out, unit))
            return false;
    }
    return true;
}

// A module with one type () -> (), an export "f" of function 0 and about `code_bytes` of
// code of the given shape.
bool build(Vector<u8>& module, Shape shape, usize code_bytes)
{
    Vector<u8> bodies;
    usize functions = 1;
    bool ok = true;
    const u8 block[] = { 0x02, 0x40 };
    const u8 end[] = { 0x0b };
    const u8 constant[] = { 0x41, 0x01, 0x1a };
    Vector<u8> body;
    switch (shape) {
    case Shape::Constants:
        ok = body.try_append(0).has_value() && append_repeated(body, constant, code_bytes / 3) && append(body, end);
        break;
    case Shape::Nested:
        ok = body.try_append(0).has_value() && append_repeated(body, block, code_bytes / 3)
          && append_repeated(body, end, code_bytes / 3) && append(body, end);
        break;
    case Shape::Loops: {
        const u8 loop[] = { 0x03, 0x40 };
        ok = body.try_append(0).has_value() && append_repeated(body, loop, code_bytes / 3)
          && append_repeated(body, end, code_bytes / 3) && append(body, end);
        break;
    }
    case Shape::Ifs: {
        const u8 branch[] = { 0x41, 0x00, 0x04, 0x40 };
        ok = body.try_append(0).has_value() && append_repeated(body, branch, code_bytes / 5)
          && append_repeated(body, end, code_bytes / 5) && append(body, end);
        break;
    }
    case Shape::Calls: {
        const u8 call[] = { 0x10, 0x00 };
        ok = body.try_append(0).has_value() && append_repeated(body, call, code_bytes / 2) && append(body, end);
        break;
    }
    case Shape::BranchTable: {
        const u8 head[] = { 0x00, 0x02, 0x40, 0x41, 0x00, 0x0e };
        const u8 zero[] = { 0x00 };
        const u8 tail[] = { 0x00, 0x0b, 0x0b };
        ok = append(body, head) && append_leb(body, code_bytes) && append_repeated(body, zero, code_bytes) && append(body, tail);
        break;
    }
    case Shape::Functions:
        functions = code_bytes / 3;
        break;
    }
    if (shape == Shape::Functions) {
        const u8 empty[] = { 0x02, 0x00, 0x0b };
        ok = ok && append_repeated(bodies, empty, functions);
    } else {
        ok = ok && append_leb(bodies, body.size()) && append(bodies, body.span());
    }
    const u8 header[] = { 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00 };
    const u8 exports[] = { 0x07, 0x05, 0x01, 0x01, 'f', 0x00, 0x00 };
    Vector<u8> function_section;
    ok = ok && append_leb(function_section, functions);
    for (usize i = 0; i < functions && ok; ++i)
        ok = function_section.try_append(0).has_value();
    Vector<u8> code_section;
    ok = ok && append_leb(code_section, functions) && append(code_section, bodies.span());
    ok = ok && append(module, header) && module.try_append(3).has_value() && append_leb(module, function_section.size())
      && append(module, function_section.span()) && append(module, exports) && module.try_append(10).has_value()
      && append_leb(module, code_section.size()) && append(module, code_section.span());
    return ok;
}

struct Buffer final : ModuleSource {
    explicit Buffer(ReadonlyBytes bytes)
        : bytes(bytes)
    {
    }
    usize read(u64 offset, Bytes buffer) override
    {
        if (offset >= bytes.size())
            return 0;
        usize count = bytes.size() - offset < buffer.size() ? bytes.size() - offset : buffer.size();
        __builtin_memcpy(buffer.data(), bytes.data() + offset, count);
        return count;
    }
    ReadonlyBytes bytes;
};

} // namespace

KERNEL_TEST(proc_compile_estimate_bounds_the_heap_peak)
{
    constexpr usize kCodeBytes = 48 * 1024;
    const struct {
        Shape shape;
        const char* name;
    } cases[] = {
        { Shape::Constants, "constants" },
        { Shape::Functions, "functions" },
        { Shape::Nested, "nested blocks" },
        { Shape::Loops, "nested loops" },
        { Shape::Ifs, "nested ifs" },
        { Shape::Calls, "calls" },
        { Shape::BranchTable, "br_table targets" },
    };
    for (auto& test : cases) {
        Vector<u8> module;
        KEXPECT(build(module, test.shape, kCodeBytes));
        Buffer source(module.span());
        auto layout = plan_module(module.size(), source);
        KEXPECT(layout.has_value());
        if (!layout)
            continue;
        Vector<u8> copy;
        KEXPECT(copy.try_extend(module.span()).has_value());
        usize before = mm::heap_statistics().bytes_in_use;
        mm::reset_heap_peak();
        u64 peak = 0;
        {
            auto compiled = engine::compile::load_and_compile(std::move(copy));
            KEXPECT(compiled.has_value());
            peak = mm::heap_statistics().peak_bytes_in_use - before;
        }
        u64 estimate = compile_estimate(*layout);
        debug::print("    {}: {} code bytes, {} functions: heap peak {} KiB ({} bytes per code byte), estimate {} KiB\n",
                     test.name, layout->code_bytes, layout->function_count, peak / 1024,
                     peak / (layout->code_bytes ? layout->code_bytes : 1), estimate / 1024);
        KEXPECT(peak <= estimate);
    }
}

} // namespace wk::kernel::proc
