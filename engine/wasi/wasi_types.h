#pragma once

// The wasi_snapshot_preview1 ABI as the guest sees it: errno values, flag bits, rights
// and the byte layouts of the structures the calls read and write (wasm32: pointers and
// sizes are u32, everything little-endian). Values follow the preview1 witx.

#include <expected>

#include "base/errno.h"
#include "base/types.h"

namespace wk::engine::wasi {

// The errno values are the system's one error-number space (base/errno.h).
using ::wk::Errno;

// A value or the errno that the call returns instead.
template<typename T>
using Expected = ErrnoResult<T>;

enum class Filetype : u8 {
    Unknown = 0,
    BlockDevice = 1,
    CharacterDevice = 2,
    Directory = 3,
    RegularFile = 4,
    SocketDgram = 5,
    SocketStream = 6,
    SymbolicLink = 7,
};

enum class Whence : u8 { Set = 0, Cur = 1, End = 2 };

enum class ClockId : u32 { Realtime = 0, Monotonic = 1, ProcessCputime = 2, ThreadCputime = 3 };

enum class Advice : u8 { Normal = 0, Sequential = 1, Random = 2, WillNeed = 3, DontNeed = 4, NoReuse = 5 };

enum class EventType : u8 { Clock = 0, FdRead = 1, FdWrite = 2 };

namespace fdflags {
inline constexpr u16 kAppend = 1 << 0;
inline constexpr u16 kDsync = 1 << 1;
inline constexpr u16 kNonblock = 1 << 2;
inline constexpr u16 kRsync = 1 << 3;
inline constexpr u16 kSync = 1 << 4;
inline constexpr u16 kAll = 0x1F;
}

namespace oflags {
inline constexpr u16 kCreat = 1 << 0;
inline constexpr u16 kDirectory = 1 << 1;
inline constexpr u16 kExcl = 1 << 2;
inline constexpr u16 kTrunc = 1 << 3;
inline constexpr u16 kAll = 0xF;
}

namespace lookupflags {
inline constexpr u32 kSymlinkFollow = 1 << 0;
}

namespace fstflags {
inline constexpr u16 kAtim = 1 << 0;
inline constexpr u16 kAtimNow = 1 << 1;
inline constexpr u16 kMtim = 1 << 2;
inline constexpr u16 kMtimNow = 1 << 3;
inline constexpr u16 kAll = 0xF;
}

namespace subclockflags {
inline constexpr u16 kAbstime = 1 << 0;
}

namespace eventrwflags {
inline constexpr u16 kHangup = 1 << 0;
}

namespace riflags {
inline constexpr u16 kPeek = 1 << 0;
inline constexpr u16 kWaitall = 1 << 1;
inline constexpr u16 kAll = 0x3;
}

namespace sdflags {
inline constexpr u8 kRead = 1 << 0;
inline constexpr u8 kWrite = 1 << 1;
}

inline constexpr u8 kPreopenTypeDir = 0;

// Rights: one bit per operation a descriptor may perform.
namespace rights {
inline constexpr u64 kFdDatasync = u64 { 1 } << 0;
inline constexpr u64 kFdRead = u64 { 1 } << 1;
inline constexpr u64 kFdSeek = u64 { 1 } << 2;
inline constexpr u64 kFdFdstatSetFlags = u64 { 1 } << 3;
inline constexpr u64 kFdSync = u64 { 1 } << 4;
inline constexpr u64 kFdTell = u64 { 1 } << 5;
inline constexpr u64 kFdWrite = u64 { 1 } << 6;
inline constexpr u64 kFdAdvise = u64 { 1 } << 7;
inline constexpr u64 kFdAllocate = u64 { 1 } << 8;
inline constexpr u64 kPathCreateDirectory = u64 { 1 } << 9;
inline constexpr u64 kPathCreateFile = u64 { 1 } << 10;
inline constexpr u64 kPathLinkSource = u64 { 1 } << 11;
inline constexpr u64 kPathLinkTarget = u64 { 1 } << 12;
inline constexpr u64 kPathOpen = u64 { 1 } << 13;
inline constexpr u64 kFdReaddir = u64 { 1 } << 14;
inline constexpr u64 kPathReadlink = u64 { 1 } << 15;
inline constexpr u64 kPathRenameSource = u64 { 1 } << 16;
inline constexpr u64 kPathRenameTarget = u64 { 1 } << 17;
inline constexpr u64 kPathFilestatGet = u64 { 1 } << 18;
inline constexpr u64 kPathFilestatSetSize = u64 { 1 } << 19;
inline constexpr u64 kPathFilestatSetTimes = u64 { 1 } << 20;
inline constexpr u64 kFdFilestatGet = u64 { 1 } << 21;
inline constexpr u64 kFdFilestatSetSize = u64 { 1 } << 22;
inline constexpr u64 kFdFilestatSetTimes = u64 { 1 } << 23;
inline constexpr u64 kPathSymlink = u64 { 1 } << 24;
inline constexpr u64 kPathRemoveDirectory = u64 { 1 } << 25;
inline constexpr u64 kPathUnlinkFile = u64 { 1 } << 26;
inline constexpr u64 kPollFdReadwrite = u64 { 1 } << 27;
inline constexpr u64 kSockShutdown = u64 { 1 } << 28;
inline constexpr u64 kSockAccept = u64 { 1 } << 29;
inline constexpr u64 kAll = (u64 { 1 } << 30) - 1;

// What makes sense on a regular file (or a character device, a pipe) and on a directory.
inline constexpr u64 kFile = kFdDatasync | kFdRead | kFdSeek | kFdFdstatSetFlags | kFdSync | kFdTell | kFdWrite
    | kFdAdvise | kFdAllocate | kFdFilestatGet | kFdFilestatSetSize | kFdFilestatSetTimes | kPollFdReadwrite;
// A stream shared with whoever started the program (hosted stdio): moving bytes and
// waiting only. Seeking, truncating, allocating, times and flags would act on an open
// file description the parent shares (its offset, O_APPEND, the file), so none are given.
inline constexpr u64 kInputStream = kFdRead | kFdFilestatGet | kPollFdReadwrite;
inline constexpr u64 kOutputStream = kFdWrite | kFdFilestatGet | kPollFdReadwrite;
inline constexpr u64 kDirectory = kFdFdstatSetFlags | kFdSync | kFdAdvise | kPathCreateDirectory | kPathCreateFile
    | kPathLinkSource | kPathLinkTarget | kPathOpen | kFdReaddir | kPathReadlink | kPathRenameSource
    | kPathRenameTarget | kPathFilestatGet | kPathFilestatSetSize | kPathFilestatSetTimes | kFdFilestatGet
    | kFdFilestatSetTimes | kPathSymlink | kPathRemoveDirectory | kPathUnlinkFile;

// A listening stream socket handed to the program (`--tcplisten`): accept, wait, flags.
inline constexpr u64 kListeningSocket = kSockAccept | kPollFdReadwrite | kFdFdstatSetFlags | kFdFilestatGet;
// A connection sock_accept returned: bytes both ways, wait, flags, shut down.
inline constexpr u64 kConnectedSocket
    = kFdRead | kFdWrite | kPollFdReadwrite | kFdFdstatSetFlags | kFdFilestatGet | kSockShutdown;
}

// Guest structure layouts (byte offsets and sizes).
namespace layout {
inline constexpr u32 kIovecSize = 8; // buf: u32 @0, buf_len: u32 @4

inline constexpr u32 kFdstatSize = 24; // filetype u8 @0, flags u16 @2, rights_base u64 @8, rights_inheriting u64 @16

inline constexpr u32 kFilestatSize = 64; // dev @0, ino @8, filetype u8 @16, nlink @24, size @32, atim @40, mtim @48, ctim @56

inline constexpr u32 kDirentSize = 24; // d_next u64 @0, d_ino u64 @8, d_namlen u32 @16, d_type u8 @20

inline constexpr u32 kPrestatSize = 8; // tag u8 @0, pr_name_len u32 @4

// subscription: userdata u64 @0, tag u8 @8, then @16 either
//   clock: id u32 @16, timeout u64 @24, precision u64 @32, flags u16 @40
//   fd_read / fd_write: file_descriptor u32 @16
inline constexpr u32 kSubscriptionSize = 48;
// event: userdata u64 @0, error u16 @8, type u8 @10, nbytes u64 @16, flags u16 @24
inline constexpr u32 kEventSize = 32;
}

// Highest signal number proc_raise accepts (signal enum: none = 0 .. sys = 30).
inline constexpr u32 kMaxSignal = 30;

} // namespace wk::engine::wasi
