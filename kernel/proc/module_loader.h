#pragma once

#include "base/ref_ptr.h"
#include "base/vector.h"
#include "engine/wasi/wasi_types.h"
#include "kernel/fs/inode.h"
#include "kernel/proc/module_cache.h"

// Reading a module file for spawn: only what execution needs. Custom sections other than
// "name" (backtraces use it) have no effect on execution, so they are skipped, neither read
// nor kept: a module padded with a 40 MiB custom section costs the kernel what its other
// sections cost, while compiling and as long as it stays cached.
namespace wk::kernel::proc {

struct ByteRange {
    u64 offset { 0 };
    u64 length { 0 };
};

// Where the sections of a module file are, from its section headers.
struct ModuleLayout {
    Vector<ByteRange> kept; // in file order, adjacent ranges merged
    u64 kept_bytes { 0 };
    u64 skipped_bytes { 0 }; // custom sections left out
    u64 code_bytes { 0 };    // the code section's payload (what compiling costs)
    u64 function_count { 0 }; // bodies the code section says it has
};

// Kernel heap that decoding, validating and compiling a module may take at its peak, an
// upper bound from measurements (docs/process-abi.md, "Compile memory"; the test
// proc_compile_estimate_bounds_the_heap_peak checks it): the kept bytes, per code byte
// (nested blocks and br_table targets cost most) and per function body.
inline constexpr u64 kCompileBytesPerCodeByte = 160;
inline constexpr u64 kCompileBytesPerFunction = 256;
inline constexpr u64 kCompileBaseBytes = 256 * 1024;
u64 compile_estimate(const ModuleLayout&);

// Where plan_module reads headers from: up to buffer.size() bytes at offset, fewer at the end.
class ModuleSource {
public:
    virtual usize read(u64 offset, Bytes buffer) = 0;

protected:
    ~ModuleSource() = default;
};

// Reads section headers from `source`, a file of `size` bytes. A skipped custom section has a short printable-ASCII name (kMaxSkippedName) so
// that a malformed name still reaches the decoder. Headers that do not parse end the plan
// with the rest kept whole (the decoder reports the error at its offset); at most
// kMaxScannedSections headers are read (bounded time under the file-system lock).
// NoMem when the range list cannot grow.
inline constexpr usize kMaxScannedSections = 512;
inline constexpr usize kMaxSkippedName = 64;
engine::wasi::Expected<ModuleLayout> plan_module(u64 size, ModuleSource& source);

// The module file's bytes without its skipped sections, and the layout they came from.
// `unchanged`: the file kept its identity while it was read (only then may the result
// be cached under that identity). Drops `inode` (under the file-system lock).
struct ModuleBytes {
    Vector<u8> bytes;
    ModuleLayout layout;
    bool unchanged { true };
};
// NoMem, before anything is read or allocated, when compile_estimate exceeds `compile_limit`
// (then `needed` holds the estimate).
engine::wasi::Expected<ModuleBytes> read_module(RefPtr<fs::Inode>& inode, const ModuleIdentity&, u64 compile_limit,
                                                u64& needed);

} // namespace wk::kernel::proc
