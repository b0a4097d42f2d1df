// Test harness for the SIP transport and transaction layers: an io_context on a background thread, a TU
// that records what the layer tells it, a response collector, raw UDP/TCP sockets that inject exact bytes
// and capture what the layer sends, and a formatter for hand-written requests. Everything runs over real
// loopback sockets with ports chosen by the kernel.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/metrics.hpp"
#include "sip/message.hpp"
#include "sip/parser.hpp"
#include "sip/transaction_layer.hpp"
#include "sip/transaction_user.hpp"

namespace va::sip::test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Timers short enough for tests: T1 = 10 ms, so Timer B/F/H/J/L/M = 640 ms.
TimerSettings fast_timers();
TransactionLayerOptions layer_options(std::vector<std::string> listen, TimerSettings timers = fast_timers());

// Waits (polling) until `condition` holds or `timeout` passes.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 3s);

// Declare it before anything that keeps handles (a RecordingUser): handles refer to the io_context.
class IoRunner {
 public:
  IoRunner();
  ~IoRunner();
  boost::asio::io_context& io() { return io_; }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::thread thread_;
};

// A TU that records every callback. `on_request_hook` (set before traffic starts) may answer.
class RecordingUser : public TransactionUser {
 public:
  enum class Kind { request, cancel, stray_request, stray_response, failure };
  struct Event {
    Kind kind;
    Message message;
    Flow flow;
    ServerTransactionHandle handle;
    ServerTransactionHandle invite;  // for Kind::cancel
    ServerTransactionFailure failure = ServerTransactionFailure::no_ack;
  };

  std::function<void(const ServerTransactionHandle&, const IncomingMessage&)> on_request_hook;
  bool answer_cancel_by_default = true;

  void on_request(const ServerTransactionHandle& transaction, const IncomingMessage& request) override;
  void on_cancel(const ServerTransactionHandle& cancel, const ServerTransactionHandle& invite,
                 const IncomingMessage& request) override;
  void on_stray_request(const IncomingMessage& request) override;
  void on_stray_response(const IncomingMessage& response) override;
  void on_server_transaction_failed(const ServerTransactionHandle& transaction,
                                    ServerTransactionFailure failure) override;

  std::size_t count(Kind kind) const;
  // Waits until at least `n` events of `kind` were recorded; returns the n-th (1-based) or nullopt.
  std::optional<Event> wait_for(Kind kind, std::size_t n = 1, std::chrono::milliseconds timeout = 3s);
  std::vector<Event> events() const;

 private:
  void record(Event event);
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Event> events_;
};

// Collects the responses of one client transaction.
class ResponseLog {
 public:
  ResponseHandler handler();
  std::optional<ClientResponse> wait_for_status(int status, std::chrono::milliseconds timeout = 3s);
  std::optional<ClientResponse> wait_for_final(std::chrono::milliseconds timeout = 3s);
  std::vector<ClientResponse> responses() const;
  std::size_t count(int status) const;

 private:
  std::optional<ClientResponse> wait(const std::function<bool(const ClientResponse&)>& match,
                                     std::chrono::milliseconds timeout);
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<ClientResponse> responses_;
};

struct Datagram {
  std::string data;
  Endpoint from;
  double arrival_seconds = 0;  // kernel receive timestamp (SCM_TIMESTAMP), for interval checks
  Message message() const;     // parsed; fails the test if it does not parse
};

// A plain UDP socket on 127.0.0.1 (or ::1) with an ephemeral port.
class RawUdp {
 public:
  explicit RawUdp(const std::string& ip = "127.0.0.1");
  ~RawUdp();
  RawUdp(const RawUdp&) = delete;
  RawUdp& operator=(const RawUdp&) = delete;

  Endpoint local() const { return local_; }
  void send_to(std::string_view data, const Endpoint& to);
  std::optional<Datagram> receive(std::chrono::milliseconds timeout = 2s);
  // Skips datagrams until one satisfies `match`.
  std::optional<Datagram> receive_matching(const std::function<bool(const Message&)>& match,
                                           std::chrono::milliseconds timeout = 2s);
  // Receives everything that arrives during `window`.
  std::vector<Datagram> drain(std::chrono::milliseconds window);

 private:
  int fd_ = -1;
  Endpoint local_;
};

// A plain TCP connection.
class RawTcp {
 public:
  explicit RawTcp(int fd) : fd_(fd) {}
  static RawTcp connect(const Endpoint& to);
  ~RawTcp();
  RawTcp(RawTcp&& other) noexcept : fd_(other.fd_), buffer_(std::move(other.buffer_)) { other.fd_ = -1; }
  RawTcp& operator=(RawTcp&&) = delete;

  void send(std::string_view data);
  // Reads until `buffered()` contains `needle` (returns true) or the timeout/EOF.
  bool read_until(std::string_view needle, std::chrono::milliseconds timeout = 2s);
  // Reads one complete SIP message (framed by Content-Length) from the stream.
  std::optional<Message> read_message(std::chrono::milliseconds timeout = 2s);
  // True when the peer closed the connection within `timeout`.
  bool closed_by_peer(std::chrono::milliseconds timeout);
  std::string& buffered() { return buffer_; }
  Endpoint local() const;

 private:
  bool fill(std::chrono::milliseconds timeout);  // false on timeout or EOF
  int fd_ = -1;
  std::string buffer_;
  bool eof_ = false;
};

class RawTcpServer {
 public:
  RawTcpServer();
  ~RawTcpServer();
  Endpoint local() const { return local_; }
  std::optional<RawTcp> accept(std::chrono::milliseconds timeout = 2s);

 private:
  int fd_ = -1;
  Endpoint local_;
};

// A request written by hand, byte for byte as a peer would send it.
struct RequestText {
  std::string method = "OPTIONS";
  std::string request_uri = "sip:service@127.0.0.1";
  std::string transport = "UDP";
  std::string sent_by;  // host:port of the Via
  std::string branch = "z9hG4bKtest1";
  bool rport = false;
  std::string from_tag = "caller1";
  std::string to_tag;
  std::string call_id = "call-1@test";
  std::uint32_t cseq = 1;
  std::string cseq_method;  // empty: same as method
  std::vector<std::string> extra_headers;
  std::string body;

  std::string to_string() const;
};

// A response written by hand to a request received raw: copies Via, From, To, Call-ID, CSeq.
std::string response_text(const Message& request, int status, std::string_view to_tag = {},
                          std::vector<std::string> extra_headers = {});

// A request for TransactionLayer::send_request (no Via).
Message make_request(std::string_view method, std::string_view request_uri,
                     std::string_view call_id = "call@test", std::uint32_t cseq = 1);

// sip_messages_dropped_total{transport,reason}
double dropped_count(metrics::Registry& registry, std::string_view transport, std::string_view reason);

Endpoint loopback(std::uint16_t port);

}  // namespace va::sip::test
