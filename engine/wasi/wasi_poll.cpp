// poll_oneoff: clock subscriptions become a timeout, fd subscriptions on regular files
// are always ready, the others wait in the system's poll.
#include "engine/wasi/wasi_context.h"

namespace wk::engine::wasi {

namespace {

struct Subscription {
    u64 userdata { 0 };
    EventType type { EventType::Clock };
    Errno error { Errno::Success };
    bool ready { false };
    bool hangup { false };
    u64 nbytes { 0 };
    u64 wait { 0 };       // clocks: nanoseconds from now until the deadline
    i64 poll_index { -1 }; // fds handed to the system's poll
};

void put_event(u8* record, const Subscription& subscription)
{
    __builtin_memset(record, 0, layout::kEventSize);
    __builtin_memcpy(record, &subscription.userdata, 8);
    u16 error = static_cast<u16>(subscription.error);
    __builtin_memcpy(record + 8, &error, 2);
    record[10] = static_cast<u8>(subscription.type);
    if (subscription.type != EventType::Clock) {
        __builtin_memcpy(record + 16, &subscription.nbytes, 8);
        u16 flags = subscription.hangup ? eventrwflags::kHangup : 0;
        __builtin_memcpy(record + 24, &flags, 2);
    }
}

} // namespace

Errno WasiContext::poll_oneoff(u32 in, u32 out, u32 nsubscriptions, u32 nevents_out)
{
    if (nsubscriptions == 0 || nsubscriptions > kMaxSubscriptions)
        return Errno::Inval;
    GuestMemory guest = memory();
    if (!guest.contains(in, u64 { nsubscriptions } * layout::kSubscriptionSize)
        || !guest.contains(out, u64 { nsubscriptions } * layout::kEventSize) || !guest.contains(nevents_out, 4))
        return Errno::Fault;

    Vector<Subscription> subscriptions;
    Vector<PollRequest> requests;
    if (!subscriptions.try_resize(nsubscriptions))
        return Errno::NoMem;

    bool have_clock = false;
    bool any_immediate = false;
    u64 shortest_wait = ~u64 { 0 };
    for (u32 i = 0; i < nsubscriptions; ++i) {
        u64 at = in + u64 { i } * layout::kSubscriptionSize;
        Subscription& s = subscriptions[i];
        s.userdata = *guest.read_u64(at);
        u8 tag = *guest.read_u8(at + 8);
        if (tag > static_cast<u8>(EventType::FdWrite))
            return Errno::Inval;
        s.type = static_cast<EventType>(tag);
        if (s.type == EventType::Clock) {
            u32 id = *guest.read_u32(at + 16);
            u64 timeout = *guest.read_u64(at + 24);
            u16 flags = *guest.read_u16(at + 40);
            if (id > static_cast<u32>(ClockId::ThreadCputime)) {
                s.error = Errno::Inval;
                s.ready = any_immediate = true;
                continue;
            }
            u64 wait = timeout;
            if (flags & subclockflags::kAbstime) {
                auto now = m_system.clock_time(static_cast<ClockId>(id));
                if (!now) {
                    s.error = now.error();
                    s.ready = any_immediate = true;
                    continue;
                }
                wait = timeout > *now ? timeout - *now : 0;
            }
            s.wait = wait;
            have_clock = true;
            if (wait < shortest_wait)
                shortest_wait = wait;
            continue;
        }
        u32 fd = *guest.read_u32(at + 16);
        auto entry = descriptor(fd, rights::kPollFdReadwrite);
        if (!entry) {
            s.error = entry.error();
            s.ready = any_immediate = true;
            continue;
        }
        if ((*entry)->filetype == Filetype::RegularFile) {
            // Regular files never block; for reads, report what is left after the position.
            if (s.type == EventType::FdRead) {
                auto stat = m_system.stat((*entry)->handle);
                auto position = m_system.seek((*entry)->handle, 0, Whence::Cur);
                if (stat && position && stat->size > *position)
                    s.nbytes = stat->size - *position;
            }
            s.ready = any_immediate = true;
            continue;
        }
        PollRequest request { (*entry)->handle, s.type == EventType::FdRead, s.type == EventType::FdWrite };
        if (!requests.try_append(request))
            return Errno::NoMem;
        s.poll_index = static_cast<i64>(requests.size() - 1);
    }

    bool clock_fired = false;
    if (!any_immediate) {
        if (!requests.is_empty()) {
            std::optional<u64> timeout;
            if (have_clock)
                timeout = shortest_wait;
            auto polled = m_system.poll(requests.span(), timeout);
            if (!polled)
                return polled.error();
            bool any_ready = false;
            for (const PollRequest& request : requests)
                any_ready = any_ready || request.ready || request.hangup;
            clock_fired = !any_ready && have_clock;
        } else if (have_clock) {
            if (shortest_wait > 0)
                m_system.sleep(shortest_wait);
            clock_fired = true;
        }
    }

    u32 count = 0;
    for (Subscription& s : subscriptions) {
        if (s.poll_index >= 0) {
            const PollRequest& request = requests[static_cast<usize>(s.poll_index)];
            s.ready = request.ready || request.hangup;
            s.hangup = request.hangup;
            s.nbytes = request.available_bytes;
        } else if (s.type == EventType::Clock && s.error == Errno::Success) {
            s.ready = s.wait == 0 || (clock_fired && s.wait == shortest_wait);
        }
        if (!s.ready)
            continue;
        u8 record[layout::kEventSize];
        put_event(record, s);
        (void)guest.write_bytes(out + u64 { count } * layout::kEventSize, ReadonlyBytes(record, sizeof(record)));
        ++count;
    }
    return guest.write_u32(nevents_out, count);
}

} // namespace wk::engine::wasi
