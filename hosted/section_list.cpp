#include "hosted/section_list.h"

#include "base/format.h"
#include "base/leb128.h"

namespace wk::hosted {

namespace {

StringView section_name(u8 id)
{
    static constexpr StringView kNames[] = { "custom", "type", "import", "function", "table", "memory", "global",
        "export", "start", "element", "code", "data", "datacount", "tag" };
    return id < sizeof kNames / sizeof kNames[0] ? kNames[id] : "unknown";
}

} // namespace

void print_sections(ReadonlyBytes bytes, FormatSink& sink)
{
    sink.write("sections:\n");
    usize cursor = 8; // after the magic and the version
    while (cursor < bytes.size()) {
        usize start = cursor;
        u8 id = bytes[cursor++];
        auto size = read_leb_u32(bytes, cursor);
        if (!size || *size > bytes.size() - cursor) {
            format_to(sink, "  {:#010x} {} (truncated)\n", start, section_name(id));
            return;
        }
        format_to(sink, "  {:#010x} {:<10} id {:>2} size {}\n", start, section_name(id), id, *size);
        cursor += *size;
    }
}

} // namespace wk::hosted
