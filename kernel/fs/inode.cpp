#include "kernel/fs/inode.h"

#include "kernel/fs/backend.h"

#include <algorithm>

#include "base/checked.h"
#include "kernel/fs/file_system.h"

namespace wk::kernel::fs {

Inode::Inode(FileSystem& fs, InodeType type, u64 number, u64 now)
    : m_fs(fs)
    , m_number(number)
    , m_access_time(now)
    , m_modify_time(now)
    , m_change_time(now)
    , m_type(type)
{
}

Inode::~Inode() = default;

void Inode::destroy() { m_fs.release(*this); }

u64 Inode::size() const
{
    switch (m_type) {
    case InodeType::File:
        return static_cast<const File*>(this)->size();
    case InodeType::Directory:
        return static_cast<const Directory*>(this)->entry_count();
    case InodeType::Symlink:
        return static_cast<const Symlink*>(this)->target().size();
    }
    return 0;
}

Stat Inode::stat() const
{
    return Stat {
        .device = m_backend ? m_backend->device() : 1,
        .inode = m_backend ? m_disk_number : m_number,
        .type = m_type,
        .link_count = m_link_count,
        .size = size(),
        .access_time = m_access_time,
        .modify_time = m_modify_time,
        .change_time = m_change_time,
    };
}

// ---- File ------------------------------------------------------------------------

File::~File()
{
    release_chunks_from(0);
    m_fs.uncharge_file(*this, m_chunks.size() * sizeof(u8*));
    m_storage_bytes -= m_chunks.size() * sizeof(u8*);
    m_chunks.clear_and_release();
}

usize File::chunk_capacity(usize index) const { return index == 0 ? m_first_capacity : kChunkSize; }

ErrnoResult<usize> File::read_checked(u64 offset, Bytes buffer) const
{
    if (m_backend)
        return m_backend->read(*this, offset, buffer);
    return read_at(offset, buffer);
}

usize File::read_at(u64 offset, Bytes buffer) const
{
    if (m_backend) {
        auto read = m_backend->read(*this, offset, buffer);
        return read ? *read : 0;
    }
    if (offset >= m_size || buffer.empty())
        return 0;
    u64 available = m_size - offset;
    usize count = available < buffer.size() ? static_cast<usize>(available) : buffer.size();
    usize done = 0;
    while (done < count) {
        u64 position = offset + done;
        usize index = static_cast<usize>(position / kChunkSize);
        usize within = static_cast<usize>(position % kChunkSize);
        usize step = std::min(count - done, kChunkSize - within);
        const u8* chunk = index < m_chunks.size() ? m_chunks[index] : nullptr;
        usize stored = 0;
        if (chunk && within < chunk_capacity(index)) {
            stored = std::min(step, chunk_capacity(index) - within);
            __builtin_memcpy(buffer.data() + done, chunk + within, stored);
        }
        if (stored < step)
            __builtin_memset(buffer.data() + done + stored, 0, step - stored);
        done += step;
    }
    return count;
}

// The chunk at `index`, allocated (zeroed) or grown so that its first `needed` bytes exist.
ErrnoResult<u8*> File::writable_chunk(usize index, usize from, usize to)
{
    usize needed = to;
    if (index >= m_chunks.size()) {
        usize added = index + 1 - m_chunks.size();
        TRY(m_fs.charge_file(*this, added * sizeof(u8*)));
        if (!m_chunks.try_resize(index + 1, nullptr)) {
            m_fs.uncharge_file(*this, added * sizeof(u8*));
            return Errno::NoMem;
        }
        m_storage_bytes += added * sizeof(u8*);
    }
    u8* chunk = m_chunks[index];
    usize capacity = chunk ? chunk_capacity(index) : 0;
    if (chunk && needed <= capacity)
        return chunk;

    usize new_capacity = kChunkSize;
    if (index == 0) {
        new_capacity = 32;
        while (new_capacity < needed && new_capacity < 2048)
            new_capacity *= 2;
        if (new_capacity < needed)
            new_capacity = kChunkSize;
    }
    TRY(m_fs.charge_file(*this, new_capacity - capacity));
    auto* fresh = static_cast<u8*>(m_fs.allocator().allocate(new_capacity, 16));
    if (!fresh) {
        m_fs.uncharge_file(*this, new_capacity - capacity);
        return Errno::NoMem;
    }
    if (chunk)
        __builtin_memcpy(fresh, chunk, capacity);
    // What the caller does not overwrite reads as zeros: the part before `from` (a hole
    // inside the chunk) and after `to`.
    if (from > capacity)
        __builtin_memset(fresh + capacity, 0, from - capacity);
    usize written_end = std::max(to, capacity);
    __builtin_memset(fresh + written_end, 0, new_capacity - written_end);
    if (chunk)
        m_fs.allocator().deallocate(chunk, capacity, 16);
    m_chunks[index] = fresh;
    m_storage_bytes += new_capacity - capacity;
    if (index == 0)
        m_first_capacity = new_capacity;
    return fresh;
}

ErrnoResult<usize> File::write_at(u64 offset, ReadonlyBytes data)
{
    if (data.empty())
        return usize { 0 };
    auto end = checked_add<u64>(offset, data.size());
    if (!end || *end > m_fs.limits().max_file_size)
        return Errno::FBig;
    usize done = 0;
    while (done < data.size()) {
        u64 position = offset + done;
        usize index = static_cast<usize>(position / kChunkSize);
        usize within = static_cast<usize>(position % kChunkSize);
        usize step = std::min(data.size() - done, kChunkSize - within);
        auto chunk_or_error = writable_chunk(index, within, within + step);
        if (!chunk_or_error) {
            if (done > 0)
                return done; // a short write, as POSIX reports running out of space part-way
            return chunk_or_error.error();
        }
        u8* chunk = *chunk_or_error;
        __builtin_memcpy(chunk + within, data.data() + done, step);
        done += step;
        // Grow as we go, so that a failure part-way leaves a consistent (shorter) file.
        if (position + step > m_size)
            m_size = position + step;
    }
    return done;
}

void File::release_chunks_from(usize index)
{
    for (usize i = index; i < m_chunks.size(); ++i) {
        if (u8* chunk = m_chunks[i]) {
            usize capacity = chunk_capacity(i);
            m_fs.allocator().deallocate(chunk, capacity, 16);
            m_fs.uncharge_file(*this, capacity);
            m_storage_bytes -= capacity;
            m_chunks[i] = nullptr;
            if (i == 0)
                m_first_capacity = 0;
        }
    }
}

ErrnoResult<void> File::set_size(u64 size)
{
    if (size > m_fs.limits().max_file_size)
        return Errno::FBig;
    if (size < m_size) {
        // Keep the invariant that stored bytes past the end are zero, so growing again reads zeros.
        usize keep = static_cast<usize>((size + kChunkSize - 1) / kChunkSize);
        if (keep < m_chunks.size()) {
            release_chunks_from(keep);
            usize dropped = m_chunks.size() - keep;
            MUST(m_chunks.try_resize(keep));
            m_fs.uncharge_file(*this, dropped * sizeof(u8*));
            m_storage_bytes -= dropped * sizeof(u8*);
        }
        usize within = static_cast<usize>(size % kChunkSize);
        usize last = static_cast<usize>(size / kChunkSize);
        if (within != 0 && last < m_chunks.size() && m_chunks[last]) {
            usize capacity = chunk_capacity(last);
            if (within < capacity)
                __builtin_memset(m_chunks[last] + within, 0, capacity - within);
        }
    }
    m_size = size;
    return {};
}

// ---- Directory -------------------------------------------------------------------

Directory::Directory(FileSystem& fs, u64 number, u64 now)
    : Inode(fs, InodeType::Directory, number, now)
    , m_entries(&fs.allocator())
    , m_index(&fs.allocator())
{
}

Directory::~Directory()
{
    // Children are released through the FileSystem's queue, never recursively.
    for (Entry& entry : m_entries) {
        m_fs.uncharge(FileSystem::kEntryOverhead + entry.name.length());
        if (entry.inode->is_directory())
            static_cast<Directory*>(entry.inode.get())->m_parent = nullptr;
    }
    m_index.clear();
    m_entries.clear_and_release();
}

usize Directory::lower_bound(u64 serial) const
{
    usize low = 0;
    usize high = m_entries.size();
    while (low < high) {
        usize middle = low + (high - low) / 2;
        if (m_entries[middle].serial < serial)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

Directory::Entry* Directory::find_entry(StringView name)
{
    const u64* serial = m_index.get(name);
    if (!serial)
        return nullptr;
    usize index = lower_bound(*serial);
    WK_ASSERT(index < m_entries.size() && m_entries[index].serial == *serial);
    return &m_entries[index];
}

Inode* Directory::find(StringView name) const
{
    Entry* entry = const_cast<Directory*>(this)->find_entry(name);
    return entry ? entry->inode.get() : nullptr;
}

ErrnoResult<void> Directory::add(StringView name, RefPtr<Inode> inode)
{
    if (m_index.contains(name))
        return Errno::Exist; // callers check first; a second entry would orphan the first
    String owned = TRY(no_mem_on_error(String::try_create(name, &m_fs.allocator())));
    if (!m_entries.try_reserve(m_entries.size() + 1))
        return Errno::NoMem;
    u64 serial = m_next_serial;
    // The entry's string buffer does not move when the Vector does, so the key stays valid.
    StringView key = owned.view();
    if (!m_index.try_set(key, serial))
        return Errno::NoMem;
    MUST(m_entries.try_append(Entry { serial, std::move(owned), std::move(inode) }));
    ++m_next_serial;
    return {};
}

RefPtr<Inode> Directory::remove(StringView name)
{
    Entry* entry = find_entry(name);
    WK_ASSERT(entry);
    RefPtr<Inode> inode = std::move(entry->inode);
    usize index = static_cast<usize>(entry - m_entries.data());
    m_index.remove(name);
    m_entries.erase(index);
    return inode;
}

void Directory::set_backed_parent(Directory* parent, bool hold)
{
    m_parent = parent;
    m_parent_hold = hold && parent ? RefPtr<Inode>(*parent) : RefPtr<Inode>();
}

void Directory::read(u64 cookie, DirectoryVisitor& visitor) const
{
    if (m_backend) {
        // NOTE: an error ends the listing early; FileSystem::read_directory reports it.
        (void)m_backend->read_directory(const_cast<Directory&>(*this), cookie, visitor);
        return;
    }
    if (cookie == 0 && !visitor.entry(1, m_number, InodeType::Directory, "."))
        return;
    if (cookie <= 1) {
        u64 parent = m_parent ? m_parent->number() : m_number;
        if (!visitor.entry(2, parent, InodeType::Directory, ".."))
            return;
    }
    for (usize i = lower_bound(cookie < kFirstSerial ? kFirstSerial : cookie); i < m_entries.size(); ++i) {
        const Entry& entry = m_entries[i];
        if (!visitor.entry(entry.serial + 1, entry.inode->number(), entry.inode->type(), entry.name.view()))
            return;
    }
}

} // namespace wk::kernel::fs
