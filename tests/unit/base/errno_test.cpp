#include <cstring>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "base/errno.h"
#include "base/result.h"

using namespace wk;

// The numbers are the ABI programs see (wasi_snapshot_preview1's witx): a renumbering
// would silently change what every program reads.
TEST(Errno, NumbersAreWasiPreview1)
{
    EXPECT_EQ(u16(Errno::Success), 0);
    EXPECT_EQ(u16(Errno::Access), 2);
    EXPECT_EQ(u16(Errno::Again), 6);
    EXPECT_EQ(u16(Errno::BadF), 8);
    EXPECT_EQ(u16(Errno::Intr), 27);
    EXPECT_EQ(u16(Errno::Inval), 28);
    EXPECT_EQ(u16(Errno::NoEnt), 44);
    EXPECT_EQ(u16(Errno::NoMem), 48);
    EXPECT_EQ(u16(Errno::NoSys), 52);
    EXPECT_EQ(u16(Errno::NotDir), 54);
    EXPECT_EQ(u16(Errno::SPipe), 70);
    EXPECT_EQ(u16(Errno::NotCapable), 76);
}

TEST(Errno, EveryNumberHasItsOwnDescription)
{
    std::set<std::string> seen;
    for (u16 number = 0; number <= u16(Errno::NotCapable); ++number) {
        const char* text = describe(static_cast<Errno>(number));
        ASSERT_NE(text, nullptr);
        EXPECT_STRNE(text, "unknown error") << number;
        EXPECT_TRUE(seen.insert(text).second) << "duplicate description: " << text;
    }
    EXPECT_STREQ(describe(static_cast<Errno>(77)), "unknown error");
}

ErrnoResult<int> half(int value)
{
    if (value % 2 != 0)
        return Errno::Inval;
    return value / 2;
}

ErrnoResult<int> quarter(int value)
{
    int halved = TRY(half(value));
    return TRY(half(halved));
}

TEST(Errno, TryPropagatesTheNumber)
{
    EXPECT_EQ(*quarter(8), 2);
    ASSERT_FALSE(quarter(6).has_value());
    EXPECT_EQ(quarter(6).error(), Errno::Inval);
    EXPECT_EQ(to_error(Errno::NoSpc).kind(), ErrorKind::OutOfMemory);
}

// errno_of reads the kind only: the kinds with a number of their own keep it whoever asks, the
// refusals take the caller's number, and what ran out is NoMem unless the caller names a table.
TEST(Errno, ErrnoOfAnErrorFollowsItsKind)
{
    EXPECT_EQ(errno_of(Error::out_of_memory(), Errno::NoExec), Errno::NoMem);
    EXPECT_EQ(errno_of(Error::out_of_memory(), Errno::AddrInUse, Errno::NFile), Errno::NFile);
    EXPECT_EQ(errno_of(Error::from("limit", ErrorKind::Unsupported), Errno::NoExec), Errno::NotSup);
    EXPECT_EQ(errno_of(Error::from("device", ErrorKind::Io), Errno::NoExec), Errno::Io);
    for (ErrorKind kind : { ErrorKind::Generic, ErrorKind::Malformed, ErrorKind::Invalid, ErrorKind::Unlinkable,
                            ErrorKind::OutOfRange, ErrorKind::DoubleFree }) {
        EXPECT_EQ(errno_of(Error::from("refused", kind), Errno::NoExec), Errno::NoExec);
        EXPECT_EQ(errno_of(Error::from("refused", kind), Errno::AddrInUse, Errno::NFile), Errno::AddrInUse);
    }
    // Round trip through to_error keeps the numbers whose kind has one.
    EXPECT_EQ(errno_of(to_error(Errno::NoMem), Errno::Inval), Errno::NoMem);
    EXPECT_EQ(errno_of(to_error(Errno::Io), Errno::Inval), Errno::Io);
}
