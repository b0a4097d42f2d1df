// Free ports on loopback for peers started by tests, chosen at run time.
//
// A port is handed out only when it can be bound right now on 127.0.0.1 (and ::1 when the host has IPv6)
// and nobody else holds it: a process-wide set keeps parallel tests in one process apart, and a byte-range
// lock on $TMPDIR/va-test-ports.lock keeps test processes run side by side (ctest -j) apart. Candidates
// come from below the kernel's ephemeral range (ip_local_port_range), so an outgoing connection of some
// other program cannot take a port between our check and the peer's bind.
//
// The reservation holds the port until it is destroyed; keep it alive as long as the peer uses the port.
#pragma once

#include <cstdint>
#include <string>

namespace va::test {

enum class PortProtocol { udp, tcp, udp_and_tcp };

class PortReservation {
 public:
  PortReservation() = default;
  ~PortReservation();
  PortReservation(const PortReservation&) = delete;
  PortReservation& operator=(const PortReservation&) = delete;
  PortReservation(PortReservation&& other) noexcept;
  PortReservation& operator=(PortReservation&& other) noexcept;

  bool empty() const { return count_ == 0; }
  std::uint16_t port() const { return first_; }  // the first (or only) port
  std::uint16_t first() const { return first_; }
  std::uint16_t last() const { return static_cast<std::uint16_t>(first_ + count_ - 1); }
  std::uint16_t count() const { return count_; }
  std::string range() const;  // "first-last", the form baresip's rtp_ports and tshark's portrange take

 private:
  friend PortReservation reserve_port_block(std::uint16_t count, PortProtocol protocol, bool even_start);
  PortReservation(std::uint16_t first, std::uint16_t count) : first_(first), count_(count) {}
  void release() noexcept;

  std::uint16_t first_ = 0;
  std::uint16_t count_ = 0;
};

// One port free for `protocol` (SIP listeners: both, so the same port works over UDP and TCP).
PortReservation reserve_port(PortProtocol protocol = PortProtocol::udp_and_tcp);

// `count` consecutive UDP ports starting on an even number: RTP on even ports, RTCP on the next odd one
// (RFC 3550 §11). Throws std::runtime_error when no such block is free.
PortReservation reserve_rtp_ports(std::uint16_t count);

// The general form behind both; throws std::runtime_error when nothing suitable is found.
PortReservation reserve_port_block(std::uint16_t count, PortProtocol protocol, bool even_start);

}  // namespace va::test
