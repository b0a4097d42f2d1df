// The open TCP/TLS connections of the transport layer (RFC 3261 §18: connection reuse), looked up by id (to
// answer over the connection a request came on, §18.2.2) and by transport + remote endpoint (to send new
// requests over an existing connection, §18.1.1).
//
// One periodic sweep (not a timer per connection) applies the policy: connections that take too long to be
// established, carried no SIP traffic for the idle timeout, or left a keep-alive ping unanswered are closed;
// outbound connections on which we have been silent for the keep-alive interval get a CRLFCRLF ping
// (RFC 5626 §4.4.1), which keeps NAT bindings open and detects dead peers.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "sip/flow.hpp"
#include "sip/stream_connection.hpp"

namespace va::sip {

struct ConnectionPolicy {
  std::chrono::milliseconds connect_timeout{10'000};  // TCP connect plus TLS handshake
  std::chrono::milliseconds idle_timeout{300'000};    // no SIP message or keep-alive either way
  std::chrono::milliseconds keepalive_interval{
      90'000};  // outbound only; 0 disables pings (RFC 5626: 95-120 s)
  std::chrono::milliseconds keepalive_timeout{
      10'000};  // pong not received → the flow is dead (RFC 5626 §4.4.1)
  std::chrono::milliseconds sweep_interval{1'000};
  std::size_t max_connections = 10'000;  // inbound connections beyond this are refused
};

class ConnectionTable {
 public:
  using Clock = StreamConnection::Clock;

  void add(const std::shared_ptr<StreamConnection>& connection);
  void remove(const StreamConnection& connection);

  std::shared_ptr<StreamConnection> by_id(std::uint64_t id) const;
  // The most recently added usable connection to that remote endpoint over that transport.
  std::shared_ptr<StreamConnection> by_remote(TransportKind transport, const Endpoint& remote) const;

  std::size_t size() const { return by_id_.size(); }
  std::size_t count(TransportKind transport) const;

  // Applies ConnectionPolicy at `now`. Connections are closed after the scan, so their on_stream_closed
  // callbacks (which remove them from this table) never run while it iterates.
  void sweep(Clock::time_point now, const ConnectionPolicy& policy);
  // Closes every connection (shutdown).
  void close_all();

 private:
  struct RemoteKey {
    TransportKind transport;
    Endpoint remote;
    friend bool operator==(const RemoteKey&, const RemoteKey&) = default;
  };
  struct RemoteKeyHash {
    std::size_t operator()(const RemoteKey& k) const {
      return EndpointHash{}(k.remote) * 3 + static_cast<std::size_t>(k.transport);
    }
  };

  std::unordered_map<std::uint64_t, std::shared_ptr<StreamConnection>> by_id_;
  std::unordered_map<RemoteKey, std::uint64_t, RemoteKeyHash> by_remote_;
};

}  // namespace va::sip
