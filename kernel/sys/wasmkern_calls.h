#pragma once

#include "base/types.h"
#include "kernel/sys/wasmkern_module.h"

// The calls of the `wasmkern` import module kept outside wasmkern_module.cpp (which defines
// them all): handles (wasmkern_handles.cpp), channels (wasmkern_channels.cpp), events, timers and ports
// (wasmkern_events.cpp) and direct calls
// (wasmkern_direct_calls.cpp). Each takes
// i32 parameters and returns a WASI errno (docs/process-abi.md).
namespace wk::kernel::sys::calls {

u32 handle_close(WasmkernCaller&, u32 handle);
u32 handle_duplicate(WasmkernCaller&, u32 handle, u32 rights, u32 handle_out);
u32 handles(WasmkernCaller&, u32 buffer, u32 length, u32 count_out);
u32 process_info(WasmkernCaller&, u32 handle, u32 buffer, u32 length);
u32 process_by_pid(WasmkernCaller&, u32 resource, u32 pid, u32 handle_out);

u32 channel_create(WasmkernCaller&, u32 handles_out);
u32 channel_write(WasmkernCaller&, u32 handle, u32 bytes_ptr, u32 bytes_len, u32 handles_ptr, u32 handles_count);
u32 channel_read(WasmkernCaller&, u32 handle, u32 bytes_ptr, u32 bytes_capacity, u32 handles_ptr, u32 handles_capacity,
                 u32 actual_out);
u32 wait_many(WasmkernCaller&, u32 items_ptr, u32 count, u32 timeout_ms);
u32 wait_many_until(WasmkernCaller&, u32 items_ptr, u32 count, u32 deadline_low, u32 deadline_high);

u32 event_create(WasmkernCaller&, u32 handle_out);
u32 event_signal(WasmkernCaller&, u32 handle, u32 set_mask, u32 clear_mask);
u32 timer_create(WasmkernCaller&, u32 handle_out);
u32 timer_set(WasmkernCaller&, u32 handle, u32 deadline_low, u32 deadline_high);
u32 timer_set_slack(WasmkernCaller&, u32 handle, u32 deadline_low, u32 deadline_high, u32 slack_ns);
u32 timer_cancel(WasmkernCaller&, u32 handle);
u32 port_create(WasmkernCaller&, u32 handle_out);
u32 port_add(WasmkernCaller&, u32 port, u32 handle, u32 key, u32 wanted);
u32 port_remove(WasmkernCaller&, u32 port, u32 key);
u32 port_queue(WasmkernCaller&, u32 port, u32 key, u32 signals);
u32 port_wait(WasmkernCaller&, u32 port, u32 deadline_low, u32 deadline_high, u32 packets_ptr, u32 capacity,
              u32 count_out);

// The network calls (wasmkern_net.cpp, docs/networking.md "Outbound"): each but net_status
// needs the root resource with the net right.
u32 sock_connect(WasmkernCaller&, u32 resource, u32 addr_ptr, u32 addr_len, u32 port, u32 fd_out);
u32 resolve(WasmkernCaller&, u32 resource, u32 name_ptr, u32 name_len, u32 addr_out);
u32 ping(WasmkernCaller&, u32 resource, u32 addr_ptr, u32 addr_len, u32 sequence, u32 timeout_ms, u32 info_out);
u32 net_status(WasmkernCaller&, u32 buffer, u32 length);
// UDP: binding needs the net right; the descriptor it gives is the capability for the rest.
u32 udp_bind(WasmkernCaller&, u32 resource, u32 port, u32 fd_out);
u32 udp_send_to(WasmkernCaller&, u32 fd, u32 addr_ptr, u32 addr_len, u32 port, u32 buf_ptr, u32 buf_len, u32 sent_out);
u32 udp_recv_from(WasmkernCaller&, u32 fd, u32 buf_ptr, u32 buf_len, u32 info_out);

u32 call_offer(WasmkernCaller&, u32 table_index, u32 handle_out);
u32 call(WasmkernCaller&, u32 handle, u32 args_ptr, u32 args_count, u32 results_ptr, u32 results_count, u32 window_ptr,
         u32 window_len);
u32 call_serve(WasmkernCaller&);
u32 call_window_read(WasmkernCaller&, u32 window_offset, u32 bytes_ptr, u32 length);
u32 call_window_write(WasmkernCaller&, u32 window_offset, u32 bytes_ptr, u32 length);

} // namespace wk::kernel::sys::calls
