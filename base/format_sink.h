#pragma once

#include "base/string_view.h"

namespace wk {

// Where formatted text goes. write() cannot fail: a sink that can run out of space
// records that itself (see StringBuilder::has_failed, format_into's truncation flag).
class FormatSink {
public:
    virtual void write(StringView text) = 0;

protected:
    ~FormatSink() = default;
};

} // namespace wk
