#pragma once

#include <span>

#include "base/types.h"

namespace wk {

template<typename T, usize Extent = std::dynamic_extent>
using Span = std::span<T, Extent>;

using ReadonlyBytes = Span<const u8>;
using Bytes = Span<u8>;

} // namespace wk
