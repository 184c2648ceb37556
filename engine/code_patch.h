// The platform-independent half of patch_code (engine/platform.h), shared by its hosted
// and kernel implementations: the argument check, the pages a patch touches, and the
// write itself. Each platform makes those pages writable around write_patch.
#pragma once

#include "base/result.h"
#include "base/span.h"
#include "base/types.h"

namespace wk::platform {

// The pages [first, end) that a patch touches.
struct PatchPages {
    uptr first { 0 };
    uptr end { 0 };
};

// NOTE: Invalid for an 8-byte patch that is not 8-aligned: it must be one atomic store.
// `bytes` must not be empty; `page_size` is a power of two.
inline Result<PatchPages> patch_pages(void* address, ReadonlyBytes bytes, uptr page_size)
{
    uptr start = reinterpret_cast<uptr>(address);
    if (bytes.size() == 8 && (start & 7) != 0)
        return Error::from("an 8-byte code patch must be 8-aligned", ErrorKind::Invalid);
    uptr mask = page_size - 1;
    return PatchPages { start & ~mask, (start + bytes.size() + mask) & ~mask };
}

// Writes the patch; an 8-byte one as one atomic store, so a thread running the old bytes
// sees either them or the new ones.
inline void write_patch(void* address, ReadonlyBytes bytes)
{
    if (bytes.size() == 8) {
        u64 value;
        __builtin_memcpy(&value, bytes.data(), 8);
        __atomic_store_n(static_cast<u64*>(address), value, __ATOMIC_RELEASE);
    } else {
        __builtin_memcpy(address, bytes.data(), bytes.size());
    }
}

} // namespace wk::platform
