// engine/platform.h on Linux: virtual memory, time and entropy.
#include <cerrno>
#include <ctime>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "engine/platform.h"

namespace wk::platform {

namespace {

usize query_page_size()
{
    long size = sysconf(_SC_PAGESIZE);
    return size > 0 ? static_cast<usize>(size) : 4096;
}

bool is_page_aligned(const void* address, usize size)
{
    usize mask = page_size() - 1;
    return (reinterpret_cast<uptr>(address) & mask) == 0 && (size & mask) == 0;
}

Error errno_error(const char* message)
{
    return Error::from(message, errno == ENOMEM ? ErrorKind::OutOfMemory : ErrorKind::Io);
}

} // namespace

usize page_size()
{
    static const usize size = query_page_size();
    return size;
}

Result<void*> reserve(usize size)
{
    if (size == 0 || !is_page_aligned(nullptr, size))
        return Error::from("reservation size is not a positive multiple of the page size", ErrorKind::OutOfRange);
    // NOTE: MAP_NORESERVE: inaccessible reservations do not count against overcommit;
    // commit() charges the pages it makes accessible.
    void* address = mmap(nullptr, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (address == MAP_FAILED)
        return Error::from("cannot reserve address space", ErrorKind::OutOfMemory);
    return address;
}

Result<void> commit(void* address, usize size)
{
    if (!is_page_aligned(address, size))
        return Error::from("commit range is not page-aligned", ErrorKind::OutOfRange);
    if (size == 0)
        return {};
    if (mprotect(address, size, PROT_READ | PROT_WRITE) != 0)
        return errno_error("cannot commit memory");
    return {};
}

Result<void> decommit(void* address, usize size)
{
    if (!is_page_aligned(address, size))
        return Error::from("decommit range is not page-aligned", ErrorKind::OutOfRange);
    if (size == 0)
        return {};
    // DONTNEED drops the pages (private anonymous memory reads as zero afterwards);
    // PROT_NONE makes the range fault again.
    if (madvise(address, size, MADV_DONTNEED) != 0)
        return errno_error("cannot decommit memory");
    if (mprotect(address, size, PROT_NONE) != 0)
        return errno_error("cannot decommit memory");
    return {};
}

Result<void> discard(void* address, usize size)
{
    if (!is_page_aligned(address, size))
        return Error::from("discard range is not page-aligned", ErrorKind::OutOfRange);
    if (size != 0 && madvise(address, size, MADV_DONTNEED) != 0)
        return errno_error("cannot discard memory");
    return {};
}

Result<void> protect(void* address, usize size, Access access)
{
    if (!is_page_aligned(address, size))
        return Error::from("protect range is not page-aligned", ErrorKind::OutOfRange);
    int flags = PROT_NONE;
    switch (access) {
    case Access::None: flags = PROT_NONE; break;
    case Access::Read: flags = PROT_READ; break;
    case Access::ReadWrite: flags = PROT_READ | PROT_WRITE; break;
    case Access::ReadExecute: flags = PROT_READ | PROT_EXEC; break;
    }
    if (size != 0 && mprotect(address, size, flags) != 0)
        return errno_error("cannot change memory protection");
    return {};
}

void release(void* address, usize size)
{
    if (address && size)
        munmap(address, size);
}

u64 monotonic_nanoseconds()
{
    timespec now {};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<u64>(now.tv_sec) * 1'000'000'000ull + static_cast<u64>(now.tv_nsec);
}

Result<void> fill_entropy(Bytes buffer)
{
    usize done = 0;
    while (done < buffer.size()) {
        ssize_t got = getrandom(buffer.data() + done, buffer.size() - done, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return Error::from("no entropy available", ErrorKind::Io);
        }
        done += static_cast<usize>(got);
    }
    return {};
}

} // namespace wk::platform
