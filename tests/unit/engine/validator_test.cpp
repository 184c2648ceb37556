#include <gtest/gtest.h>

#include "engine/module.h"
#include "module_builder.h"

using namespace wk;
using namespace wk::engine;
using namespace test;

namespace {

const ByteVector kNone { 0x00 };
const ByteVector kI32 { 0x01, 0x7F };

void expect_valid(const ByteVector& bytes)
{
    auto outcome = check(bytes);
    EXPECT_TRUE(outcome.decoded && outcome.valid) << outcome.message << " @" << outcome.offset;
}

void expect_invalid(const ByteVector& bytes, const char* message, ErrorKind kind = ErrorKind::Invalid)
{
    auto outcome = check(bytes);
    ASSERT_FALSE(outcome.decoded && outcome.valid) << "expected: " << message;
    EXPECT_EQ(outcome.message, message);
    EXPECT_EQ(outcome.kind, kind) << message;
}

ByteVector memory_section(ByteVector limits) { return section(5, vec({ limits })); }

} // namespace

TEST(Validator, TypeMismatchHasOffsetAndFunction)
{
    // i64.const 1; i32.const 1; i32.add
    auto bytes = single_function(kNone, kI32, { 0x42, 0x01, 0x41, 0x01, 0x6A });
    auto outcome = check(bytes);
    ASSERT_TRUE(outcome.decoded);
    ASSERT_FALSE(outcome.valid);
    EXPECT_EQ(outcome.message, "type mismatch");
    EXPECT_EQ(outcome.kind, ErrorKind::Invalid);
    EXPECT_EQ(outcome.offset, bytes.size() - 2); // the i32.add
    EXPECT_EQ(outcome.function, 0u);
}

TEST(Validator, ResultsMustMatchExactly)
{
    expect_valid(single_function(kNone, kI32, { 0x41, 0x07 }));
    expect_invalid(single_function(kNone, kI32, {}), "type mismatch");
    expect_invalid(single_function(kNone, kNone, { 0x41, 0x07 }), "type mismatch");
}

TEST(Validator, StackPolymorphismAfterUnreachable)
{
    expect_valid(single_function(kNone, kNone, { 0x00, 0x6A, 0x1A }));
    expect_valid(single_function(kNone, kI32, { 0x00, 0x6A }));
    expect_valid(single_function(kNone, kI32, { 0x41, 0x01, 0x0F, 0x1A, 0x1A, 0x41, 0x00 }));
    expect_invalid(single_function(kNone, kI32, { 0x0F }), "type mismatch");
    // Still typed: an i64 operand under the polymorphic part is a mismatch.
    expect_invalid(single_function(kNone, kI32, { 0x00, 0x42, 0x00, 0x6A }), "type mismatch");
}

TEST(Validator, UnknownIndices)
{
    expect_invalid(single_function(kNone, kNone, { 0x20, 0x05, 0x1A }), "unknown local");
    expect_invalid(single_function(kNone, kNone, { 0x10, 0x07 }), "unknown function");
    expect_invalid(single_function(kNone, kNone, { 0x23, 0x00, 0x1A }), "unknown global");
    expect_invalid(single_function(kNone, kNone, { 0x0C, 0x01 }), "unknown label");
    expect_invalid(single_function(kNone, kNone, { 0x41, 0x00, 0x28, 0x02, 0x00, 0x1A }), "unknown memory");
}

TEST(Validator, SelectArity)
{
    expect_invalid(single_function(kNone, kNone, { 0x41, 0, 0x41, 0, 0x41, 1, 0x1C, 0x02, 0x7F, 0x7F, 0x1A }),
                   "invalid result arity");
    expect_valid(single_function(kNone, kNone, { 0x41, 0, 0x41, 0, 0x41, 1, 0x1C, 0x01, 0x7F, 0x1A }));
    // Untyped select cannot choose between references.
    expect_invalid(single_function(kNone, kNone, { 0xD0, 0x70, 0xD0, 0x70, 0x41, 1, 0x1B, 0x1A }), "type mismatch");
}

TEST(Validator, MemoryAccesses)
{
    auto memory = memory_section({ 0x00, 0x01 });
    expect_valid(single_function(kNone, kNone, { 0x41, 0, 0x28, 0x02, 0x00, 0x1A }, {}, { memory }));
    expect_invalid(single_function(kNone, kNone, { 0x41, 0, 0x28, 0x03, 0x00, 0x1A }, {}, { memory }),
                   "alignment must not be larger than natural");
    // memory64: addresses are i64.
    auto memory64 = memory_section({ 0x04, 0x01 });
    expect_valid(single_function(kNone, kNone, { 0x42, 0, 0x28, 0x02, 0x00, 0x1A }, {}, { memory64 }));
    expect_invalid(single_function(kNone, kNone, { 0x41, 0, 0x28, 0x02, 0x00, 0x1A }, {}, { memory64 }), "type mismatch");
    // Offsets beyond 2^32-1 only fit 64-bit memories.
    ByteVector far_load { 0x41, 0, 0x28, 0x02, 0x80, 0x80, 0x80, 0x80, 0x10, 0x1A };
    expect_invalid(single_function(kNone, kNone, far_load, {}, { memory }), "offset out of range");
    // memory.init needs the data count section (a binary-format rule).
    ByteVector init { 0x41, 0, 0x41, 0, 0x41, 0, 0xFC, 0x08, 0x00, 0x00 };
    expect_invalid(single_function(kNone, kNone, init, {}, { memory }), "data count section required", ErrorKind::Malformed);
}

TEST(Validator, Atomics)
{
    auto shared = memory_section({ 0x03, 0x01, 0x01 });
    expect_valid(single_function(kNone, kNone, { 0x41, 0, 0xFE, 0x10, 0x02, 0x00, 0x1A }, {}, { shared }));
    expect_invalid(single_function(kNone, kNone, { 0x41, 0, 0xFE, 0x10, 0x00, 0x00, 0x1A }, {}, { shared }),
                   "alignment must be equal to natural");
    expect_invalid(single_function(kNone, kNone, { 0x41, 0, 0xFE, 0x10, 0x02, 0x00, 0x1A }, {}, { memory_section({ 0x02, 0x01 }) }),
                   "shared memory must have maximum");
}

TEST(Validator, SimdLanesAndWideArithmetic)
{
    expect_valid(single_function(kNone, kNone, { 0x41, 0, 0xFD, 0x0F, 0xFD, 0x15, 0x0F, 0x1A }));
    expect_invalid(single_function(kNone, kNone, { 0x41, 0, 0xFD, 0x0F, 0xFD, 0x15, 0x10, 0x1A }), "invalid lane index");
    expect_valid(single_function(kNone, kNone, { 0x42, 1, 0x42, 2, 0x42, 3, 0x42, 4, 0xFC, 0x13, 0x1A, 0x1A }));
    expect_invalid(single_function(kNone, kNone, { 0x42, 1, 0x42, 2, 0x42, 3, 0xFC, 0x13, 0x1A, 0x1A }), "type mismatch");
}

TEST(Validator, ConstantExpressions)
{
    auto global = [](ByteVector init) {
        ByteVector entry { 0x7F, 0x00 };
        entry.insert(entry.end(), init.begin(), init.end());
        return section(6, vec({ entry }));
    };
    expect_valid(single_function(kNone, kNone, {}, {}, { global({ 0x41, 1, 0x41, 2, 0x6A, 0x0B }) }));
    expect_invalid(single_function(kNone, kNone, {}, {}, { global({ 0x41, 1, 0x41, 2, 0x6D, 0x0B }) }),
                   "constant expression required");
    expect_invalid(single_function(kNone, kNone, {}, {}, { global({ 0x42, 1, 0x0B }) }), "type mismatch");
    expect_invalid(single_function(kNone, kNone, {}, {}, { global({ 0x23, 0x00, 0x0B }) }), "unknown global");
}

TEST(Validator, ExportsAndFunctionReferences)
{
    auto export_f = [](const char* label) { return cat({ name(label), { 0x00, 0x00 } }); };
    expect_invalid(single_function(kNone, kNone, {}, {}, { section(7, vec({ export_f("a"), export_f("a") })) }),
                   "duplicate export name");
    expect_valid(single_function(kNone, kNone, {}, {}, { section(7, vec({ export_f("a"), export_f("b") })) }));
    ByteVector take_ref { 0xD2, 0x00, 0x1A };
    expect_invalid(single_function(kNone, kNone, take_ref), "undeclared function reference");
    expect_valid(single_function(kNone, kNone, take_ref, {}, { section(7, vec({ export_f("f") })) }));
}

TEST(Validator, NonDefaultableLocals)
{
    ByteVector ref_param { 0x01, 0x64, 0x70 };
    // A (ref func) local must be set before it is read, and the setting only
    // lasts to the end of its block.
    expect_invalid(single_function(kNone, kNone, { 0x20, 0x00, 0x1A }, { { 0x01, 0x64, 0x70 } }), "uninitialized local");
    expect_valid(single_function(ref_param, kNone, { 0x20, 0x00, 0x21, 0x01, 0x20, 0x01, 0x1A }, { { 0x01, 0x64, 0x70 } }));
    expect_invalid(single_function(ref_param, kNone, { 0x02, 0x40, 0x20, 0x00, 0x21, 0x01, 0x0B, 0x20, 0x01, 0x1A },
                                   { { 0x01, 0x64, 0x70 } }),
                   "uninitialized local");
}

TEST(Validator, BranchTables)
{
    // block (result i32) (block (br_table 0 1 (i32.const 0)) ...): arities 0 and 1 differ.
    expect_invalid(single_function(kNone, kNone, { 0x02, 0x7F, 0x02, 0x40, 0x41, 0, 0x0E, 0x01, 0x00, 0x01, 0x0B, 0x41, 0, 0x0B, 0x1A }),
                   "type mismatch");
    // Labels of equal arity but different types are fine when the operands are bottom.
    expect_valid(single_function(kNone, kNone, { 0x02, 0x7C, 0x02, 0x7D, 0x00, 0x41, 1, 0x0E, 0x01, 0x00, 0x01, 0x0B, 0x1A, 0x44,
                                                 0, 0, 0, 0, 0, 0, 0, 0, 0x0B, 0x1A }));
}

TEST(Validator, RecGroupsCanonicalise)
{
    // type 0: func; rec { type 1: func } (same shape); rec { 2: struct (ref null 2) };
    // rec { 3: struct (ref null 3) }; type 4: struct (ref null 2): not recursive.
    auto bytes = module({ section(1, vec({ { 0x60, 0x00, 0x00 },
                                          { 0x4E, 0x01, 0x60, 0x00, 0x00 },
                                          { 0x4E, 0x01, 0x5F, 0x01, 0x63, 0x02, 0x00 },
                                          { 0x4E, 0x01, 0x5F, 0x01, 0x63, 0x03, 0x00 },
                                          { 0x5F, 0x01, 0x63, 0x02, 0x00 } })) });
    auto module = decode_module(ReadonlyBytes(bytes.data(), bytes.size()));
    ASSERT_TRUE(module.has_value());
    ASSERT_TRUE(validate_module(*module).has_value());
    EXPECT_EQ(module->canonical[0], 0u);
    EXPECT_EQ(module->canonical[1], 0u);
    EXPECT_EQ(module->canonical[2], 2u);
    EXPECT_EQ(module->canonical[3], 2u);
    EXPECT_EQ(module->canonical[4], 4u);
}

TEST(Validator, SubtypingDeclarations)
{
    // A final supertype cannot be extended.
    expect_invalid(module({ section(1, vec({ { 0x4F, 0x00, 0x5F, 0x00 }, { 0x50, 0x01, 0x00, 0x5F, 0x00 } })) }), "sub type");
    // Width subtyping: (sub (struct i32)) <: (sub (struct)).
    expect_valid(module({ section(1, vec({ { 0x50, 0x00, 0x5F, 0x00 }, { 0x50, 0x01, 0x00, 0x5F, 0x01, 0x7F, 0x00 } })) }));
    // Fewer fields than the supertype.
    expect_invalid(module({ section(1, vec({ { 0x50, 0x00, 0x5F, 0x01, 0x7F, 0x00 }, { 0x50, 0x01, 0x00, 0x5F, 0x00 } })) }),
                   "sub type");
    // Supertypes must be defined earlier.
    expect_invalid(module({ section(1, vec({ { 0x50, 0x01, 0x00, 0x5F, 0x00 } })) }), "unknown type");
}

TEST(Validator, StructsAndArrays)
{
    // type 0: struct (field (mut i32)) (field i64); type 1: func (param (ref null 0)).
    ByteVector types = section(1, vec({ { 0x5F, 0x02, 0x7F, 0x01, 0x7E, 0x00 }, { 0x60, 0x01, 0x63, 0x00, 0x00 } }));
    auto with_body = [&](ByteVector code) {
        return module({ types, section(3, vec({ { 0x01 } })), section(10, vec({ body({}, code) })) });
    };
    expect_valid(with_body({ 0x20, 0x00, 0xFB, 0x02, 0x00, 0x00, 0x1A }));
    expect_valid(with_body({ 0x20, 0x00, 0x41, 0x05, 0xFB, 0x05, 0x00, 0x00 }));
    expect_invalid(with_body({ 0x20, 0x00, 0x42, 0x05, 0xFB, 0x05, 0x00, 0x01 }), "immutable field");
    expect_invalid(with_body({ 0x20, 0x00, 0xFB, 0x02, 0x00, 0x02, 0x1A }), "unknown field");
    expect_valid(with_body({ 0x41, 1, 0x42, 2, 0xFB, 0x00, 0x00, 0x1A }));
    expect_invalid(with_body({ 0x42, 2, 0x41, 1, 0xFB, 0x00, 0x00, 0x1A }), "type mismatch");
    // ref.test against a type of another hierarchy.
    expect_invalid(with_body({ 0x20, 0x00, 0xFB, 0x14, 0x70, 0x1A }), "type mismatch");
    expect_valid(with_body({ 0x20, 0x00, 0xFB, 0x15, 0x6E, 0x1A }));
}

TEST(Validator, Exceptions)
{
    ByteVector tag = section(13, vec({ { 0x00, 0x00 } }));
    // block (try_table (catch_all 0) end) end
    expect_valid(single_function(kNone, kNone, { 0x02, 0x40, 0x1F, 0x40, 0x01, 0x02, 0x00, 0x0B, 0x0B }, {}, { tag }));
    // catch 0 to a label expecting an i32: the tag carries nothing.
    expect_invalid(single_function(kNone, kNone, { 0x02, 0x7F, 0x1F, 0x40, 0x01, 0x00, 0x00, 0x00, 0x0B, 0x41, 0, 0x0B, 0x1A }, {}, { tag }),
                   "type mismatch");
    // Legacy: try catch_all rethrow 0 end; rethrow must target a catch.
    expect_valid(single_function(kNone, kNone, { 0x06, 0x40, 0x19, 0x09, 0x00, 0x0B }));
    expect_invalid(single_function(kNone, kNone, { 0x06, 0x40, 0x09, 0x00, 0x0B }), "invalid rethrow label");
    expect_valid(single_function(kNone, kNone, { 0x06, 0x40, 0x08, 0x00, 0x07, 0x00, 0x0B }, {}, { tag }));
    expect_valid(single_function(kNone, kNone, { 0x02, 0x40, 0x06, 0x40, 0x18, 0x00, 0x0B }));
}

TEST(Validator, CustomPageSizes)
{
    expect_valid(module({ memory_section({ 0x08, 0x00, 0x00 }) }));
    expect_valid(module({ memory_section({ 0x08, 0x00, 0x10 }) }));
    expect_invalid(module({ memory_section({ 0x08, 0x00, 0x03 }) }), "invalid custom page size");
    expect_invalid(module({ memory_section({ 0x00, 0x80, 0x80, 0x08 }) }), "memory size must be at most 65536 pages (4GiB)");
    expect_invalid(module({ memory_section({ 0x01, 0x02, 0x01 }) }), "size minimum must not be greater than maximum");
}

TEST(Validator, PolymorphicBranchTableIsLinear)
{
    // A label with 1000 results reached from unreachable code by a br_table
    // with many entries: must validate, and quickly.
    ByteVector results { 0xE8, 0x07 };
    for (int i = 0; i < 1000; ++i)
        results.push_back(0x7F);
    ByteVector type { 0x60, 0x00 };
    type.insert(type.end(), results.begin(), results.end());
    ByteVector code { 0x00, 0x41, 0x00, 0x0E };
    leb(code, 20000);
    for (int i = 0; i < 20000; ++i)
        code.push_back(0x00);
    code.push_back(0x00);
    auto bytes = module({ section(1, vec({ type })), section(3, vec({ { 0x00 } })), section(10, vec({ body({}, code) })) });
    expect_valid(bytes);
}

TEST(Validator, StartFunction)
{
    ByteVector start = section(8, { 0x00 });
    expect_valid(single_function(kNone, kNone, {}, {}, { start }));
    expect_invalid(single_function(kI32, kNone, {}, {}, { start }), "start function");
    expect_invalid(single_function(kNone, kNone, {}, {}, { section(8, { 0x05 }) }), "unknown function");
}

TEST(Validator, FeaturesPerSuite)
{
    // Custom page sizes: limits flag 0x08 is malformed in the core suite.
    auto paged = module({ memory_section({ 0x08, 0x00, 0x00 }) });
    EXPECT_TRUE(check(paged).valid);
    auto core = check(paged, Features::core());
    EXPECT_FALSE(core.decoded);
    EXPECT_EQ(core.message, "malformed limits flags");

    // The old threads suite has one memory at most.
    auto two = module({ section(5, vec({ { 0x00, 0x01 }, { 0x00, 0x01 } })) });
    EXPECT_TRUE(check(two).valid);
    auto threads = check(two, Features::for_suite_path("proposals/threads/memory.wast"));
    EXPECT_EQ(threads.message, "multiple memories");

    // br_on_cast 0 eqref -> anyref: the target does not match the source in 3.0,
    // but shares its hierarchy, which custom descriptors accepts.
    ByteVector anyref { 0x01, 0x6E };
    auto cast = single_function(kNone, anyref, { 0x00, 0xFB, 0x18, 0x03, 0x00, 0x6D, 0x6E });
    EXPECT_EQ(check(cast, Features::core()).message, "type mismatch");
    EXPECT_TRUE(check(cast, Features::for_suite_path("proposals/custom-descriptors/br_on_cast.wast")).valid);
}
