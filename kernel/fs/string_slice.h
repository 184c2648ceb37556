#pragma once

#include "base/string_view.h"
#include "base/types.h"

namespace wk::kernel::fs {

// string_view::substr without its throwing path (the kernel has no exceptions): `start` and
// `length` are clamped to the text.
constexpr StringView slice(StringView text, usize start, usize length = StringView::npos)
{
    if (start > text.size())
        start = text.size();
    usize available = text.size() - start;
    return StringView(text.data() + start, length < available ? length : available);
}

} // namespace wk::kernel::fs
