#include "kernel/fs/ext2_cache.h"

namespace wk::kernel::fs::ext2 {

Result<void> BlockCache::initialize(drivers::BlockDevice& device, u32 block_size, u32 block_count, u32 capacity)
{
    if (block_size < drivers::kSectorSize || block_size % drivers::kSectorSize != 0 || capacity < 4)
        return Error::invalid("ext2 cache: bad block size or capacity");
    m_device = &device;
    m_block_size = block_size;
    m_block_count = block_count;
    TRY(m_slots.try_resize(capacity));
    TRY(m_data.try_resize(usize { capacity } * block_size));
    TRY(m_order.try_reserve(capacity));
    TRY(m_batch.try_resize(kBatchBytes > block_size ? kBatchBytes : block_size));
    return {};
}

Result<usize> BlockCache::slot_for(u32 block, bool load)
{
    if (m_device == nullptr)
        return Error::invalid("ext2 cache: not initialised");
    if (block >= m_block_count)
        return Error::from("ext2: block outside the file system", ErrorKind::Malformed, block);
    ++m_clock;
    usize victim = 0;
    for (usize i = 0; i < m_slots.size(); ++i) {
        if (m_slots[i].block == block) {
            m_slots[i].last_use = m_clock;
            ++m_stats.hits;
            return i;
        }
        if (m_slots[i].block == kNoBlock || (m_slots[victim].block != kNoBlock && m_slots[i].last_use < m_slots[victim].last_use))
            victim = i;
    }
    ++m_stats.misses;
    // NOTE: writing every dirty block here (not just the victim) turns a stream of evictions
    // into a few large requests.
    if (m_slots[victim].block != kNoBlock && m_slots[victim].dirty)
        TRY(write_back());
    auto& slot = m_slots[victim];
    slot.block = kNoBlock;
    slot.dirty = false;
    auto bytes = slot_bytes(victim);
    if (load) {
        TRY(m_device->read_blocks(u64 { block } * (m_block_size / drivers::kSectorSize), bytes));
    } else {
        __builtin_memset(bytes.data(), 0, bytes.size());
    }
    slot.block = block;
    slot.last_use = m_clock;
    return victim;
}

Result<Bytes> BlockCache::read(u32 block) { return slot_bytes(TRY(slot_for(block, true))); }

Result<Bytes> BlockCache::modify(u32 block, BlockKind kind)
{
    usize index = TRY(slot_for(block, true));
    auto& slot = m_slots[index];
    if (!slot.dirty || kind < slot.kind)
        slot.kind = kind;
    slot.dirty = true;
    return slot_bytes(index);
}

Result<Bytes> BlockCache::overwrite(u32 block)
{
    usize index = TRY(slot_for(block, false));
    auto bytes = slot_bytes(index);
    __builtin_memset(bytes.data(), 0, bytes.size());
    m_slots[index].dirty = true;
    m_slots[index].kind = BlockKind::Fresh;
    return bytes;
}

void BlockCache::forget(u32 block)
{
    for (auto& slot : m_slots) {
        if (slot.block == block) {
            slot.block = kNoBlock;
            slot.dirty = false;
        }
    }
    m_frees_unwritten = true;
}

void BlockCache::overlay(u32 first, u32 count, Bytes buffer) const
{
    for (usize i = 0; i < m_slots.size(); ++i) {
        auto& slot = m_slots[i];
        if (!slot.dirty || slot.block == kNoBlock || slot.block < first || slot.block - first >= count)
            continue;
        __builtin_memcpy(buffer.data() + usize { slot.block - first } * m_block_size, m_data.data() + i * m_block_size, m_block_size);
    }
}

u32 BlockCache::dirty_count() const
{
    u32 count = 0;
    for (auto& slot : m_slots)
        count += slot.dirty ? 1 : 0;
    return count;
}

Result<void> BlockCache::write_run(u32 first, u32 count)
{
    TRY(m_device->write_blocks(u64 { m_slots[m_order[first]].block } * (m_block_size / drivers::kSectorSize),
                               ReadonlyBytes(m_batch.data(), usize { count } * m_block_size)));
    ++m_stats.write_requests;
    m_stats.blocks_written += count;
    for (u32 i = 0; i < count; ++i)
        m_slots[m_order[first + i]].dirty = false;
    return {};
}

Result<void> BlockCache::write_back()
{
    m_order.clear();
    for (usize i = 0; i < m_slots.size(); ++i) {
        if (m_slots[i].dirty)
            MUST(m_order.try_append(static_cast<u32>(i))); // reserved at initialize
    }
    // Insertion sort by kind, then block: at most the capacity (128) entries.
    auto before = [&](u32 a, u32 b) {
        auto& x = m_slots[a];
        auto& y = m_slots[b];
        return x.kind != y.kind ? x.kind < y.kind : x.block < y.block;
    };
    for (usize i = 1; i < m_order.size(); ++i) {
        u32 index = m_order[i];
        usize j = i;
        while (j > 0 && before(index, m_order[j - 1])) {
            m_order[j] = m_order[j - 1];
            --j;
        }
        m_order[j] = index;
    }
    u32 per_batch = static_cast<u32>(m_batch.size() / m_block_size);
    u32 run_start = 0;
    u32 run_length = 0;
    for (u32 i = 0; i < m_order.size(); ++i) {
        u32 block = m_slots[m_order[i]].block;
        auto& previous = m_slots[m_order[i > 0 ? i - 1 : 0]];
        bool extends = run_length > 0 && run_length < per_batch && previous.block + 1 == block &&
                       previous.kind == m_slots[m_order[i]].kind;
        if (run_length > 0 && !extends) {
            TRY(write_run(run_start, run_length));
            run_length = 0;
        }
        if (run_length == 0)
            run_start = i;
        __builtin_memcpy(m_batch.data() + usize { run_length } * m_block_size, m_data.data() + usize { m_order[i] } * m_block_size,
               m_block_size);
        ++run_length;
    }
    if (run_length > 0)
        TRY(write_run(run_start, run_length));
    m_frees_unwritten = false;
    return {};
}

Result<void> BlockCache::flush()
{
    TRY(write_back());
    ++m_stats.flushes;
    return m_device->flush();
}

} // namespace wk::kernel::fs::ext2
