#include "kernel/console/arguments.h"

namespace wk::kernel::console {

namespace {

void skip_spaces(std::string_view& text)
{
    while (!text.empty() && text.front() == ' ')
        text.remove_prefix(1);
}

} // namespace

std::string_view next_word(std::string_view& arguments)
{
    skip_spaces(arguments);
    usize end = arguments.find(' ');
    std::string_view word = arguments.substr(0, end);
    arguments = end == std::string_view::npos ? std::string_view() : arguments.substr(end);
    skip_spaces(arguments);
    return word;
}

bool parse_number(std::string_view word, u64 limit, u64& value)
{
    // 19 digits stay below 2^64: no overflow check needed.
    if (word.empty() || word.size() > 19)
        return false;
    value = 0;
    for (char c : word) {
        if (c < '0' || c > '9')
            return false;
        value = value * 10 + static_cast<u64>(c - '0');
    }
    return value <= limit;
}

} // namespace wk::kernel::console
