#pragma once

#include <string_view>

#include "base/result.h"
#include "base/types.h"

namespace wk::engine::text {

// Numeric literals of the text format. A literal that does not follow the grammar
// fails with "unknown operator" (the suite's wording: such a token reads as an
// unknown keyword); one that follows it but does not fit fails with "constant out
// of range". Errors carry no offset; callers add the token's.

// Unsigned `nat` (decimal or 0x hex, `_` between digits), at most `max`.
Result<u64> parse_nat(std::string_view text, u64 max);

// An integer for an iN immediate: sign optional, range [-2^(N-1), 2^N - 1];
// returns the N-bit two's complement pattern zero-extended to 64 bits.
Result<u64> parse_int(std::string_view text, u32 bits);

// Signed integer only: range [-2^(N-1), 2^(N-1) - 1] (used for `ref.i31`-style script values).
bool looks_like_number(std::string_view text);

// Float literals: decimal and hex with round-to-nearest-even, `inf`, `nan`,
// `nan:0x...`, optional sign, `_` between digits. Returns the IEEE bit pattern.
Result<u32> parse_f32(std::string_view text);
Result<u64> parse_f64(std::string_view text);

} // namespace wk::engine::text
