#include <string>

#include <gtest/gtest.h>

#include "base/path_walk.h"

using namespace wk;

namespace {

std::string text_of(StringView view) { return std::string(view.data(), view.size()); }

} // namespace

TEST(PathWalk, ComponentsSkipRepeatedSlashesAndMarkTheLast)
{
    auto walk = PathWalk::create("//a//bc/d/");
    ASSERT_TRUE(walk.has_value());
    EXPECT_TRUE(walk->is_absolute());
    auto a = *walk->next();
    EXPECT_EQ(text_of(a.name), "a");
    EXPECT_FALSE(a.last);
    auto bc = *walk->next();
    EXPECT_EQ(text_of(bc.name), "bc");
    auto d = *walk->next();
    EXPECT_EQ(text_of(d.name), "d");
    EXPECT_TRUE(d.last);
    EXPECT_TRUE(d.trailing_slash);
    EXPECT_TRUE(walk->next()->name.empty());
}

TEST(PathWalk, SpliceKeepsTheRestAndCountsExpansions)
{
    auto walk = PathWalk::create("link/x/y");
    ASSERT_TRUE(walk.has_value());
    EXPECT_EQ(text_of(walk->next()->name), "link");
    ASSERT_TRUE(walk->splice("../t").has_value());
    EXPECT_EQ(text_of(walk->text()), "../t/x/y");
    EXPECT_EQ(text_of(walk->next()->name), "..");

    // kMaxSymlinkExpansions splices succeed, the next is Loop.
    auto loop = PathWalk::create("a");
    ASSERT_TRUE(loop.has_value());
    for (u32 i = 0; i < kMaxSymlinkExpansions; ++i) {
        EXPECT_EQ(text_of(loop->next()->name), "a");
        ASSERT_TRUE(loop->splice("a").has_value()) << i;
    }
    loop->next();
    EXPECT_EQ(loop->splice("a").error(), Errno::Loop);
}

TEST(PathWalk, LimitsAreErrorsNotTruncation)
{
    EXPECT_EQ(PathWalk::create("").error(), Errno::NoEnt);
    std::string longest(kMaxPathLength - 1, 'a');
    for (usize i = 100; i < longest.size(); i += 100)
        longest[i] = '/';
    EXPECT_TRUE(PathWalk::create(StringView(longest.data(), longest.size())).has_value());
    std::string too_long = longest + "a";
    EXPECT_EQ(PathWalk::create(StringView(too_long.data(), too_long.size())).error(), Errno::NameTooLong);

    std::string name(kMaxNameLength + 1, 'n');
    auto walk = PathWalk::create(StringView(name.data(), name.size()));
    ASSERT_TRUE(walk.has_value());
    EXPECT_EQ(walk->next().error(), Errno::NameTooLong);

    auto spliced = PathWalk::create("l/rest");
    ASSERT_TRUE(spliced.has_value());
    spliced->next();
    EXPECT_EQ(spliced->splice("").error(), Errno::NoEnt);
    std::string target(kMaxPathLength - 5, 't');
    EXPECT_EQ(spliced->splice(StringView(target.data(), target.size())).error(), Errno::NameTooLong);
}
