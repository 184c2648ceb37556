// The engine-wide module limits (engine/binary/limits.h): each count one past its limit
// is refused by the decoder with a message naming the limit, at the count's offset;
// the limit itself is accepted.
#include <gtest/gtest.h>

#include <sys/mman.h>

#include "engine/binary/limits.h"
#include "engine/module.h"
#include "module_builder.h"

using namespace wk;
using namespace wk::engine;
using test::ByteVector;

namespace {

Result<Module> decode(const ByteVector& bytes) { return decode_module(ReadonlyBytes(bytes.data(), bytes.size())); }

// A section whose contents are LEB128 `count` followed by `count` copies of `item`.
ByteVector repeated(u8 id, u64 count, const ByteVector& item)
{
    ByteVector contents;
    test::leb(contents, count);
    contents.reserve(contents.size() + count * item.size());
    for (u64 i = 0; i < count; ++i)
        contents.insert(contents.end(), item.begin(), item.end());
    return test::section(id, contents);
}

// The offset of a section's count, when it follows the module header and `before`.
u64 count_offset(const ByteVector& before, const ByteVector& section)
{
    usize size_length = 1;
    while (section[size_length] & 0x80)
        ++size_length;
    return 8 + before.size() + 1 + size_length;
}

void expect_refused(const ByteVector& before, const ByteVector& section, const char* message)
{
    auto module = decode(test::cat({ { 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00 }, before, section }));
    ASSERT_FALSE(module.has_value()) << message;
    EXPECT_EQ(module.error().kind(), ErrorKind::Malformed);
    EXPECT_STREQ(module.error().message(), message);
    EXPECT_EQ(module.error().offset(), count_offset(before, section)) << message;
}

void expect_accepted(const ByteVector& before, const ByteVector& section)
{
    auto module = decode(test::cat({ { 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00 }, before, section }));
    EXPECT_TRUE(module.has_value()) << module.error().message();
}

const ByteVector kOneType = test::section(1, { 0x01, 0x60, 0x00, 0x00 }); // (type (func))

} // namespace

TEST(DecoderLimits, ModuleSize)
{
    // One byte past 1 GiB, reserved but never touched: the size is refused before
    // anything is read.
    usize size = limits::kModuleSize + 1;
    void* memory = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    ASSERT_NE(memory, MAP_FAILED);
    auto module = decode_module(ReadonlyBytes(static_cast<const u8*>(memory), size));
    ::munmap(memory, size);
    ASSERT_FALSE(module.has_value());
    EXPECT_STREQ(module.error().message(), "module too large (limit 1073741824 bytes)");
}

TEST(DecoderLimits, Types)
{
    expect_refused({}, repeated(1, limits::kTypes + 1, { 0x60, 0x00, 0x00 }), "too many recursion groups (limit 1000000)");
    // Rec groups under their limit but too many types in all.
    ByteVector group = { 0x4E };
    test::leb(group, limits::kTypes);
    for (u32 i = 0; i < limits::kTypes; ++i)
        group.insert(group.end(), { 0x60, 0x00, 0x00 });
    ByteVector contents = { 0x02 };
    contents.insert(contents.end(), group.begin(), group.end());
    contents.insert(contents.end(), { 0x60, 0x00, 0x00 });
    auto module = decode(test::module({ test::section(1, contents) }));
    ASSERT_FALSE(module.has_value());
    EXPECT_STREQ(module.error().message(), "too many types (limit 1000000)");
    EXPECT_EQ(module.error().offset(), count_offset({}, test::section(1, contents)) + 2);
    expect_accepted({}, repeated(1, limits::kTypes, { 0x60, 0x00, 0x00 }));
}

TEST(DecoderLimits, ParamsResultsAndFields)
{
    ByteVector params = { 0x01, 0x60 };
    test::leb(params, limits::kParams + 1);
    params.insert(params.end(), limits::kParams + 1, 0x7F);
    params.push_back(0x00);
    auto module = decode(test::module({ test::section(1, params) }));
    ASSERT_FALSE(module.has_value());
    EXPECT_STREQ(module.error().message(), "too many parameters (limit 1000)");
    EXPECT_EQ(module.error().offset(), 8u + 1 + 2 + 2);

    ByteVector results = { 0x01, 0x60, 0x00 };
    test::leb(results, limits::kResults + 1);
    results.insert(results.end(), limits::kResults + 1, 0x7F);
    module = decode(test::module({ test::section(1, results) }));
    ASSERT_FALSE(module.has_value());
    EXPECT_STREQ(module.error().message(), "too many results (limit 1000)");

    ByteVector fields = { 0x01, 0x5F };
    test::leb(fields, limits::kStructFields + 1);
    for (u32 i = 0; i <= limits::kStructFields; ++i)
        fields.insert(fields.end(), { 0x7F, 0x00 });
    module = decode(test::module({ test::section(1, fields) }));
    ASSERT_FALSE(module.has_value());
    EXPECT_STREQ(module.error().message(), "too many struct fields (limit 10000)");

    ByteVector at_limit = { 0x01, 0x60 };
    test::leb(at_limit, limits::kParams);
    at_limit.insert(at_limit.end(), limits::kParams, 0x7F);
    at_limit.push_back(0x00);
    EXPECT_TRUE(decode(test::module({ test::section(1, at_limit) })).has_value());
}

TEST(DecoderLimits, FunctionsCountImportsToo)
{
    expect_refused(kOneType, repeated(3, limits::kFunctions + 1, { 0x00 }), "too many functions (limit 1000000)");
    ByteVector import = test::section(2, test::cat({ { 0x01 }, test::name("m"), test::name("f"), { 0x00, 0x00 } }));
    expect_refused(test::cat({ kOneType, import }), repeated(3, limits::kFunctions, { 0x00 }),
                   "too many functions (limit 1000000)");
}

TEST(DecoderLimits, ImportsAndExports)
{
    ByteVector import = test::cat({ test::name("m"), test::name("f"), { 0x00, 0x00 } });
    expect_refused(kOneType, repeated(2, limits::kImports + 1, import), "too many imports (limit 1000000)");
    ByteVector entry = test::cat({ test::name("e"), { 0x00, 0x00 } });
    expect_refused({}, repeated(7, limits::kExports + 1, entry), "too many exports (limit 1000000)");
}

TEST(DecoderLimits, TablesMemoriesGlobalsTags)
{
    expect_refused({}, repeated(4, limits::kTables + 1, { 0x70, 0x00, 0x00 }), "too many tables (limit 100000)");
    expect_refused({}, repeated(5, limits::kMemories + 1, { 0x00, 0x00 }), "too many memories (limit 100000)");
    expect_refused({}, repeated(6, limits::kGlobals + 1, { 0x7F, 0x00, 0x41, 0x00, 0x0B }),
                   "too many globals (limit 1000000)");
    expect_refused(kOneType, repeated(13, limits::kTags + 1, { 0x00, 0x00 }), "too many tags (limit 1000000)");
    expect_accepted({}, repeated(4, limits::kTables, { 0x70, 0x00, 0x00 }));
}

TEST(DecoderLimits, Segments)
{
    expect_refused({}, repeated(11, limits::kDataSegments + 1, { 0x01, 0x00 }), "too many data segments (limit 100000)");
    ByteVector data_count = { 0x0C, 0x03 };
    test::leb(data_count, limits::kDataSegments + 1);
    auto module = decode(test::module({ data_count }));
    ASSERT_FALSE(module.has_value());
    EXPECT_STREQ(module.error().message(), "too many data segments (limit 100000)");
    EXPECT_EQ(module.error().offset(), 10u);
    // Passive element segments of no functions: flags 1, elemkind 0, 0 items.
    expect_refused({}, repeated(9, limits::kElementSegments + 1, { 0x01, 0x00, 0x00 }),
                   "too many element segments (limit 10000000)");
    ByteVector items = { 0x01, 0x01, 0x00 };
    test::leb(items, limits::kElementSegmentItems + 1);
    items.insert(items.end(), limits::kElementSegmentItems + 1, 0x00);
    module = decode(test::module({ kOneType, { 0x03, 0x02, 0x01, 0x00 }, test::section(9, items) }));
    ASSERT_FALSE(module.has_value());
    EXPECT_STREQ(module.error().message(), "too many elements in a segment (limit 10000000)");
}

TEST(DecoderLimits, FunctionBodySizeAndLocals)
{
    // One body of kFunctionBodySize + 1 bytes: no locals, nops, end.
    ByteVector code = { 0x01 };
    test::leb(code, limits::kFunctionBodySize + 1);
    usize size_at = 8 + kOneType.size() + 4 + 1 + 4 + 1;
    code.push_back(0x00);
    code.insert(code.end(), limits::kFunctionBodySize - 1, 0x01);
    code.push_back(0x0B);
    auto module = decode(test::module({ kOneType, { 0x03, 0x02, 0x01, 0x00 }, test::section(10, code) }));
    ASSERT_FALSE(module.has_value());
    EXPECT_STREQ(module.error().message(), "function body too large (limit 7654321 bytes)");
    EXPECT_EQ(module.error().offset(), size_at);
    // The largest body decodes.
    code = { 0x01 };
    test::leb(code, limits::kFunctionBodySize);
    code.push_back(0x00);
    code.insert(code.end(), limits::kFunctionBodySize - 2, 0x01);
    code.push_back(0x0B);
    EXPECT_TRUE(decode(test::module({ kOneType, { 0x03, 0x02, 0x01, 0x00 }, test::section(10, code) })).has_value());

    ByteVector locals = test::cat({ { 0x02 } });
    test::leb(locals, limits::kLocals);
    locals.push_back(0x7F);
    locals.insert(locals.end(), { 0x01, 0x7F, 0x0B });
    ByteVector body;
    test::leb(body, locals.size());
    body.insert(body.end(), locals.begin(), locals.end());
    module = decode(test::module({ kOneType, { 0x03, 0x02, 0x01, 0x00 }, test::section(10, test::cat({ { 0x01 }, body })) }));
    ASSERT_FALSE(module.has_value());
    EXPECT_STREQ(module.error().message(), "too many locals");
}
