#pragma once

#include "base/span.h"
#include "base/string_view.h"
#include "base/types.h"
#include "engine/runtime/speculation.h"
#include "engine/wasi/wasi_types.h"

namespace wk::engine::wasi {

// A view of the calling instance's linear memory for the duration of one call. Every
// guest address and length goes through one of these checks; a range that does not fit
// entirely inside [0, size) is Errno::Fault and touches nothing. Addresses are u64 so
// that `pointer + length` never wraps (wasm32 pointers and lengths are u32).
//
// NOTE: Spectre v1. Every process's memory is mapped in the one kernel address space,
// so a check the CPU runs past speculatively could read another process's data. Each
// host address is therefore computed by at(), which selects offset 0 without a branch
// when the range does not fit: under a mispredicted check the access stays inside this
// memory (its first bytes).
class GuestMemory {
public:
    GuestMemory() = default;
    GuestMemory(u8* base, u64 size)
        : m_base(base)
        , m_size(base ? size : 0)
    {
    }

    u64 size() const { return m_size; }

    bool contains(u64 address, u64 length) const { return length <= m_size && address <= m_size - length; }

    // m_base + address when [address, address + length) fits, m_base otherwise, chosen
    // by conditional moves (runtime::range_mask, never a branch the CPU could predict).
    // Callers check contains() first; this only keeps speculation inside the memory.
    u8* at(u64 address, u64 length) const { return m_base + (address & runtime::range_mask(address, length, m_size)); }

    Expected<Bytes> bytes(u64 address, u64 length) const
    {
        if (!contains(address, length))
            return Errno::Fault;
        return Bytes(at(address, length), static_cast<usize>(length));
    }

    // Guest text as a view into memory. A NUL inside is Errno::IlSeq: host paths and
    // names are NUL-terminated, so such a string would mean something else there.
    Expected<StringView> string(u64 address, u64 length) const
    {
        auto range = bytes(address, length);
        if (!range)
            return range.error();
        for (u8 byte : *range) {
            if (byte == 0)
                return Errno::IlSeq;
        }
        return StringView(reinterpret_cast<const char*>(range->data()), range->size());
    }

    template<typename T>
    Expected<T> read(u64 address) const
    {
        if (!contains(address, sizeof(T)))
            return Errno::Fault;
        T value;
        __builtin_memcpy(&value, at(address, sizeof(T)), sizeof(T));
        return value;
    }
    Expected<u8> read_u8(u64 address) const { return read<u8>(address); }
    Expected<u16> read_u16(u64 address) const { return read<u16>(address); }
    Expected<u32> read_u32(u64 address) const { return read<u32>(address); }
    Expected<u64> read_u64(u64 address) const { return read<u64>(address); }

    template<typename T>
    Errno write(u64 address, T value) const
    {
        if (!contains(address, sizeof(T)))
            return Errno::Fault;
        __builtin_memcpy(at(address, sizeof(T)), &value, sizeof(T));
        return Errno::Success;
    }
    Errno write_u8(u64 address, u8 value) const { return write(address, value); }
    Errno write_u16(u64 address, u16 value) const { return write(address, value); }
    Errno write_u32(u64 address, u32 value) const { return write(address, value); }
    Errno write_u64(u64 address, u64 value) const { return write(address, value); }

    Errno write_bytes(u64 address, ReadonlyBytes data) const
    {
        if (!contains(address, data.size()))
            return Errno::Fault;
        if (!data.empty())
            __builtin_memmove(at(address, data.size()), data.data(), data.size());
        return Errno::Success;
    }

private:
    u8* m_base { nullptr };
    u64 m_size { 0 };
};

} // namespace wk::engine::wasi
