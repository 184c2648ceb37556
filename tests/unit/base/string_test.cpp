#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "base/string.h"
#include "checking_allocator.h"

using namespace wk;
using wk::test::CheckingAllocator;

TEST(String, EmptyOwnsNothing)
{
    String empty;
    EXPECT_TRUE(empty.is_empty());
    EXPECT_STREQ(empty.c_str(), "");
    EXPECT_EQ(empty.view(), StringView());
    CheckingAllocator allocator;
    auto created = String::try_create("", &allocator);
    ASSERT_TRUE(created.has_value());
    EXPECT_EQ(allocator.allocations(), 0u);
}

TEST(String, CreateAppendAndTerminate)
{
    CheckingAllocator allocator;
    auto string = MUST(String::try_create("hello", &allocator));
    EXPECT_EQ(string.length(), 5u);
    EXPECT_STREQ(string.c_str(), "hello");
    ASSERT_TRUE(string.try_append(", world").has_value());
    ASSERT_TRUE(string.try_append('!').has_value());
    EXPECT_EQ(string.view(), "hello, world!");
    EXPECT_EQ(std::strlen(string.c_str()), string.length());
    EXPECT_EQ(string[4], 'o');
    EXPECT_TRUE(string == "hello, world!");
    EXPECT_TRUE(string == StringView("hello, world!"));
    EXPECT_FALSE(string == "hello");
    for (int i = 0; i < 1000; ++i)
        ASSERT_TRUE(string.try_append("x").has_value());
    EXPECT_EQ(string.length(), 1013u);
    EXPECT_LT(allocator.allocations(), 20u);
}

TEST(String, AppendItself)
{
    CheckingAllocator allocator;
    auto string = MUST(String::try_create("abc", &allocator));
    for (int i = 0; i < 6; ++i)
        ASSERT_TRUE(string.try_append(string.view()).has_value());
    EXPECT_EQ(string.length(), 3u * 64u);
    std::string expected;
    for (int i = 0; i < 64; ++i)
        expected += "abc";
    EXPECT_EQ(std::string(string.view()), expected);
}

TEST(String, ExhaustionKeepsTheOldText)
{
    CheckingAllocator allocator;
    auto string = MUST(String::try_create("abc", &allocator));
    allocator.fail_after(0);
    auto result = string.try_append(std::string(100, 'z'));
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().kind(), ErrorKind::OutOfMemory);
    EXPECT_STREQ(string.c_str(), "abc");
    EXPECT_FALSE(String::try_create("x", &allocator).has_value());
    EXPECT_FALSE(string.try_clone().has_value());
    allocator.allow_all();
}

TEST(String, MoveAndClone)
{
    CheckingAllocator allocator;
    auto original = MUST(String::try_create("payload", &allocator));
    auto clone = MUST(original.try_clone());
    EXPECT_TRUE(clone == original);
    EXPECT_NE(clone.c_str(), original.c_str());
    String moved(std::move(original));
    EXPECT_TRUE(original.is_empty());
    EXPECT_EQ(moved.view(), "payload");
    String assigned;
    assigned = std::move(moved);
    EXPECT_EQ(assigned.view(), "payload");
    EXPECT_EQ(&assigned.allocator(), &allocator);
}

TEST(StringBuilder, AccumulatesAndBuilds)
{
    CheckingAllocator allocator;
    StringBuilder builder(&allocator);
    ASSERT_TRUE(builder.try_append("abc").has_value());
    ASSERT_TRUE(builder.try_append_char('d').has_value());
    builder.append("ef");
    builder.append_char('g');
    FormatSink& sink = builder;
    sink.write("hi");
    EXPECT_EQ(builder.view(), "abcdefghi");
    EXPECT_FALSE(builder.has_failed());
    auto string = builder.to_string();
    ASSERT_TRUE(string.has_value());
    EXPECT_STREQ(string->c_str(), "abcdefghi");
    builder.clear();
    EXPECT_TRUE(builder.is_empty());
}

TEST(StringBuilder, ExhaustionIsStickyAndReportedByToString)
{
    CheckingAllocator allocator;
    StringBuilder builder(&allocator);
    allocator.fail_after(0);
    builder.append("lost");
    EXPECT_TRUE(builder.has_failed());
    allocator.allow_all();
    builder.append("kept");
    EXPECT_EQ(builder.view(), "kept");
    auto string = builder.to_string();
    ASSERT_FALSE(string.has_value());
    EXPECT_EQ(string.error().kind(), ErrorKind::OutOfMemory);
    builder.clear();
    EXPECT_FALSE(builder.has_failed());
}
