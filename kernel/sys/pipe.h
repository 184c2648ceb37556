#pragma once

#include "base/ref_ptr.h"
#include "base/result.h"
#include "base/types.h"
#include "kernel/sched/thread.h"
#include "kernel/sys/stream.h"

namespace wk::kernel::sys {

// A pipe (docs/process-abi.md, "Pipes"): a bounded byte buffer between the processes holding
// its read ends and those holding its write ends.
//
// Contract: a read blocks while the buffer is empty and a write end exists, and returns 0
// (end of file) once none does; a write blocks while the buffer is full and fails with
// Errno::Pipe once no read end exists (bytes it already moved are reported instead). Both
// return Errno::Intr when the calling thread is being killed and nothing moved. Blocking is
// sched::block_on (the CPU goes to others); every end that goes away wakes the other side.
//
// NOTE: all state is changed with interrupts off (one CPU), so a pipe needs no lock of its
// own and may be dropped under the FsGuard (which also disables interrupts).
class Pipe final : public RefCounted<Pipe> {
public:
    static constexpr usize kCapacity = 64 * 1024;
    // Pipes alive at once in the whole system (each holds a kCapacity buffer): beyond,
    // create() is Errno::NFile. Bounds pipe buffers to 8 MiB of kernel heap in all.
    static constexpr usize kMaxPipes = 128;

    ~Pipe();
    // The last reference frees it (RefCounted).
    void destroy() { delete this; }
    static usize live_count();

private:
    friend class PipeEnd;
    Pipe() = default;

    u8* m_buffer { nullptr };
    usize m_head { 0 }; // index of the oldest byte
    usize m_used { 0 };
    u32 m_readers { 0 };
    u32 m_writers { 0 };
    sched::WaitQueue m_readable; // readers waiting for bytes or the last writer's end
    sched::WaitQueue m_writable; // writers waiting for room or the last reader's end
};

// One end of a pipe behind a descriptor. Descriptors shared with children (spawn's stdio)
// share the end, as after dup; the end counts for its pipe until its last reference goes.
class PipeEnd final : public Stream, public RefCounted<PipeEnd> {
public:
    struct Pair {
        RefPtr<PipeEnd> read_end;
        RefPtr<PipeEnd> write_end;
    };
    // A new pipe and its two ends. Errno::NFile beyond Pipe::kMaxPipes, NoMem.
    static engine::wasi::Expected<Pair> create_pipe();

    ~PipeEnd() override;
    void destroy() { delete this; }

    engine::wasi::Expected<usize> read(Bytes) override;
    engine::wasi::Expected<usize> write(ReadonlyBytes) override;
    bool readable_now() override;
    bool writable() const override { return !m_reading; }
    bool is_read_end() const { return m_reading; }

private:
    PipeEnd(RefPtr<Pipe>, bool reading);

    RefPtr<Pipe> m_pipe;
    bool m_reading;
};

} // namespace wk::kernel::sys
