#pragma once

#include "base/types.h"

namespace wk {

// What kind of failure an Error reports. Callers branch on this, never on the text.
enum class ErrorKind : u8 {
    Generic,
    Malformed,     // input does not follow the binary or text grammar
    Invalid,       // input is well-formed but fails validation
    Unlinkable,    // imports do not match
    OutOfMemory,   // an allocator is exhausted
    OutOfRange,    // an index, address or size outside what exists
    DoubleFree,    // an allocator was handed memory it does not own as allocated
    Unsupported,   // valid input the implementation cannot handle yet
    Io,            // the environment refused an operation
};

// A small value describing a failure: a static message, its kind, and the byte
// offset or line it refers to (kNoOffset when none). Errors are cheap to copy;
// the message must be a string literal or otherwise outlive every copy.
class Error {
public:
    static constexpr u64 kNoOffset = ~u64 { 0 };

    static constexpr Error from(const char* message, ErrorKind kind = ErrorKind::Generic,
                                u64 offset = kNoOffset)
    {
        return Error(message, kind, offset);
    }
    static constexpr Error malformed(const char* message, u64 offset = kNoOffset)
    {
        return Error(message, ErrorKind::Malformed, offset);
    }
    static constexpr Error invalid(const char* message, u64 offset = kNoOffset)
    {
        return Error(message, ErrorKind::Invalid, offset);
    }
    static constexpr Error out_of_memory() { return Error("out of memory", ErrorKind::OutOfMemory, kNoOffset); }

    constexpr const char* message() const { return m_message; }
    constexpr ErrorKind kind() const { return m_kind; }
    constexpr u64 offset() const { return m_offset; }
    constexpr bool has_offset() const { return m_offset != kNoOffset; }
    constexpr Error with_offset(u64 offset) const { return Error(m_message, m_kind, offset); }

private:
    constexpr Error(const char* message, ErrorKind kind, u64 offset)
        : m_message(message)
        , m_offset(offset)
        , m_kind(kind)
    {
    }

    const char* m_message;
    u64 m_offset;
    ErrorKind m_kind;
};

} // namespace wk
