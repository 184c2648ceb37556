#pragma once

#include <expected>
#include <utility>

#include "base/error.h"
#include "base/result.h"
#include "base/types.h"

namespace wk {

// The one error-number space of the system: what a file system operation, a kernel call
// or a WASI call failed with. The numbers are wasi_snapshot_preview1's (its witx), the ABI
// that programs see, so the engine's WASI layer and the kernel pass them through without
// translation. Success (0) is a return value of the ABI, never an error of ErrnoResult.
enum class Errno : u16 {
    Success = 0,
    TooBig = 1,
    Access = 2,
    AddrInUse = 3,
    AddrNotAvail = 4,
    AfNoSupport = 5,
    Again = 6,
    Already = 7,
    BadF = 8,
    BadMsg = 9,
    Busy = 10,
    Canceled = 11,
    Child = 12,
    ConnAborted = 13,
    ConnRefused = 14,
    ConnReset = 15,
    DeadLk = 16,
    DestAddrReq = 17,
    Dom = 18,
    DQuot = 19,
    Exist = 20,
    Fault = 21,
    FBig = 22,
    HostUnreach = 23,
    IdRm = 24,
    IlSeq = 25,
    InProgress = 26,
    Intr = 27,
    Inval = 28,
    Io = 29,
    IsConn = 30,
    IsDir = 31,
    Loop = 32,
    MFile = 33,
    MLink = 34,
    MsgSize = 35,
    Multihop = 36,
    NameTooLong = 37,
    NetDown = 38,
    NetReset = 39,
    NetUnreach = 40,
    NFile = 41,
    NoBufs = 42,
    NoDev = 43,
    NoEnt = 44,
    NoExec = 45,
    NoLck = 46,
    NoLink = 47,
    NoMem = 48,
    NoMsg = 49,
    NoProtoOpt = 50,
    NoSpc = 51,
    NoSys = 52,
    NotConn = 53,
    NotDir = 54,
    NotEmpty = 55,
    NotRecoverable = 56,
    NotSock = 57,
    NotSup = 58,
    NotTy = 59,
    NxIo = 60,
    Overflow = 61,
    OwnerDead = 62,
    Perm = 63,
    Pipe = 64,
    Proto = 65,
    ProtoNoSupport = 66,
    ProtoType = 67,
    Range = 68,
    RoFs = 69,
    SPipe = 70,
    Srch = 71,
    Stale = 72,
    TimedOut = 73,
    TxtBsy = 74,
    XDev = 75,
    NotCapable = 76,
};

// A short fixed description, as strerror words it ("no such file or directory").
const char* describe(Errno);

// The generic Error for code that does not care about the number: the description as its
// message, NoSpc/DQuot/NoMem as OutOfMemory, Inval as Invalid, NameTooLong/FBig/Overflow/
// Range as OutOfRange, everything else as Io.
Error to_error(Errno);

// The errno for an Error, where an ABI needs a number (the one place that maps them): OutOfMemory
// is `exhausted` (NoMem; NFile where what ran out is a fixed table of the caller's), Unsupported
// NotSup, Io Io. Every other kind says that the input or the request was refused (Malformed,
// Invalid, Unlinkable, OutOfRange, Generic, DoubleFree): it is `refused`, the errno for that in
// the caller's terms (NoExec for a module, AddrInUse for a port, Io for the blocks of a disk).
Errno errno_of(const Error&, Errno refused, Errno exhausted = Errno::NoMem);

// A value or the errno an operation failed with; TRY() passes the errno on.
template<typename T>
using ErrnoResult = Result<T, Errno>;

// Maps an allocation failure of a base/ container to Errno::NoMem.
template<typename T>
ErrnoResult<T> no_mem_on_error(Result<T>&& result)
{
    if (!result.has_value())
        return Errno::NoMem;
    if constexpr (std::is_void_v<T>)
        return {};
    else
        return std::move(*result);
}

} // namespace wk
