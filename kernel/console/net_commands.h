#pragma once

#include <string_view>

namespace wk::kernel::console {

// Console commands around the network (kernel/drivers/network.h, kernel/net).
// net                       the interface: MAC, link, address, lease and the counters
// net wait SECONDS          wait until DHCP gave an address
void command_net(std::string_view arguments);
// ping ADDRESS [COUNT]      ICMP echo requests, one a second (default 4), and the replies
void command_ping(std::string_view arguments);
// udpecho PORT COUNT [SECONDS]   send back the first COUNT datagrams that reach PORT
void command_udpecho(std::string_view arguments);
// udpsend ADDRESS PORT TEXT      send TEXT and print the reply (waits 5 s)
void command_udpsend(std::string_view arguments);
// tcpecho PORT COUNT [SECONDS]   accept COUNT TCP connections in turn, echo each until it closes
void command_tcpecho(std::string_view arguments);

} // namespace wk::kernel::console
