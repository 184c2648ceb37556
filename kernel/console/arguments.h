#pragma once

#include <string_view>

#include "base/types.h"

namespace wk::kernel::console {

// The words of a console command's arguments, for the commands of kernel/console.

// The next word (up to a space) of `arguments`, which keeps what follows it without its
// leading spaces (so the rest of a line can be taken whole, as text). Empty at the end.
std::string_view next_word(std::string_view& arguments);

// A decimal number without sign, at most 19 digits and at most `limit`; false for anything
// else (nothing is written to `value` then that a caller may rely on).
bool parse_number(std::string_view word, u64 limit, u64& value);

} // namespace wk::kernel::console
