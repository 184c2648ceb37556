#include <atomic>
#include <new>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/paging.h"
#include "kernel/arch/x86_64/smp.h"
#include "kernel/debug/ktest.h"
#include "kernel/debug/log_buffer.h"
#include "kernel/mm/memory.h"
#include "kernel/time/clock.h"

// Every CPU at once allocates and frees frames and heap blocks and writes log lines: the frame
// allocator, the heap and the log ring must come out as they went in (docs/boot-and-machine-state.md,
// "SMP"). Under QEMU's TCG the CPUs interleave at translation-block boundaries, often enough for
// a structure without a lock to lose an update or hand one block to two CPUs.
namespace wk::kernel::x86_64 {

namespace {

constexpr u32 kRounds = 2000;
constexpr usize kKeptBlocks = 8;
constexpr usize kKeptFrames = 4;
constexpr usize kBlockSizes[] = { 16, 24, 40, 72, 136, 264, 520, 1000, 2040, 3000, 5000, 9000 };
constexpr usize kSizeCount = sizeof kBlockSizes / sizeof kBlockSizes[0];
// Every 16th word of a frame is filled and checked: a frame handed to two CPUs shows there.
constexpr usize kFrameStride = 16;
constexpr std::string_view kLineMark = "smp stress: cpu ";

// One CPU's share of the stress, and what it found.
struct Worker {
    u32 cpu { 0 };
    std::atomic<bool> done { false };
    u64 bad_words { 0 };  // words that no longer held what this CPU wrote
    u64 failed_calls { 0 }; // allocations that failed, frees the allocator refused
    u64 line_bytes { 0 }; // bytes of the log lines this CPU wrote
    void* blocks[kKeptBlocks] {};
    usize block_sizes[kKeptBlocks] {};
    u64 block_tags[kKeptBlocks] {};
    u64 frames[kKeptFrames] {};
    u64 frame_tags[kKeptFrames] {};
};

u64 tag_of(u32 cpu, u32 round, usize slot)
{
    return (u64 { cpu + 1 } << 56) ^ (u64 { round } << 20) ^ (slot << 8) ^ 0x5a5a'0000'a5a5ull;
}

void fill(u64* words, usize count, usize stride, u64 tag)
{
    for (usize i = 0; i < count; i += stride)
        words[i] = tag + i;
}

u64 count_bad(const u64* words, usize count, usize stride, u64 tag)
{
    u64 bad = 0;
    for (usize i = 0; i < count; i += stride)
        bad += words[i] != tag + i;
    return bad;
}

u64* frame_words(u64 frame) { return static_cast<u64*>(phys_to_virt(frame)); }

void* new_block(Worker& worker, usize size, u64 tag)
{
    auto block = mm::try_allocate(size, 8);
    if (!block) {
        ++worker.failed_calls;
        return nullptr;
    }
    fill(static_cast<u64*>(*block), size / 8, 1, tag);
    return *block;
}

void drop_block(Worker& worker, void* block, usize size, u64 tag)
{
    if (!block)
        return;
    worker.bad_words += count_bad(static_cast<u64*>(block), size / 8, 1, tag);
    if (!mm::try_free(block))
        ++worker.failed_calls;
}

u64 new_frame(Worker& worker, u64 tag)
{
    auto frame = mm::allocate_frame();
    if (!frame) {
        ++worker.failed_calls;
        return 0;
    }
    fill(frame_words(*frame), mm::kFrameSize / 8, kFrameStride, tag);
    return *frame;
}

void drop_frame(Worker& worker, u64 frame, u64 tag)
{
    if (!frame)
        return;
    worker.bad_words += count_bad(frame_words(frame), mm::kFrameSize / 8, kFrameStride, tag);
    if (!mm::release_frames(frame, 1))
        ++worker.failed_calls;
}

// One round: a kept block and a kept frame replaced (checked first), two short-lived blocks,
// and one log line.
void stress_round(Worker& worker, u32 round)
{
    usize slot = round % kKeptBlocks;
    drop_block(worker, worker.blocks[slot], worker.block_sizes[slot], worker.block_tags[slot]);
    worker.block_sizes[slot] = kBlockSizes[(round * 7 + worker.cpu) % kSizeCount];
    worker.block_tags[slot] = tag_of(worker.cpu, round, slot);
    worker.blocks[slot] = new_block(worker, worker.block_sizes[slot], worker.block_tags[slot]);

    usize frame_slot = round % kKeptFrames;
    drop_frame(worker, worker.frames[frame_slot], worker.frame_tags[frame_slot]);
    worker.frame_tags[frame_slot] = tag_of(worker.cpu, round, kKeptBlocks + frame_slot);
    worker.frames[frame_slot] = new_frame(worker, worker.frame_tags[frame_slot]);

    usize small = kBlockSizes[round % 4];
    usize large = kBlockSizes[4 + (round + worker.cpu) % (kSizeCount - 4)];
    u64 short_tag = tag_of(worker.cpu, round, 255);
    void* first = new_block(worker, small, short_tag);
    void* second = new_block(worker, large, ~short_tag);
    drop_block(worker, first, small, short_tag);
    drop_block(worker, second, large, ~short_tag);

    char body[64];
    auto written = format_into(Span<char>(body, sizeof body), "{}{} line {}", kLineMark, worker.cpu, round);
    debug::dbgln("{}", std::string_view(body, written.length));
    // "[sssss.uuuuuu] debug: " + the body + "\n" (the seconds field is 5 wide below 100000 s).
    worker.line_bytes += 22 + written.length + 1;
}

void run_worker(void* argument)
{
    auto& worker = *static_cast<Worker*>(argument);
    for (u32 round = 0; round < kRounds; ++round)
        stress_round(worker, round);
    for (usize slot = 0; slot < kKeptBlocks; ++slot)
        drop_block(worker, worker.blocks[slot], worker.block_sizes[slot], worker.block_tags[slot]);
    for (usize slot = 0; slot < kKeptFrames; ++slot)
        drop_frame(worker, worker.frames[slot], worker.frame_tags[slot]);
    worker.done.store(true, std::memory_order_release);
}

bool parse_number(std::string_view& text, u64& value)
{
    usize digits = 0;
    value = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
        value = value * 10 + static_cast<u64>(text[digits++] - '0');
    text.remove_prefix(digits);
    return digits > 0;
}

// A stress line exactly: "[sssss.uuuuuu] debug: smp stress: cpu C line N".
bool parse_line(std::string_view line, u64& cpu, u64& number)
{
    if (line.size() < 22 || line[0] != '[' || line[6] != '.' || line.substr(13, 9) != "] debug: ")
        return false;
    for (usize i = 1; i < 13; ++i) {
        if (i != 6 && !(line[i] == ' ' || (line[i] >= '0' && line[i] <= '9')))
            return false;
    }
    line.remove_prefix(22);
    if (!line.starts_with(kLineMark))
        return false;
    line.remove_prefix(kLineMark.size());
    if (!parse_number(line, cpu) || !line.starts_with(" line "))
        return false;
    line.remove_prefix(6);
    return parse_number(line, number) && line.empty();
}

// Checks the newest bytes of the ring: after the first (cut) line, every line is a stress line,
// and each CPU's line numbers follow one another with no gap. Returns the lines checked.
u64 check_log_tail(debug::TestContext& test_context, std::string_view tail, usize cpus)
{
    u64 last[kMaxCpus];
    for (auto& number : last)
        number = ~u64 { 0 };
    usize start = tail.find('\n');
    u64 lines = 0;
    while (start != std::string_view::npos && start + 1 < tail.size()) {
        usize end = tail.find('\n', start + 1);
        if (end == std::string_view::npos)
            break;
        std::string_view line = tail.substr(start + 1, end - start - 1);
        start = end;
        u64 cpu;
        u64 number;
        if (!KEXPECT(parse_line(line, cpu, number) && cpu < cpus)) {
            debug::print("    not a stress line: \"{}\"\n", line.substr(0, 120));
            return lines;
        }
        if (last[cpu] != ~u64 { 0 } && !KEXPECT_EQ(number, last[cpu] + 1))
            debug::print("    CPU {}: line {} after line {}\n", cpu, number, last[cpu]);
        last[cpu] = number;
        ++lines;
    }
    return lines;
}

bool wait_for_workers(Worker* workers, usize count)
{
    u64 start = time::nanoseconds_since_boot();
    for (usize i = 0; i < count; ++i) {
        while (!workers[i].done.load(std::memory_order_acquire)) {
            if (time::nanoseconds_since_boot() - start > 300'000'000'000)
                return false;
            pause();
        }
    }
    return true;
}

} // namespace

// Frames, heap blocks (kept across rounds and short-lived, fill patterns checked at every free)
// and log lines from every CPU at once; afterwards the free frames and the heap's bytes in use
// are what they were, no block or frame changed under its owner, no free was refused, and the
// ring holds whole lines, each CPU's in order, and every byte written.
KERNEL_TEST(smp_cpus_share_frames_heap_and_log)
{
    usize cpus = online_cpu_count();
    if (cpus < 2) {
        debug::print("    one CPU: nothing to race\n");
        return;
    }
    mm::trim_heap();
    u64 heap_before = mm::heap_statistics().bytes_in_use;
    u64 frames_before = mm::free_frame_count();
    u64 total_before = debug::snapshot_log(Bytes()).total;

    // Static: a CPU that finishes after the wait gave up still writes somewhere alive.
    static Worker workers[kMaxCpus];
    for (usize i = 0; i < cpus; ++i) {
        workers[i].~Worker();
        new (&workers[i]) Worker();
        workers[i].cpu = static_cast<u32>(i);
    }
    for (usize i = 1; i < cpus; ++i)
        KEXPECT(call_on_cpu(*cpu_at(i), run_worker, &workers[i]));
    run_worker(&workers[0]);
    if (!KEXPECT(wait_for_workers(workers, cpus)))
        return;

    static char tail[debug::LogBuffer::kCapacity];
    auto taken = debug::snapshot_log(Bytes(reinterpret_cast<u8*>(tail), sizeof tail));
    u64 written = 0;
    for (usize i = 0; i < cpus; ++i) {
        KEXPECT_EQ(workers[i].bad_words, 0u);
        KEXPECT_EQ(workers[i].failed_calls, 0u);
        written += workers[i].line_bytes;
    }
    KEXPECT_EQ(taken.total - total_before, written);
    u64 lines = check_log_tail(test_context, std::string_view(tail, taken.copied), cpus);
    mm::trim_heap();
    KEXPECT_EQ(mm::heap_statistics().bytes_in_use, heap_before);
    KEXPECT_EQ(mm::free_frame_count(), frames_before);
    debug::print("    {} CPUs x {} rounds; {} log bytes, the newest {} lines checked\n", cpus, kRounds, written, lines);
}

} // namespace wk::kernel::x86_64
