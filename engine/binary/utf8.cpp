#include "engine/binary/reader.h"

namespace wk::engine {

bool is_valid_utf8(ReadonlyBytes bytes)
{
    usize i = 0;
    usize size = bytes.size();
    while (i < size) {
        u8 lead = bytes[i];
        if (lead < 0x80) {
            ++i;
            continue;
        }
        usize length;
        u32 code_point;
        if (lead >= 0xC2 && lead <= 0xDF) {
            length = 2;
            code_point = lead & 0x1F;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
            code_point = lead & 0x0F;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
            code_point = lead & 0x07;
        } else {
            return false;
        }
        if (size - i < length)
            return false;
        for (usize k = 1; k < length; ++k) {
            u8 continuation = bytes[i + k];
            if ((continuation & 0xC0) != 0x80)
                return false;
            code_point = (code_point << 6) | (continuation & 0x3F);
        }
        if ((length == 3 && code_point < 0x800) || (length == 4 && code_point < 0x10000))
            return false;
        if (code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF))
            return false;
        i += length;
    }
    return true;
}

} // namespace wk::engine
