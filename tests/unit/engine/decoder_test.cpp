#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "engine/module.h"

using namespace wk;
using namespace wk::engine;

namespace {

std::vector<u8> module_bytes(std::initializer_list<std::vector<u8>> sections)
{
    std::vector<u8> bytes { 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00 };
    for (const auto& section : sections)
        bytes.insert(bytes.end(), section.begin(), section.end());
    return bytes;
}

// A section with its size computed (sizes below 128).
std::vector<u8> section(u8 id, std::vector<u8> contents)
{
    std::vector<u8> bytes { id, static_cast<u8>(contents.size()) };
    bytes.insert(bytes.end(), contents.begin(), contents.end());
    return bytes;
}

Result<Module> decode(const std::vector<u8>& bytes) { return decode_module(ReadonlyBytes(bytes.data(), bytes.size())); }

void expect_malformed(const std::vector<u8>& bytes, const char* message, u64 offset)
{
    auto module = decode(bytes);
    ASSERT_FALSE(module.has_value()) << "expected: " << message;
    EXPECT_EQ(module.error().kind(), ErrorKind::Malformed);
    EXPECT_STREQ(module.error().message(), message);
    EXPECT_EQ(module.error().offset(), offset) << message;
}

} // namespace

TEST(Decoder, EmptyModule)
{
    auto module = decode(module_bytes({}));
    ASSERT_TRUE(module.has_value());
    EXPECT_EQ(module->types.size(), 0u);
    EXPECT_EQ(module->start, kNoIndex);
}

TEST(Decoder, HeaderErrors)
{
    expect_malformed({}, "unexpected end", 0);
    expect_malformed({ 0x00, 0x61, 0x73 }, "unexpected end", 3);
    expect_malformed({ 0x61, 0x73, 0x6D, 0x00 }, "magic header not detected", 0);
    expect_malformed({ 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00 }, "unexpected end", 6);
    expect_malformed({ 0x00, 0x61, 0x73, 0x6D, 0x02, 0x00, 0x00, 0x00 }, "unknown binary version", 4);
}

TEST(Decoder, SectionErrors)
{
    expect_malformed(module_bytes({ { 0x0E, 0x01, 0x00 } }), "malformed section id", 8);
    expect_malformed(module_bytes({ { 0x01, 0x05, 0x00 } }), "length out of bounds", 10);
    // Type section declaring one type but holding none.
    expect_malformed(module_bytes({ { 0x01, 0x01, 0x01 } }), "unexpected end of section or function", 10);
    // Section size larger than its contents.
    expect_malformed(module_bytes({ { 0x01, 0x02, 0x00, 0x00 } }), "section size mismatch", 11);
    // Function section after the code section.
    expect_malformed(module_bytes({ { 0x0A, 0x01, 0x00 }, { 0x03, 0x01, 0x00 } }),
                     "unexpected content after last section", 11);
    // Duplicate type section.
    expect_malformed(module_bytes({ { 0x01, 0x01, 0x00 }, { 0x01, 0x01, 0x00 } }),
                     "unexpected content after last section", 11);
    expect_malformed(module_bytes({ { 0x03, 0x02, 0x01, 0x00 } }),
                     "function and code section have inconsistent lengths", 12);
    expect_malformed(module_bytes({ { 0x0C, 0x01, 0x01 } }),
                     "data count and data section have inconsistent lengths", 11);
}

TEST(Decoder, LebErrors)
{
    // Type count with five bytes and high bits set.
    expect_malformed(module_bytes({ { 0x01, 0x05, 0x80, 0x80, 0x80, 0x80, 0x10 } }), "integer too large", 10);
    expect_malformed(module_bytes({ { 0x01, 0x06, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 } }),
                     "integer representation too long", 10);
}

TEST(Decoder, NamesMustBeUtf8)
{
    // Export section: one export named "\xFF".
    expect_malformed(module_bytes({ { 0x07, 0x05, 0x01, 0x01, 0xFF, 0x00, 0x00 } }), "malformed UTF-8 encoding", 12);
    // Overlong encoding of '/' and a UTF-16 surrogate.
    expect_malformed(module_bytes({ { 0x00, 0x03, 0x02, 0xC0, 0xAF } }), "malformed UTF-8 encoding", 11);
    expect_malformed(module_bytes({ { 0x00, 0x04, 0x03, 0xED, 0xA0, 0x80 } }), "malformed UTF-8 encoding", 11);
    auto bytes = module_bytes({ { 0x00, 0x05, 0x04, 0xF0, 0x9F, 0x98, 0x80 } });
    auto ok = decode(bytes);
    ASSERT_TRUE(ok.has_value());
    ASSERT_EQ(ok->custom_sections.size(), 1u);
    EXPECT_EQ(ok->custom_sections[0].name, "\xF0\x9F\x98\x80");
}

TEST(Decoder, AbsurdCountsDoNotAllocate)
{
    // 2^32-1 types declared in a 5-byte section: rejected before reserving.
    expect_malformed(module_bytes({ { 0x01, 0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F } }),
                     "unexpected end of section or function", 10);
    // 2^32-1 locals.
    auto bytes = module_bytes({ { 0x01, 0x04, 0x01, 0x60, 0x00, 0x00 },
                                { 0x03, 0x02, 0x01, 0x00 },
                                { 0x0A, 0x0A, 0x01, 0x08, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x7F, 0x0B } });
    expect_malformed(bytes, "too many locals", 22);
}

TEST(Decoder, TypesImportsAndExports)
{
    auto bytes = module_bytes({
        // (type (func (param i32 i64) (result f32)))
        // (rec (type (sub (struct (field (mut i8)) (field (ref null 0))))) (type (array i16)))
        section(0x01, { 0x02, 0x60, 0x02, 0x7F, 0x7E, 0x01, 0x7D, 0x4E, 0x02, 0x50, 0x00, 0x5F, 0x02, 0x78, 0x01, 0x63,
          0x00, 0x00, 0x5E, 0x77, 0x00 }),
        // (import "m" "f" (func (type 0))) (import "m" "g" (global (mut i32)))
        section(0x02, { 0x02, 0x01, 'm', 0x01, 'f', 0x00, 0x00, 0x01, 'm', 0x01, 'g', 0x03, 0x7F, 0x01 }),
        // (memory i64 1 2 shared)
        section(0x05, { 0x01, 0x07, 0x01, 0x02 }),
        // (export "f" (func 0))
        section(0x07, { 0x01, 0x01, 'f', 0x00, 0x00 }),
    });
    auto module = decode(bytes);
    ASSERT_TRUE(module.has_value()) << module.error().message() << " @" << module.error().offset();
    ASSERT_EQ(module->types.size(), 3u);
    ASSERT_EQ(module->rec_groups.size(), 2u);
    EXPECT_EQ(module->rec_groups[1].size, 2u);
    EXPECT_EQ(module->func_params(0).size(), 2u);
    EXPECT_EQ(module->func_results(0)[0], ValType::f32());
    EXPECT_FALSE(module->types[1].is_final);
    EXPECT_EQ(module->types[1].kind, CompositeKind::Struct);
    auto fields = module->struct_fields(1);
    ASSERT_EQ(fields.size(), 2u);
    EXPECT_EQ(fields[0].type, ValType::i8());
    EXPECT_TRUE(fields[0].is_mutable);
    EXPECT_EQ(fields[1].type, ValType::ref_index(0, true));
    EXPECT_EQ(module->types[2].kind, CompositeKind::Array);
    EXPECT_EQ(module->struct_fields(2)[0].type, ValType::i16());
    ASSERT_EQ(module->imports.size(), 2u);
    EXPECT_EQ(module->imports[1].name, "g");
    EXPECT_EQ(module->imports[1].kind, ExternKind::Global);
    EXPECT_TRUE(module->globals[0].is_mutable);
    ASSERT_EQ(module->memories.size(), 1u);
    EXPECT_TRUE(module->memories[0].limits.is_64);
    EXPECT_TRUE(module->memories[0].limits.is_shared);
    EXPECT_EQ(module->memories[0].limits.max, 2u);
    EXPECT_EQ(module->exports[0].name, "f");
}

TEST(Decoder, ElementSegmentEncodings)
{
    auto bytes = module_bytes({
        { 0x01, 0x04, 0x01, 0x60, 0x00, 0x00 },
        { 0x03, 0x02, 0x01, 0x00 },
        { 0x04, 0x04, 0x01, 0x70, 0x00, 0x01 },
        section(0x09, { 0x04,
          0x00, 0x41, 0x00, 0x0B, 0x01, 0x00,                   // active, func indices
          0x01, 0x00, 0x02, 0x00, 0x00,                         // passive, two func indices
          0x03, 0x00, 0x00,                                     // declarative, none
          0x06, 0x00, 0x41, 0x00, 0x0B, 0x70, 0x01, 0xD2, 0x00, 0x0B }), // active table 0, exprs
        { 0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B },
    });
    auto module = decode(bytes);
    ASSERT_TRUE(module.has_value()) << module.error().message() << " @" << module.error().offset();
    ASSERT_EQ(module->elements.size(), 4u);
    EXPECT_EQ(module->elements[0].mode, SegmentMode::Active);
    EXPECT_EQ(module->elements[1].mode, SegmentMode::Passive);
    EXPECT_EQ(module->elements[1].item_count, 2u);
    EXPECT_EQ(module->elements[2].mode, SegmentMode::Declarative);
    EXPECT_TRUE(module->elements[3].uses_exprs);
    EXPECT_EQ(module->element_exprs.size(), 1u);
    EXPECT_EQ(module->codes.size(), 1u);
}

TEST(Decoder, NameSection)
{
    auto names = [](std::vector<u8> payload) {
        std::vector<u8> contents { 0x04, 'n', 'a', 'm', 'e' };
        contents.insert(contents.end(), payload.begin(), payload.end());
        return section(0x00, contents);
    };
    // module name "m"; function 0 "f"; local 0 of function 0 "x".
    auto bytes = module_bytes({
        { 0x01, 0x04, 0x01, 0x60, 0x00, 0x00 },
        { 0x03, 0x02, 0x01, 0x00 },
        { 0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B },
        names({ 0x00, 0x02, 0x01, 'm', 0x01, 0x04, 0x01, 0x00, 0x01, 'f', 0x02, 0x06, 0x01, 0x00, 0x01, 0x00, 0x01, 'x' }),
    });
    auto module = decode(bytes);
    ASSERT_TRUE(module.has_value()) << module.error().message() << " @" << module.error().offset();
    EXPECT_EQ(module->module_name, "m");
    ASSERT_EQ(module->function_names.size(), 1u);
    EXPECT_EQ(module->function_names[0].name, "f");
    ASSERT_EQ(module->local_names.size(), 1u);
    EXPECT_EQ(module->local_names[0].name, "x");

    // A malformed name section leaves the module valid, without names.
    auto broken = module_bytes({ names({ 0x01, 0x7F, 0x01 }) });
    auto lenient = decode(broken);
    ASSERT_TRUE(lenient.has_value());
    EXPECT_TRUE(lenient->function_names.is_empty());
    EXPECT_EQ(lenient->custom_sections.size(), 1u);
}

TEST(Decoder, CodeBodiesAreByteRanges)
{
    auto bytes = module_bytes({
        { 0x01, 0x04, 0x01, 0x60, 0x00, 0x00 },
        { 0x03, 0x02, 0x01, 0x00 },
        // one body: 2 local runs (3 x i32, 1 x f64), then nop end
        { 0x0A, 0x09, 0x01, 0x07, 0x02, 0x03, 0x7F, 0x01, 0x7C, 0x01, 0x0B },
    });
    auto module = decode(bytes);
    ASSERT_TRUE(module.has_value()) << module.error().message();
    ASSERT_EQ(module->codes.size(), 1u);
    const Code& code = module->codes[0];
    EXPECT_EQ(code.local_count, 4u);
    EXPECT_EQ(module->local_runs(code).size(), 2u);
    EXPECT_EQ(module->local_runs(code)[1].type, ValType::f64());
    EXPECT_EQ(bytes[code.code_offset], 0x01);
    EXPECT_EQ(code.offset + code.size, bytes.size());
}
