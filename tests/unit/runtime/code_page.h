#pragma once

#include <cstring>
#include <initializer_list>
#include <vector>

#include "engine/platform.h"

namespace wk::engine {

// Code bytes placed in fresh RX memory, written while RW (W^X), with a trap table.
class CodePage {
public:
    CodePage(std::initializer_list<u8> bytes, std::initializer_list<TrapEntry> traps, bool do_register = true)
        : m_traps(traps)
    {
        m_size = platform::page_size();
        m_base = static_cast<u8*>(MUST(platform::reserve(m_size)));
        MUST(platform::commit(m_base, m_size));
        std::memset(m_base, 0xCC, m_size); // int3 everywhere else
        std::memcpy(m_base, bytes.begin(), bytes.size());
        MUST(platform::protect(m_base, m_size, platform::Access::ReadExecute));
        m_range.start = reinterpret_cast<uptr>(m_base);
        m_range.size = bytes.size();
        m_range.traps = Span<const TrapEntry>(m_traps.data(), m_traps.size());
        if (do_register) {
            MUST(register_code_range(&m_range));
            m_registered = true;
        }
    }
    ~CodePage()
    {
        if (m_registered)
            unregister_code_range(&m_range);
        platform::release(m_base, m_size);
    }
    const void* code() const { return m_base; }
    uptr address(u32 offset) const { return reinterpret_cast<uptr>(m_base) + offset; }
    const CodeRange& range() const { return m_range; }

private:
    std::vector<TrapEntry> m_traps;
    CodeRange m_range;
    u8* m_base { nullptr };
    usize m_size { 0 };
    bool m_registered { false };
};

} // namespace wk::engine
