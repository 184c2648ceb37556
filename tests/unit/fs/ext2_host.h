#pragma once

// Host helpers for the ext2 tests that check images with e2fsprogs: a disk backed by an image
// file, and running a host command.
#include <cstdio>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel/drivers/block_device.h"

namespace wk::kernel::fs::test {

class FileDisk final : public drivers::BlockDevice {
public:
    explicit FileDisk(const std::string& path)
        : m_fd(::open(path.c_str(), O_RDWR))
    {
        struct stat info {};
        if (m_fd >= 0 && ::fstat(m_fd, &info) == 0)
            m_sectors = static_cast<u64>(info.st_size) / drivers::kSectorSize;
    }
    ~FileDisk() override
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    std::string_view name() const override { return "file"; }
    u64 sector_count() const override { return m_sectors; }
    bool is_read_only() const override { return false; }
    Result<void> read_blocks(u64 first, std::span<u8> buffer) override
    {
        TRY(drivers::check_block_range(first, buffer.size(), m_sectors));
        if (::pread(m_fd, buffer.data(), buffer.size(), static_cast<off_t>(first * drivers::kSectorSize)) != static_cast<ssize_t>(buffer.size()))
            return Error::from("pread", ErrorKind::Io);
        return {};
    }
    Result<void> write_blocks(u64 first, std::span<const u8> buffer) override
    {
        TRY(drivers::check_block_range(first, buffer.size(), m_sectors));
        if (::pwrite(m_fd, buffer.data(), buffer.size(), static_cast<off_t>(first * drivers::kSectorSize)) != static_cast<ssize_t>(buffer.size()))
            return Error::from("pwrite", ErrorKind::Io);
        ++writes;
        return {};
    }
    Result<void> flush() override
    {
        ++flushes;
        return {};
    }
    u64 writes { 0 };
    u64 flushes { 0 };

private:
    int m_fd { -1 };
    u64 m_sectors { 0 };
};

struct Command {
    int status;
    std::string output;
};

inline Command run(const std::string& command)
{
    Command result { -1, {} };
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (!pipe)
        return result;
    char buffer[4096];
    usize got;
    while ((got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0)
        result.output.append(buffer, got);
    int status = ::pclose(pipe);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

inline bool have_e2fsprogs() { return run("command -v mke2fs && command -v e2fsck && command -v debugfs").status == 0; }


} // namespace wk::kernel::fs::test
