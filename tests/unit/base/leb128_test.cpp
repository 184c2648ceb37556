#include <cstdint>
#include <initializer_list>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "base/leb128.h"
#include "checking_allocator.h"

using namespace wk;

namespace {

template<typename T>
struct Decoded {
    Result<T> result;
    usize cursor;
};

template<typename T>
Decoded<T> decode(Result<T> (*reader)(ReadonlyBytes, usize&), std::vector<u8> bytes, usize start = 0)
{
    usize cursor = start;
    auto result = reader(ReadonlyBytes(bytes.data(), bytes.size()), cursor);
    return { std::move(result), cursor };
}

template<typename T>
void expect_value(Result<T> (*reader)(ReadonlyBytes, usize&), std::vector<u8> bytes, T expected)
{
    auto decoded = decode(reader, bytes);
    ASSERT_TRUE(decoded.result.has_value()) << decoded.result.error().message();
    EXPECT_EQ(*decoded.result, expected);
    EXPECT_EQ(decoded.cursor, bytes.size());
}

template<typename T>
void expect_error(Result<T> (*reader)(ReadonlyBytes, usize&), std::vector<u8> bytes, std::string_view message, usize start = 0)
{
    auto decoded = decode(reader, bytes, start);
    ASSERT_FALSE(decoded.result.has_value()) << "decoded " << *decoded.result;
    EXPECT_EQ(std::string_view(decoded.result.error().message()), message);
    EXPECT_EQ(decoded.result.error().kind(), ErrorKind::Malformed);
    EXPECT_EQ(decoded.result.error().offset(), start);
    EXPECT_EQ(decoded.cursor, start) << "cursor moved on error";
}

} // namespace

TEST(Leb128, U32Values)
{
    expect_value(read_leb_u32, { 0x00 }, 0u);
    expect_value(read_leb_u32, { 0x7f }, 127u);
    expect_value(read_leb_u32, { 0x80, 0x01 }, 128u);
    expect_value(read_leb_u32, { 0xe5, 0x8e, 0x26 }, 624485u);
    expect_value(read_leb_u32, { 0xff, 0xff, 0xff, 0xff, 0x0f }, 0xffffffffu);
    // Non-minimal encodings within the byte limit are allowed.
    expect_value(read_leb_u32, { 0x80, 0x00 }, 0u);
    expect_value(read_leb_u32, { 0x80, 0x80, 0x80, 0x80, 0x00 }, 0u);
}

TEST(Leb128, U32Errors)
{
    expect_error(read_leb_u32, {}, "unexpected end");
    expect_error(read_leb_u32, { 0x80 }, "unexpected end");
    expect_error(read_leb_u32, { 0xff, 0xff, 0xff, 0xff }, "unexpected end");
    expect_error(read_leb_u32, { 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 }, "integer representation too long");
    // Too long is decided at the fifth byte, before looking for a sixth.
    expect_error(read_leb_u32, { 0x80, 0x80, 0x80, 0x80, 0x80 }, "integer representation too long");
    expect_error(read_leb_u32, { 0xff, 0xff, 0xff, 0xff, 0x1f }, "integer too large");
    expect_error(read_leb_u32, { 0x82, 0x80, 0x80, 0x80, 0x70 }, "integer too large");
    expect_error(read_leb_u32, { 0x80, 0x80, 0x80, 0x80, 0x10 }, "integer too large");
    // Unused bits are checked before the continuation bit.
    expect_error(read_leb_u32, { 0x80, 0x80, 0x80, 0x80, 0xff }, "integer too large");
}

TEST(Leb128, ErrorOffsetIsWhereTheNumberStarts)
{
    expect_error(read_leb_u32, { 0x01, 0x02, 0x03, 0x80, 0x80 }, "unexpected end", 3);
    expect_error(read_leb_u32, { 0xaa, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 }, "integer representation too long", 1);
    // A cursor past the end is an unexpected end, not an out-of-bounds read.
    expect_error(read_leb_u32, { 0x01 }, "unexpected end", 1);
    expect_error(read_leb_u32, { 0x01 }, "unexpected end", 7);
}

TEST(Leb128, SequentialReadsAdvanceTheCursor)
{
    std::vector<u8> bytes { 0x01, 0x80, 0x01, 0x7f, 0xff, 0xff, 0x03 };
    ReadonlyBytes view(bytes.data(), bytes.size());
    usize cursor = 0;
    EXPECT_EQ(*read_leb_u32(view, cursor), 1u);
    EXPECT_EQ(cursor, 1u);
    EXPECT_EQ(*read_leb_u32(view, cursor), 128u);
    EXPECT_EQ(cursor, 3u);
    EXPECT_EQ(*read_leb_s32(view, cursor), -1);
    EXPECT_EQ(cursor, 4u);
    EXPECT_EQ(*read_leb_u64(view, cursor), 0xffffu);
    EXPECT_EQ(cursor, 7u);
    EXPECT_FALSE(read_leb_u32(view, cursor).has_value());
}

TEST(Leb128, U64)
{
    expect_value(read_leb_u64, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 }, UINT64_MAX);
    expect_value(read_leb_u64, { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 }, u64 { 1 } << 63);
    expect_error(read_leb_u64, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02 }, "integer too large");
    expect_error(read_leb_u64, { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 }, "integer representation too long");
    expect_error(read_leb_u64, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, "unexpected end");
}

TEST(Leb128, S32)
{
    expect_value(read_leb_s32, { 0x00 }, 0);
    expect_value(read_leb_s32, { 0x7f }, -1);
    expect_value(read_leb_s32, { 0x3f }, 63);
    expect_value(read_leb_s32, { 0x40 }, -64);
    expect_value(read_leb_s32, { 0xc0, 0x00 }, 64);
    expect_value(read_leb_s32, { 0x80, 0x7f }, -128);
    expect_value(read_leb_s32, { 0xff, 0xff, 0xff, 0xff, 0x07 }, INT32_MAX);
    expect_value(read_leb_s32, { 0x80, 0x80, 0x80, 0x80, 0x78 }, INT32_MIN);
    expect_value(read_leb_s32, { 0xff, 0xff, 0xff, 0xff, 0x7f }, -1);
    expect_error(read_leb_s32, { 0xff, 0xff, 0xff, 0xff, 0x0f }, "integer too large");
    expect_error(read_leb_s32, { 0x80, 0x80, 0x80, 0x80, 0x70 }, "integer too large");
    expect_error(read_leb_s32, { 0xff, 0xff, 0xff, 0xff, 0x4f }, "integer too large");
    expect_error(read_leb_s32, { 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 }, "integer representation too long");
    expect_error(read_leb_s32, { 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f }, "integer representation too long");
    expect_error(read_leb_s32, { 0xc0 }, "unexpected end");
}

TEST(Leb128, S33ForBlockTypes)
{
    expect_value(read_leb_s33, { 0x40 }, i64 { -64 });              // the empty block type
    expect_value(read_leb_s33, { 0x7f }, i64 { -1 });               // i32
    expect_value(read_leb_s33, { 0x05 }, i64 { 5 });                // type index
    expect_value(read_leb_s33, { 0xff, 0xff, 0xff, 0xff, 0x0f }, i64 { 0xffffffff });
    expect_value(read_leb_s33, { 0x80, 0x80, 0x80, 0x80, 0x70 }, -(i64 { 1 } << 32));
    expect_error(read_leb_s33, { 0x80, 0x80, 0x80, 0x80, 0x10 }, "integer too large");
    expect_error(read_leb_s33, { 0xff, 0xff, 0xff, 0xff, 0x6f }, "integer too large");
    expect_error(read_leb_s33, { 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 }, "integer representation too long");
}

TEST(Leb128, S64)
{
    expect_value(read_leb_s64, { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f }, INT64_MIN);
    expect_value(read_leb_s64, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00 }, INT64_MAX);
    expect_value(read_leb_s64, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f }, i64 { -1 });
    expect_error(read_leb_s64, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 }, "integer too large");
    expect_error(read_leb_s64, { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7e }, "integer too large");
    expect_error(read_leb_s64, { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 }, "integer representation too long");
}

TEST(Leb128, EncodersWriteTheShortestForm)
{
    test::CheckingAllocator allocator;
    Vector<u8> out(&allocator);
    ASSERT_TRUE(write_leb_u32(out, 624485).has_value());
    EXPECT_EQ(std::vector<u8>(out.begin(), out.end()), (std::vector<u8> { 0xe5, 0x8e, 0x26 }));
    out.clear();
    ASSERT_TRUE(write_leb_s32(out, -128).has_value());
    EXPECT_EQ(std::vector<u8>(out.begin(), out.end()), (std::vector<u8> { 0x80, 0x7f }));
    out.clear();
    ASSERT_TRUE(write_leb_s32(out, 64).has_value());
    EXPECT_EQ(std::vector<u8>(out.begin(), out.end()), (std::vector<u8> { 0xc0, 0x00 }));
    out.clear();
    ASSERT_TRUE(write_leb_s64(out, INT64_MIN).has_value());
    EXPECT_EQ(out.size(), 10u);
    out.clear();
    ASSERT_TRUE(write_leb_u64(out, UINT64_MAX).has_value());
    EXPECT_EQ(out.size(), 10u);
}

TEST(Leb128, EncoderReportsExhaustion)
{
    test::CheckingAllocator allocator;
    allocator.fail_after(0);
    Vector<u8> out(&allocator);
    auto result = write_leb_u32(out, 5);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().kind(), ErrorKind::OutOfMemory);
    EXPECT_TRUE(out.is_empty());
}

TEST(Leb128, RoundTripsRandomValues)
{
    std::mt19937_64 random(12345);
    test::CheckingAllocator allocator;
    Vector<u8> out(&allocator);
    for (int i = 0; i < 20000; ++i) {
        u64 raw = random() >> (random() % 64);
        out.clear();
        switch (i % 4) {
        case 0: {
            ASSERT_TRUE(write_leb_u32(out, static_cast<u32>(raw)).has_value());
            usize cursor = 0;
            EXPECT_EQ(*read_leb_u32(out.span(), cursor), static_cast<u32>(raw));
            EXPECT_EQ(cursor, out.size());
            break;
        }
        case 1: {
            ASSERT_TRUE(write_leb_u64(out, raw).has_value());
            usize cursor = 0;
            EXPECT_EQ(*read_leb_u64(out.span(), cursor), raw);
            EXPECT_EQ(cursor, out.size());
            break;
        }
        case 2: {
            i32 value = static_cast<i32>(raw) * ((i & 8) ? -1 : 1);
            ASSERT_TRUE(write_leb_s32(out, value).has_value());
            usize cursor = 0;
            EXPECT_EQ(*read_leb_s32(out.span(), cursor), value);
            EXPECT_EQ(cursor, out.size());
            break;
        }
        case 3: {
            i64 value = static_cast<i64>(raw) * ((i & 8) ? -1 : 1);
            ASSERT_TRUE(write_leb_s64(out, value).has_value());
            usize cursor = 0;
            EXPECT_EQ(*read_leb_s64(out.span(), cursor), value);
            EXPECT_EQ(cursor, out.size());
            break;
        }
        }
    }
}

// Every one- and two-byte input must decode or fail cleanly, never read out of bounds.
TEST(Leb128, ExhaustiveShortInputs)
{
    for (u32 a = 0; a < 256; ++a) {
        for (u32 b = 0; b < 256; ++b) {
            u8 bytes[2] = { static_cast<u8>(a), static_cast<u8>(b) };
            usize cursor = 0;
            auto result = read_leb_u32(ReadonlyBytes(bytes, 2), cursor);
            if (a & 0x80) {
                ASSERT_EQ(result.has_value(), (b & 0x80) == 0);
                if (result)
                    EXPECT_EQ(*result, (a & 0x7f) | ((b & 0x7f) << 7));
            } else {
                ASSERT_TRUE(result.has_value());
                EXPECT_EQ(cursor, 1u);
            }
        }
    }
}

// Random bytes at random positions: every reader either succeeds and advances by 1 to
// ceil(N/7) bytes, or fails as Malformed without moving the cursor.
TEST(Leb128, RandomInputNeverMisbehaves)
{
    std::mt19937 random(2024);
    struct Reader {
        Result<i64> (*read)(ReadonlyBytes, usize&);
        usize max_length;
    };
    Reader readers[] = {
        { [](ReadonlyBytes b, usize& c) -> Result<i64> { return static_cast<i64>(TRY(read_leb_u32(b, c))); }, 5 },
        { [](ReadonlyBytes b, usize& c) -> Result<i64> { return static_cast<i64>(TRY(read_leb_u64(b, c))); }, 10 },
        { [](ReadonlyBytes b, usize& c) -> Result<i64> { return TRY(read_leb_s32(b, c)); }, 5 },
        { [](ReadonlyBytes b, usize& c) -> Result<i64> { return TRY(read_leb_s33(b, c)); }, 5 },
        { [](ReadonlyBytes b, usize& c) -> Result<i64> { return TRY(read_leb_s64(b, c)); }, 10 },
    };
    for (int i = 0; i < 200000; ++i) {
        usize length = random() % 13;
        std::vector<u8> bytes(length);
        for (auto& byte : bytes)
            byte = (random() % 2) ? static_cast<u8>(random()) : static_cast<u8>(0x80 | random());
        usize start = length == 0 ? 0 : random() % (length + 1);
        const Reader& reader = readers[i % 5];
        usize cursor = start;
        auto result = reader.read(ReadonlyBytes(bytes.data(), bytes.size()), cursor);
        if (result) {
            ASSERT_GT(cursor, start);
            ASSERT_LE(cursor - start, reader.max_length);
            ASSERT_LE(cursor, length);
        } else {
            ASSERT_EQ(cursor, start);
            ASSERT_EQ(result.error().kind(), ErrorKind::Malformed);
            ASSERT_EQ(result.error().offset(), start);
        }
    }
}
