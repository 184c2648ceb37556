#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernel/fs/file_system.h"
#include "kernel/fs/open_file.h"
#include "tests/unit/base/checking_allocator.h"

namespace wk::kernel::fs::test {

class FakeClock final : public Clock {
public:
    u64 now() override { return m_time; }
    void set(u64 time) { m_time = time; }

private:
    u64 m_time { 1000 };
};

// A file system over a CheckingAllocator, so every test also checks that nothing leaks.
// Members are destroyed in reverse order: the file system before the allocator.
class FsTest : public ::testing::Test {
protected:
    void make(Limits limits = {})
    {
        fs = nullptr;
        auto made = FileSystem::create(limits, &clock, &allocator);
        ASSERT_TRUE(made.has_value());
        fs = std::move(*made);
    }
    void SetUp() override { make(); }

    Directory& root() { return fs->root(); }

    RefPtr<Inode> must_open(StringView path, OpenFlags flags = {})
    {
        auto result = fs->open(root(), path, flags);
        EXPECT_TRUE(result.has_value()) << "open " << std::string(path) << " failed: " << (result ? "" : describe(result.error()));
        return result ? std::move(*result) : RefPtr<Inode>();
    }

    void write_file(StringView path, std::string_view contents)
    {
        auto inode = must_open(path, OpenFlags { .create = true, .truncate = true });
        ASSERT_TRUE(inode);
        ASSERT_TRUE(inode->is_file());
        auto written = fs->write(static_cast<File&>(*inode), 0,
                                 ReadonlyBytes(reinterpret_cast<const u8*>(contents.data()), contents.size()));
        ASSERT_TRUE(written.has_value());
        ASSERT_EQ(*written, contents.size());
    }

    std::string read_file(StringView path)
    {
        auto inode = fs->resolve(root(), path);
        if (!inode)
            return std::string("<error ") + describe(inode.error()) + ">";
        if (!(*inode)->is_file())
            return "<not a file>";
        auto& file = static_cast<File&>(**inode);
        std::string contents(file.size(), '\0');
        usize count = file.read_at(0, Bytes(reinterpret_cast<u8*>(contents.data()), contents.size()));
        EXPECT_EQ(count, contents.size());
        return contents;
    }

    std::vector<std::string> list(Directory& directory, u64 cookie = 0)
    {
        struct Collector final : DirectoryVisitor {
            std::vector<std::string> names;
            bool entry(u64, u64, InodeType, StringView name) override
            {
                names.emplace_back(name);
                return true;
            }
        } collector;
        directory.read(cookie, collector);
        return collector.names;
    }

    wk::test::CheckingAllocator allocator;
    FakeClock clock;
    RefPtr<FileSystem> fs;
};

inline Errno error_of(const auto& result)
{
    EXPECT_FALSE(result.has_value());
    return result.has_value() ? Errno::Inval : result.error();
}

} // namespace wk::kernel::fs::test
