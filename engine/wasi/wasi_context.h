#pragma once

#include <optional>

#include "base/result.h"
#include "base/string.h"
#include "base/vector.h"
#include "engine/runtime/vm.h"
#include "engine/wasi/call_lock.h"
#include "engine/wasi/guest_memory.h"
#include "engine/wasi/wasi_system.h"
#include "engine/wasi/wasi_types.h"

namespace wk::engine::wasi {

// The host view of a guest iovec array: inline for the usual few, allocated beyond.
template<typename Slice>
struct IovecList {
    static constexpr u32 kInline = 16;
    Slice inline_slices[kInline];
    Vector<Slice> heap;
    Span<const Slice> slices;
};

// One guest descriptor.
// What a filestat_set_times call's fst_flags ask for: Inval for unknown bits, or for a
// time both set and set to now.
struct TimeUpdates {
    TimeUpdate access;
    TimeUpdate modify;
};
Expected<TimeUpdates> decode_times(u64 atim, u64 mtim, u32 fst_flags);

struct FdEntry {
    bool open { false };
    HostHandle handle { -1 };
    Filetype filetype { Filetype::Unknown };
    u64 rights_base { 0 };
    u64 rights_inheriting { 0 };
    bool is_preopen { false };
    // A stream shared with the parent (set_stdio_stream): fdstat reports no flags and
    // filestat only the filetype, so nothing about the host object leaks.
    bool is_stream { false };
    // A socket (a listening one given at setup, or a connection sock_accept made): fdstat
    // asks the system for its flags, filestat reports only the filetype.
    bool is_socket { false };
    String preopen_name; // the guest's name of a preopened directory
};

// The WASI state of one instance: arguments, environment, the descriptor table (0-2
// stdio, 3.. the preopened directories in the order added, then what the guest opens)
// and the exit status. Every preview1 call is a member with the call's exact wasm
// parameters (i32 → u32, i64 → u64) returning the errno; engine/wasi/wasi_host.cpp
// turns them into host functions. The context checks every guest pointer against the
// memory bound with bind_memory() and resolves every path itself, relative to the
// descriptor it names, so that no path leaves a preopen whatever the backend does.
//
// NOTE: owns the handles in its table (closes them when destroyed), not the system.
class WasiContext {
public:
    // At most this many descriptors; more opens fail with Errno::MFile.
    static constexpr u32 kMaxDescriptors = 4096;
    // At most this many iovecs per call (POSIX IOV_MAX); more is Errno::Inval.
    static constexpr u32 kMaxIovecs = 1024;
    // Paths: the limits of base/path_walk.h (kMaxPathLength, kMaxSymlinkExpansions), the
    // same as the kernel file system's.
    // poll_oneoff subscriptions per call (Errno::Inval beyond).
    static constexpr u32 kMaxSubscriptions = 4096;

    explicit WasiContext(WasiSystem& system)
        : m_system(system)
    {
    }
    ~WasiContext();
    WasiContext(const WasiContext&) = delete;
    WasiContext& operator=(const WasiContext&) = delete;

    WasiSystem& system() { return m_system; }

    // ---- setup, before the guest runs ---------------------------------------------
    Result<void> add_argument(StringView);
    Result<void> add_environment(StringView key_equals_value);
    // Installs fd 0, 1, 2 (any order); the context owns the handles.
    Result<void> set_stdio(u32 fd, HostHandle, Filetype, u64 rights = rights::kFile);
    // Installs fd 0 (rights::kInputStream) or 1, 2 (rights::kOutputStream) as a stream
    // shared with the parent, as wasmtime does: read or write and poll, nothing that
    // changes the shared open file description (no seek, tell, size, allocation, times
    // or fdflags).
    Result<void> set_stdio_stream(u32 fd, HostHandle, Filetype);
    // Installs `handle` at the lowest free descriptor, for an object the embedder's own
    // imports create while the guest runs (the kernel's pipes); owns it from then on.
    // MFile beyond kMaxDescriptors, NoMem; the handle is not closed on failure.
    Expected<u32> add_descriptor(HostHandle, Filetype, u64 rights);
    // Adds a preopened directory at the next free descriptor (3, 4, ...); owns `directory`.
    Result<u32> add_preopen(HostHandle directory, StringView guest_name);
    // Adds a listening stream socket (wasmtime's `--tcplisten`) at the next free
    // descriptor: after stdio and the preopens added before it. Owns `listener`.
    Result<u32> add_listening_socket(HostHandle listener);
    // The memory every guest pointer refers to: the instance's memory 0. Until bound,
    // every pointer is out of bounds. Linear memories never move, so the pointer stays
    // valid; the bound is re-read at each call (memory.grow).
    void bind_memory(const runtime::VMMemory* memory) { m_memory = memory; }

    // proc_exit records the status, then calls the exit hook, which must not return when
    // set: it unwinds out of the wasm activation (see docs/wasi.md). Without a hook (unit
    // tests) proc_exit returns to its caller.
    using ExitHook = void (*)(void* data, u32 status);
    void set_exit_hook(ExitHook hook, void* data)
    {
        m_exit_hook = hook;
        m_exit_hook_data = data;
    }
    std::optional<u32> exit_status() const
    {
        u64 word = __atomic_load_n(&m_exit_word, __ATOMIC_ACQUIRE);
        if (!(word & kExitSet))
            return std::nullopt;
        return static_cast<u32>(word);
    }
    // Makes every call take the context's call lock from now on, for a program whose
    // threads share the context (wasi-threads, docs/wasi.md "Threads"). Before the
    // second thread starts; never undone.
    void enable_threads() { __atomic_store_n(&m_threaded, true, __ATOMIC_RELEASE); }
    bool threaded() const { return __atomic_load_n(&m_threaded, __ATOMIC_ACQUIRE); }
    // The lock a call holds when the context is threaded, else null.
    CallLock* call_lock() const { return threaded() ? &m_call_lock : nullptr; }
    // Called by every WASI entry once its call returned (nothing of the call left on the
    // stack): when the system reports the guest cancelled, unwinds through the exit hook
    // like proc_exit, but records no exit status (the embedder knows why it stopped).
    void end_call()
    {
        if (m_exit_hook && m_system.cancelled())
            m_exit_hook(m_exit_hook_data, 0);
    }

    GuestMemory memory() const;
    const FdEntry* entry(u32 fd) const;
    // Writes `text` to the guest's descriptor 2 on the embedder's behalf (the loader's and
    // spawn's messages); nothing when 2 is closed. A failed write is dropped: there is
    // nowhere else to report it.
    void write_diagnostic(StringView text);

    // ---- wasi_snapshot_preview1 -------------------------------------------------
    Errno args_get(u32 argv, u32 argv_buf);
    Errno args_sizes_get(u32 argc_out, u32 argv_buf_size_out);
    Errno environ_get(u32 environ, u32 environ_buf);
    Errno environ_sizes_get(u32 count_out, u32 buf_size_out);
    Errno clock_res_get(u32 id, u32 resolution_out);
    Errno clock_time_get(u32 id, u64 precision, u32 time_out);
    Errno fd_advise(u32 fd, u64 offset, u64 length, u32 advice);
    Errno fd_allocate(u32 fd, u64 offset, u64 length);
    Errno fd_close(u32 fd);
    Errno fd_datasync(u32 fd);
    Errno fd_fdstat_get(u32 fd, u32 fdstat_out);
    Errno fd_fdstat_set_flags(u32 fd, u32 flags);
    Errno fd_fdstat_set_rights(u32 fd, u64 rights_base, u64 rights_inheriting);
    Errno fd_filestat_get(u32 fd, u32 filestat_out);
    Errno fd_filestat_set_size(u32 fd, u64 size);
    Errno fd_filestat_set_times(u32 fd, u64 atim, u64 mtim, u32 fst_flags);
    Errno fd_pread(u32 fd, u32 iovs, u32 iovs_len, u64 offset, u32 nread_out);
    Errno fd_prestat_get(u32 fd, u32 prestat_out);
    Errno fd_prestat_dir_name(u32 fd, u32 path, u32 path_len);
    Errno fd_pwrite(u32 fd, u32 iovs, u32 iovs_len, u64 offset, u32 nwritten_out);
    Errno fd_read(u32 fd, u32 iovs, u32 iovs_len, u32 nread_out);
    Errno fd_readdir(u32 fd, u32 buf, u32 buf_len, u64 cookie, u32 bufused_out);
    Errno fd_renumber(u32 fd, u32 to);
    Errno fd_seek(u32 fd, u64 offset, u32 whence, u32 newoffset_out);
    Errno fd_sync(u32 fd);
    Errno fd_tell(u32 fd, u32 offset_out);
    Errno fd_write(u32 fd, u32 iovs, u32 iovs_len, u32 nwritten_out);
    Errno path_create_directory(u32 fd, u32 path, u32 path_len);
    Errno path_filestat_get(u32 fd, u32 flags, u32 path, u32 path_len, u32 filestat_out);
    Errno path_filestat_set_times(u32 fd, u32 flags, u32 path, u32 path_len, u64 atim, u64 mtim, u32 fst_flags);
    Errno path_link(u32 old_fd, u32 old_flags, u32 old_path, u32 old_path_len, u32 new_fd, u32 new_path,
                    u32 new_path_len);
    Errno path_open(u32 fd, u32 dirflags, u32 path, u32 path_len, u32 oflags, u64 rights_base,
                    u64 rights_inheriting, u32 fdflags, u32 fd_out);
    Errno path_readlink(u32 fd, u32 path, u32 path_len, u32 buf, u32 buf_len, u32 bufused_out);
    Errno path_remove_directory(u32 fd, u32 path, u32 path_len);
    Errno path_rename(u32 fd, u32 old_path, u32 old_path_len, u32 new_fd, u32 new_path, u32 new_path_len);
    Errno path_symlink(u32 old_path, u32 old_path_len, u32 fd, u32 new_path, u32 new_path_len);
    Errno path_unlink_file(u32 fd, u32 path, u32 path_len);
    Errno poll_oneoff(u32 in, u32 out, u32 nsubscriptions, u32 nevents_out);
    void proc_exit(u32 status);
    Errno proc_raise(u32 signal);
    Errno sched_yield();
    Errno random_get(u32 buf, u32 buf_len);
    Errno sock_accept(u32 fd, u32 flags, u32 fd_out);
    Errno sock_recv(u32 fd, u32 ri_data, u32 ri_data_len, u32 ri_flags, u32 ro_datalen_out, u32 ro_flags_out);
    Errno sock_send(u32 fd, u32 si_data, u32 si_data_len, u32 si_flags, u32 so_datalen_out);
    Errno sock_shutdown(u32 fd, u32 how);
    // wasmkern.sock_connect after its network-right check (docs/networking.md): `addr_len`
    // bytes at `addr_ptr` are an IPv4 address in network order (only 4 is valid: Inval,
    // AfNoSupport for 16), the connected socket's descriptor goes to `fd_out`.
    Errno sock_connect(u32 addr_ptr, u32 addr_len, u32 port, u32 fd_out);
    // wasmkern.udp_bind, udp_send_to, udp_recv_from after the right's check: a datagram
    // socket's descriptor to `fd_out`; `buf_len` bytes to the address (as sock_connect's) and
    // port, the count sent to `sent_out`; a datagram into the buffer with a 16-byte record at
    // `info_out` (u32 bytes copied, u32 the datagram's length, 4 address bytes in network
    // order, u16 port, u16 0).
    Errno udp_bind(u32 port, u32 fd_out);
    Errno udp_send_to(u32 fd, u32 addr_ptr, u32 addr_len, u32 port, u32 buf_ptr, u32 buf_len, u32 sent_out);
    Errno udp_recv_from(u32 fd, u32 buf_ptr, u32 buf_len, u32 info_out);

private:
    friend class PathResolver;

    // The open descriptor `fd` holding all of `required` rights: BadF when not open,
    // NotCapable when a right is missing.
    Expected<FdEntry*> descriptor(u32 fd, u64 required);
    Expected<u32> allocate_descriptor();
    // A socket the system just made (accepted, connected, bound) at the lowest free
    // descriptor with a connection's rights, its number written to `fd_out`; on failure the
    // socket is closed.
    Errno add_socket(HostHandle, Filetype, const GuestMemory&, u32 fd_out);
    template<typename Slice>
    Expected<void> read_iovecs(const GuestMemory&, u32 iovs, u32 count, IovecList<Slice>& out);
    // The shape of fd_read/pread/write/pwrite: rights, the iovec array and the count slot are
    // checked before `io(handle, slices)` moves the bytes; its count goes to `count_out`.
    template<typename Slice, typename Io>
    Errno transfer(u32 fd, u64 required, u32 iovs, u32 iovs_len, u32 count_out, Io io);
    Errno write_filestat(const GuestMemory&, u32 address, const FileStat&);
    // Success unless `name` in `directory` is a symlink whose text does not only descend
    // (NotCapable): path_rename and path_link may not move such a link.
    Errno check_link_may_move(HostHandle directory, StringView name);
    Errno write_string_list(const Vector<String>&, u32 pointers, u32 buffer);
    Errno string_list_sizes(const Vector<String>&, u32 count_out, u32 size_out);

    WasiSystem& m_system;
    const runtime::VMMemory* m_memory { nullptr };
    Vector<String> m_arguments;
    Vector<String> m_environment;
    Vector<FdEntry> m_descriptors;
    // The proc_exit status with kExitSet, or 0: atomic, so that a thread's proc_exit needs
    // no lock another thread's blocking call may hold.
    static constexpr u64 kExitSet = u64 { 1 } << 32;
    u64 m_exit_word { 0 };
    bool m_threaded { false };
    mutable CallLock m_call_lock;
    ExitHook m_exit_hook { nullptr };
    void* m_exit_hook_data { nullptr };
};

} // namespace wk::engine::wasi
