#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/module.h"
#include "engine/text/wat.h"

using namespace wk;
using namespace wk::engine::text;

namespace {

std::vector<u8> const kHeader = { 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00 };

std::vector<u8> with_header(std::vector<u8> sections)
{
    std::vector<u8> bytes = kHeader;
    bytes.insert(bytes.end(), sections.begin(), sections.end());
    return bytes;
}

std::vector<u8> encode(char const* text)
{
    auto binary = wat_to_wasm(text);
    EXPECT_TRUE(binary.has_value()) << text << ": " << (binary ? "" : binary.error().message()) << " at "
                                    << (binary ? 0 : binary.error().offset());
    if (!binary)
        return {};
    return std::vector<u8>(binary->begin(), binary->end());
}

Error encode_error(char const* text)
{
    auto binary = wat_to_wasm(text);
    EXPECT_FALSE(binary.has_value()) << text;
    if (binary)
        return Error::from("no error");
    EXPECT_EQ(binary.error().kind(), ErrorKind::Malformed);
    return binary.error();
}

} // namespace

TEST(Encoder, EmptyModule)
{
    EXPECT_EQ(encode("(module)"), kHeader);
    EXPECT_EQ(encode(""), kHeader);
    EXPECT_EQ(encode("(module $m)"), kHeader);
}

TEST(Encoder, FunctionFlatAndFoldedAreTheSame)
{
    std::vector<u8> expected = with_header({
        0x01, 0x06, 0x01, 0x60, 0x01, 0x7F, 0x01, 0x7F,       // type (i32) -> i32
        0x03, 0x02, 0x01, 0x00,                               // func type 0
        0x07, 0x05, 0x01, 0x01, 'f', 0x00, 0x00,              // export "f" func 0
        0x0A, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6A, 0x0B,
    });
    EXPECT_EQ(encode("(module (func (export \"f\") (param i32) (result i32) local.get 0 i32.const 1 i32.add))"), expected);
    EXPECT_EQ(encode("(func (export \"f\") (param $x i32) (result i32) (i32.add (local.get $x) (i32.const 1)))"), expected);
    EXPECT_EQ(encode("(type $t (func (param i32) (result i32)))"
                     "(func $f (type $t) (i32.add (local.get 0) (i32.const 1)))"
                     "(export \"f\" (func $f))"),
              expected);
}

TEST(Encoder, LabelsAndBranches)
{
    std::vector<u8> expected = with_header({
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
        0x03, 0x02, 0x01, 0x00,
        0x0A, 0x0C, 0x01, 0x0A, 0x00, 0x02, 0x40, 0x03, 0x40, 0x0C, 0x01, 0x0B, 0x0B, 0x0B,
    });
    EXPECT_EQ(encode("(func (block $out (loop $in (br $out))))"), expected);
    EXPECT_EQ(encode("(func block $out loop $in br 1 end $in end $out)"), expected);
    EXPECT_STREQ(encode_error("(func (block $a (br $b)))").message(), "unknown label");
    EXPECT_STREQ(encode_error("(func block $a end $b)").message(), "mismatching label");
    EXPECT_STREQ(encode_error("(func block end $b)").message(), "mismatching label");
}

TEST(Encoder, IfElseFoldedWithCondition)
{
    // (if (result i32) (local.get 0) (then (i32.const 1)) (else (i32.const 2)))
    std::vector<u8> bytes = encode("(func (param i32) (result i32)"
                                   " (if (result i32) (local.get 0) (then (i32.const 1)) (else (i32.const 2))))");
    std::vector<u8> body = { 0x00, 0x20, 0x00, 0x04, 0x7F, 0x41, 0x01, 0x05, 0x41, 0x02, 0x0B, 0x0B };
    ASSERT_GE(bytes.size(), body.size());
    EXPECT_EQ(std::vector<u8>(bytes.end() - static_cast<long>(body.size()), bytes.end()), body);
}

TEST(Encoder, ImplicitTypesAreAppendedAndReused)
{
    std::vector<u8> expected = with_header({
        0x01, 0x08, 0x02, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7F, 0x00, // explicit () -> (), implicit (i32) -> ()
        0x03, 0x04, 0x03, 0x01, 0x00, 0x01,
        0x0A, 0x0A, 0x03, 0x02, 0x00, 0x0B, 0x02, 0x00, 0x0B, 0x02, 0x00, 0x0B,
    });
    EXPECT_EQ(encode("(type (func)) (func (param i32)) (func) (func (param $p i32))"), expected);
    EXPECT_STREQ(encode_error("(type $t (func (param i32))) (func (type $t) (param i64))").message(),
                 "inline function type");
}

TEST(Encoder, MemoryWithInlineDataAndCustomPageSize)
{
    EXPECT_EQ(encode("(memory (data \"ab\"))"), with_header({
                  0x05, 0x04, 0x01, 0x01, 0x01, 0x01,
                  0x0B, 0x08, 0x01, 0x00, 0x41, 0x00, 0x0B, 0x02, 'a', 'b',
              }));
    EXPECT_EQ(encode("(memory i64 1 2 shared)"), with_header({ 0x05, 0x04, 0x01, 0x07, 0x01, 0x02 }));
    EXPECT_EQ(encode("(memory 0 (pagesize 1))"), with_header({ 0x05, 0x04, 0x01, 0x08, 0x00, 0x00 }));
    EXPECT_STREQ(encode_error("(memory 0 (pagesize 3))").message(), "invalid custom page size");
}

TEST(Encoder, MemargAndConstants)
{
    std::vector<u8> bytes = encode("(memory 1) (func (drop (i64.load offset=8 align=4 (i32.const -1)))"
                                   " (drop (f32.const 1.5)) (drop (i64.const -0x8000_0000_0000_0000)))");
    std::vector<u8> body = {
        0x00, 0x41, 0x7F, 0x29, 0x02, 0x08, 0x1A,
        0x43, 0x00, 0x00, 0xC0, 0x3F, 0x1A,
        0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F, 0x1A, 0x0B,
    };
    ASSERT_GE(bytes.size(), body.size());
    EXPECT_EQ(std::vector<u8>(bytes.end() - static_cast<long>(body.size()), bytes.end()), body);
    EXPECT_STREQ(encode_error("(memory 1) (func (drop (i32.load align=3 (i32.const 0))))").message(), "alignment");
    EXPECT_STREQ(encode_error("(func (drop (i32.const 0x1_0000_0000)))").message(), "i32 constant out of range");
}

TEST(Encoder, ElementSegmentForms)
{
    std::vector<u8> bytes = encode("(table $t 2 funcref) (func $f) (elem (i32.const 0) $f $f)"
                                   " (elem $p func $f) (elem declare funcref (ref.func $f))");
    std::vector<u8> elem_section = {
        0x09, 0x12, 0x03,
        0x00, 0x41, 0x00, 0x0B, 0x02, 0x00, 0x00,  // active, table 0, func indices
        0x01, 0x00, 0x01, 0x00,                    // passive, elemkind, one index
        0x07, 0x70, 0x01, 0xD2, 0x00, 0x0B,        // declarative expressions
    };
    auto found = std::search(bytes.begin(), bytes.end(), elem_section.begin(), elem_section.end());
    EXPECT_NE(found, bytes.end());
}

TEST(Encoder, GcTypesAndFieldNames)
{
    std::vector<u8> bytes = encode("(rec (type $s (sub (struct (field $x i32) (field $y (mut i64)))))"
                                   "     (type $a (array (mut i8))))"
                                   "(func (param (ref $s)) (result i64) (struct.get $s $y (local.get 0)))");
    std::vector<u8> types = {
        0x01, 0x0F, 0x02,
        0x4E, 0x02, 0x50, 0x00, 0x5F, 0x02, 0x7F, 0x00, 0x7E, 0x01, 0x5E, 0x78, 0x01,
        0x60, 0x01, 0x64, 0x00, 0x01, 0x7E,
    };
    types[1] = static_cast<u8>(types.size() - 2);
    ASSERT_GT(bytes.size(), 8 + types.size());
    EXPECT_EQ(std::vector<u8>(bytes.begin() + 8, bytes.begin() + 8 + static_cast<long>(types.size())), types);
    std::vector<u8> get = { 0x20, 0x00, 0xFB, 0x02, 0x00, 0x01, 0x0B };
    EXPECT_NE(std::search(bytes.begin(), bytes.end(), get.begin(), get.end()), bytes.end());
    EXPECT_STREQ(encode_error("(type $s (struct (field $x i32))) (func (drop (struct.get $s $z (ref.null $s))))").message(),
                 "unknown field");
}

TEST(Encoder, CustomSectionsArePlaced)
{
    EXPECT_EQ(encode("(@custom \"a\" (before first) \"x\") (func) (@custom \"b\" \"yz\")"
                     "(@custom \"c\" (after type) \"\")"),
              with_header({
                  0x00, 0x03, 0x01, 'a', 'x',
                  0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
                  0x00, 0x02, 0x01, 'c',
                  0x03, 0x02, 0x01, 0x00,
                  0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B,
                  0x00, 0x04, 0x01, 'b', 'y', 'z',
              }));
    EXPECT_STREQ(encode_error("(func (@custom \"x\"))").message(), "misplaced @custom annotation");
}

TEST(Encoder, Errors)
{
    struct Case {
        char const* text;
        char const* message;
        u64 offset;
    } const cases[] = {
        { "(func i32.frob)", "unknown operator", 6 },
        { "(func (i32.const0))", "unknown operator", 7 },
        { "(func (call $nope))", "unknown function", 12 },
        { "(func $f) (func $f)", "duplicate func", 11 },
        { "(func (local $x i32) (local $x i32))", "duplicate local", 28 },
        { "(func (local.get $y))", "unknown local", 17 },
        { "(func) (import \"a\" \"b\" (func))", "import after function", 24 },
        { "(import \"\\ff\" \"b\" (func))", "malformed UTF-8 encoding", 8 },
        { "(func (result i32) (i32.const 1)", "unexpected end of input", 32 },
        { "(func \"x)", "unclosed string", 6 },
        { "(func $)", "empty identifier", 6 },
        { "(func) (; never closed", "unclosed comment", 7 },
        { "(func (type 5) (param i32))", "unknown type", 6 },
        { "(func (v128.const i32x4 1 2 3))", "wrong number of lane literals", 18 },
        { "(@x ()", "unclosed annotation", 0 },
        { "(module) (module)", "unexpected token", 9 },
    };
    for (Case const& c : cases) {
        Error error = encode_error(c.text);
        EXPECT_STREQ(error.message(), c.message) << c.text;
        EXPECT_EQ(error.offset(), c.offset) << c.text;
    }
}

// Nesting is kept on a heap stack: deep input costs no native stack, and past the
// limit (100000) it is an error, not a crash.
TEST(Encoder, DeepNesting)
{
    auto nested = [](int depth, bool folded) {
        std::string text = "(func ";
        for (int i = 0; i < depth; ++i)
            text += folded ? "(block " : "block ";
        for (int i = 0; i < depth; ++i)
            text += folded ? ")" : "end ";
        return text + ")";
    };
    EXPECT_STREQ(encode_error(nested(100001, true).c_str()).message(), "nesting too deep");
    EXPECT_STREQ(encode_error(nested(100001, false).c_str()).message(), "nesting too deep");
    for (bool folded : { true, false }) {
        auto binary = wat_to_wasm(nested(50000, folded));
        ASSERT_TRUE(binary.has_value());
        EXPECT_EQ(binary->size(), 150028u); // header, type, func, code: 3-byte sizes, 2 bytes per block, 1 per end
    }
    std::string operands = "(func (result i32) ";
    for (int i = 0; i < 50000; ++i)
        operands += "(i32.add (i32.const 1) ";
    operands += "(i32.const 0)" + std::string(50000, ')') + ")";
    EXPECT_TRUE(wat_to_wasm(operands).has_value());
}

// Many distinct signatures and deep label references stay linear (hash lookups).
TEST(Encoder, ScalesWithManyTypesAndLabels)
{
    static char const* const kTypes[] = { "i32", "i64", "f32", "f64" };
    std::string text;
    for (int f = 0; f < 20000; ++f) {
        text += "(func (param";
        for (int p = 0; p < 8; ++p)
            text += std::string(" ") + kTypes[(f >> (2 * p)) & 3];
        text += "))";
    }
    auto many = wat_to_wasm(text);
    ASSERT_TRUE(many.has_value());
    auto decoded = engine::decode_module(many->span());
    ASSERT_TRUE(decoded.has_value());

    std::string deep = "(func block $outer";
    for (int i = 0; i < 20000; ++i)
        deep += " block br $outer";
    for (int i = 0; i < 20000; ++i)
        deep += " end";
    deep += " end)";
    auto labels = wat_to_wasm(deep);
    ASSERT_TRUE(labels.has_value());
    // The innermost `br $outer` crosses 20000 blocks: depth 20000 = LEB 0xA0 0x9C 0x01.
    std::vector<u8> innermost = { 0x0C, 0xA0, 0x9C, 0x01 };
    EXPECT_NE(std::search(labels->begin(), labels->end(), innermost.begin(), innermost.end()), labels->end());
}

// Branch hints go into the metadata.code.branch_hint section, by offset into the
// function body. A hint on anything but `if`/`br_if` makes the module invalid (the
// suite's assert_invalid_custom), reported only once the module has parsed; a
// hint with no instruction after it in its function is malformed.
TEST(Encoder, BranchHints)
{
    EXPECT_EQ(encode("(func (param i32) local.get 0 (@metadata.code.branch_hint \"\\01\") if end"
                     " (block (@metadata.code.branch_hint \"\\00\") (br_if 0 (local.get 0))))"),
              with_header({
                  0x01, 0x05, 0x01, 0x60, 0x01, 0x7F, 0x00,
                  0x03, 0x02, 0x01, 0x00,
                  0x00, 0x23, 0x19, 'm', 'e', 't', 'a', 'd', 'a', 't', 'a', '.', 'c', 'o', 'd', 'e', '.',
                  'b', 'r', 'a', 'n', 'c', 'h', '_', 'h', 'i', 'n', 't',
                  0x01, 0x00, 0x02, 0x03, 0x01, 0x01, 0x0A, 0x01, 0x00, // func 0: if at 3 likely, br_if at 10 unlikely
                  0x0A, 0x10, 0x01, 0x0E, 0x00, 0x20, 0x00, 0x04, 0x40, 0x0B,
                  0x02, 0x40, 0x20, 0x00, 0x0D, 0x00, 0x0B, 0x0B,
              }));

    struct Case {
        char const* text;
        u64 offset;
    } const invalid_targets[] = {
        { "(func (param i32) local.get 0 (@metadata.code.branch_hint \"\\01\") i32.eqz drop)", 30 },
        { "(func (@metadata.code.branch_hint \"\\00\") block end)", 6 },
        { "(func (@metadata.code.branch_hint \"\\00\") (block))", 6 },
        { "(func (@metadata.code.branch_hint \"\\01\") (drop (i32.const 0)))", 6 },
        { "(func (param i32) (if (local.get 0) (then)) (@metadata.code.branch_hint \"\\01\") (nop))", 44 },
    };
    for (Case const& c : invalid_targets) {
        auto binary = wat_to_wasm(c.text);
        ASSERT_FALSE(binary.has_value()) << c.text;
        EXPECT_EQ(binary.error().kind(), ErrorKind::Invalid) << c.text;
        EXPECT_STREQ(binary.error().message(), "@metadata.code.branch_hint annotation: invalid target") << c.text;
        EXPECT_EQ(binary.error().offset(), c.offset) << c.text;
    }

    // A syntax error later in the module is what the module is: malformed.
    Error later = encode_error("(func (@metadata.code.branch_hint \"\\01\") (block)) (func i32.frob)");
    EXPECT_STREQ(later.message(), "unknown operator");

    // A hint at the end of a function is not carried over to the next one's `if`.
    Error dangling = encode_error("(func (@metadata.code.branch_hint \"\\01\")) (func (param i32) local.get 0 if end)");
    EXPECT_STREQ(dangling.message(), "@metadata.code.branch_hint annotation: invalid placement");
    EXPECT_EQ(dangling.offset(), 6u);
}

// Limits of 32-bit memories and tables are u64 literals that validation checks
// (3.0); the old threads suite has them u32, larger ones malformed.
TEST(Encoder, LimitLiteralsPerSuite)
{
    auto threads = engine::Features::for_suite_path("proposals/threads/memory.wast");
    EXPECT_EQ(encode("(memory 0 0x1_0000_0000)"),
              with_header({ 0x05, 0x08, 0x01, 0x01, 0x00, 0x80, 0x80, 0x80, 0x80, 0x10 }));
    struct Case {
        char const* text;
        u64 offset;
    } const cases[] = {
        { "(memory 0x1_0000_0000)", 8 },
        { "(memory 0 0x1_0000_0000)", 10 },
        { "(memory i32 0x1_0000_0000 0x1_0000_0000)", 12 },
        { "(import \"m\" \"m\" (memory 0x1_0000_0000))", 24 },
        { "(table 0 0x1_0000_0000 funcref)", 9 },
    };
    for (Case const& c : cases) {
        EXPECT_TRUE(wat_to_wasm(c.text).has_value()) << c.text;
        auto binary = wat_to_wasm(c.text, threads);
        ASSERT_FALSE(binary.has_value()) << c.text;
        EXPECT_EQ(binary.error().kind(), ErrorKind::Malformed) << c.text;
        EXPECT_STREQ(binary.error().message(), "i32 constant out of range") << c.text;
        EXPECT_EQ(binary.error().offset(), c.offset) << c.text;
    }
    EXPECT_TRUE(wat_to_wasm("(memory 0xFFFF_FFFF 0xFFFF_FFFF)", threads).has_value());
    EXPECT_TRUE(wat_to_wasm("(memory i64 0x1_0000_0000)", threads).has_value());
}

// wat_to_wasm_with_names: function ids become the name section's function names, in
// index order (imports first); an @name annotation wins; plain wat_to_wasm adds nothing.
TEST(Encoder, FunctionIdsBecomeNamesOnRequest)
{
    char const* text = R"((module (import "m" "f" (func $imported)) (func $b) (func) (func $"quoted name")))";
    auto named = wat_to_wasm_with_names(text);
    ASSERT_TRUE(named.has_value());
    auto module = engine::decode_module(named->span());
    ASSERT_TRUE(module.has_value()) << module.error().message();
    ASSERT_EQ(module->function_names.size(), 3u);
    EXPECT_EQ(module->function_names[0].index, 0u);
    EXPECT_EQ(module->function_names[0].name, "imported");
    EXPECT_EQ(module->function_names[1].index, 1u);
    EXPECT_EQ(module->function_names[1].name, "b");
    EXPECT_EQ(module->function_names[2].index, 3u);
    EXPECT_EQ(module->function_names[2].name, "quoted name");

    auto plain = wat_to_wasm(text);
    ASSERT_TRUE(plain.has_value());
    auto plain_module = engine::decode_module(plain->span());
    ASSERT_TRUE(plain_module.has_value());
    EXPECT_TRUE(plain_module->function_names.is_empty());

    auto annotated = wat_to_wasm_with_names(R"((module (func $a (@name "shown")) (func $b)))");
    ASSERT_TRUE(annotated.has_value());
    auto annotated_module = engine::decode_module(annotated->span());
    ASSERT_TRUE(annotated_module.has_value());
    ASSERT_EQ(annotated_module->function_names.size(), 1u);
    EXPECT_EQ(annotated_module->function_names[0].name, "shown");
}

// The flat form `v128.const SHAPE LANES...` takes exactly the shape's lane count: the
// instruction after it is not one of its lanes (a regression: `i32.const` was counted).
TEST(Encoder, FlatV128ConstStopsAfterItsLanes)
{
    std::vector<u8> flat = encode("(module (func (result i32) v128.const i32x4 1 2 3 4 drop i32.const 0))");
    std::vector<u8> folded = encode("(module (func (result i32) (drop (v128.const i32x4 1 2 3 4)) (i32.const 0)))");
    ASSERT_FALSE(flat.empty());
    EXPECT_EQ(flat, folded);
    EXPECT_EQ(encode("(module (func (result f32) v128.const f32x4 nan inf -inf 0 f32x4.extract_lane 1))"),
              encode("(module (func (result f32) (f32x4.extract_lane 1 (v128.const f32x4 nan inf -inf 0))))"));
    // Too few or too many lanes are still an error at the shape.
    EXPECT_STREQ(encode_error("(func v128.const i32x4 1 2 3 i32.const 0 drop)").message(), "wrong number of lane literals");
    EXPECT_STREQ(encode_error("(func (v128.const i32x4 1 2 3 4 5))").message(), "wrong number of lane literals");
    EXPECT_STREQ(encode_error("(func (v128.const f32x4 1 2 3 4 nan))").message(), "wrong number of lane literals");
}
