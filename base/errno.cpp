#include "base/errno.h"

namespace wk {

const char* describe(Errno error)
{
    switch (error) {
    case Errno::Success: return "success";
    case Errno::TooBig: return "argument list too long";
    case Errno::Access: return "permission denied";
    case Errno::AddrInUse: return "address in use";
    case Errno::AddrNotAvail: return "address not available";
    case Errno::AfNoSupport: return "address family not supported";
    case Errno::Again: return "resource temporarily unavailable";
    case Errno::Already: return "operation already in progress";
    case Errno::BadF: return "bad file descriptor";
    case Errno::BadMsg: return "bad message";
    case Errno::Busy: return "resource busy";
    case Errno::Canceled: return "operation canceled";
    case Errno::Child: return "no such child process";
    case Errno::ConnAborted: return "connection aborted";
    case Errno::ConnRefused: return "connection refused";
    case Errno::ConnReset: return "connection reset";
    case Errno::DeadLk: return "deadlock avoided";
    case Errno::DestAddrReq: return "destination address required";
    case Errno::Dom: return "argument out of domain";
    case Errno::DQuot: return "disk quota exceeded";
    case Errno::Exist: return "file exists";
    case Errno::Fault: return "bad address";
    case Errno::FBig: return "file too large";
    case Errno::HostUnreach: return "host unreachable";
    case Errno::IdRm: return "identifier removed";
    case Errno::IlSeq: return "illegal byte sequence";
    case Errno::InProgress: return "operation in progress";
    case Errno::Intr: return "interrupted";
    case Errno::Inval: return "invalid argument";
    case Errno::Io: return "input/output error";
    case Errno::IsConn: return "already connected";
    case Errno::IsDir: return "is a directory";
    case Errno::Loop: return "too many levels of symbolic links";
    case Errno::MFile: return "too many open files";
    case Errno::MLink: return "too many links";
    case Errno::MsgSize: return "message too long";
    case Errno::Multihop: return "multihop attempted";
    case Errno::NameTooLong: return "file name too long";
    case Errno::NetDown: return "network down";
    case Errno::NetReset: return "connection reset by network";
    case Errno::NetUnreach: return "network unreachable";
    case Errno::NFile: return "too many open files in system";
    case Errno::NoBufs: return "no buffer space";
    case Errno::NoDev: return "no such device";
    case Errno::NoEnt: return "no such file or directory";
    case Errno::NoExec: return "not an executable module";
    case Errno::NoLck: return "no locks available";
    case Errno::NoLink: return "link severed";
    case Errno::NoMem: return "out of memory";
    case Errno::NoMsg: return "no message of the desired type";
    case Errno::NoProtoOpt: return "protocol not available";
    case Errno::NoSpc: return "no space left on device";
    case Errno::NoSys: return "function not supported";
    case Errno::NotConn: return "not connected";
    case Errno::NotDir: return "not a directory";
    case Errno::NotEmpty: return "directory not empty";
    case Errno::NotRecoverable: return "state not recoverable";
    case Errno::NotSock: return "not a socket";
    case Errno::NotSup: return "not supported";
    case Errno::NotTy: return "inappropriate I/O control operation";
    case Errno::NxIo: return "no such device or address";
    case Errno::Overflow: return "value too large";
    case Errno::OwnerDead: return "previous owner died";
    case Errno::Perm: return "operation not permitted";
    case Errno::Pipe: return "broken pipe";
    case Errno::Proto: return "protocol error";
    case Errno::ProtoNoSupport: return "protocol not supported";
    case Errno::ProtoType: return "protocol wrong type for socket";
    case Errno::Range: return "result too large";
    case Errno::RoFs: return "read-only file system";
    case Errno::SPipe: return "invalid seek";
    case Errno::Srch: return "no such process";
    case Errno::Stale: return "stale file handle";
    case Errno::TimedOut: return "timed out";
    case Errno::TxtBsy: return "text file busy";
    case Errno::XDev: return "cross-device link";
    case Errno::NotCapable: return "not capable (outside what was granted)";
    }
    return "unknown error";
}

Error to_error(Errno error)
{
    ErrorKind kind = ErrorKind::Io;
    switch (error) {
    case Errno::NoSpc:
    case Errno::DQuot:
    case Errno::NoMem:
        kind = ErrorKind::OutOfMemory;
        break;
    case Errno::Inval:
        kind = ErrorKind::Invalid;
        break;
    case Errno::NameTooLong:
    case Errno::FBig:
    case Errno::Overflow:
    case Errno::Range:
        kind = ErrorKind::OutOfRange;
        break;
    default:
        break;
    }
    return Error::from(describe(error), kind);
}

Errno errno_of(const Error& error, Errno refused, Errno exhausted)
{
    switch (error.kind()) {
    case ErrorKind::OutOfMemory: return exhausted;
    case ErrorKind::Unsupported: return Errno::NotSup;
    case ErrorKind::Io: return Errno::Io;
    case ErrorKind::Generic:
    case ErrorKind::Malformed:
    case ErrorKind::Invalid:
    case ErrorKind::Unlinkable:
    case ErrorKind::OutOfRange:
    case ErrorKind::DoubleFree: break;
    }
    return refused;
}

} // namespace wk
