// A WebSocket client connection (RFC 6455) over Boost.Beast: ws:// or wss:// (OpenSSL, peer verified like
// http::Client), one binary/text message at a time in, a queue of binary messages out. The transport of the
// LiveKit agent worker protocol (agent_worker.hpp); kept apart so the protocol code reads as protocol.
//
// Every member function must be called on the connection's executor (a strand), and every handler runs
// there. The object keeps itself alive while operations are in flight; close() ends them.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace va::livekit {

struct WebSocketOptions {
  std::chrono::milliseconds connect_timeout{10000};  // resolve + TCP + TLS + upgrade, in total
  std::size_t max_message_bytes = 4 * 1024 * 1024;   // larger messages end the connection
  std::string ca_file;                               // extra trusted CAs (PEM) for wss; empty: system store
  std::string user_agent = "voice-agent";
};

// `url` (ws, wss, http or https; http/https are taken as ws/wss) plus `path` appended to its own path:
// ("wss://host/prefix/", "/agent") → wss://host/prefix/agent. nullopt with `error` for an unusable URL.
struct WebSocketTarget {
  bool tls = false;
  std::string host;
  std::uint16_t port = 0;
  std::string path;  // request target, starting with '/'
  static std::optional<WebSocketTarget> parse(std::string_view url, std::string_view path,
                                              std::string& error);
  std::string to_string() const;  // "wss://host:port/path"
};

class WebSocketClient : public std::enable_shared_from_this<WebSocketClient> {
 public:
  using Header = std::pair<std::string, std::string>;
  // nullopt: open; otherwise why not ("connect 127.0.0.1:7880: Connection refused", "HTTP 401 ...").
  using ConnectHandler = std::function<void(std::optional<std::string> error)>;
  using MessageHandler = std::function<void(std::string payload, bool binary)>;
  // Why the connection ended: "closed by the server (1000 ...)", "read: end of stream", ...
  using ClosedHandler = std::function<void(std::string reason)>;

  static std::shared_ptr<WebSocketClient> create(boost::asio::any_io_executor executor,
                                                 WebSocketOptions options);
  ~WebSocketClient();
  WebSocketClient(const WebSocketClient&) = delete;
  WebSocketClient& operator=(const WebSocketClient&) = delete;

  // Opens the connection, sending `headers` with the upgrade request.
  void connect(const WebSocketTarget& target, std::vector<Header> headers, ConnectHandler done);
  // Reads messages until the connection ends; `closed` runs once (not after close()).
  void start_reading(MessageHandler on_message, ClosedHandler closed);
  // Queues a binary message; dropped when the connection is not open.
  void send_binary(std::string payload);
  // Sends a close frame (best effort) and ends the connection; no handler runs afterwards.
  void close();
  bool is_open() const;

 private:
  struct Impl;
  explicit WebSocketClient(std::unique_ptr<Impl> impl);
  void on_deadline(const boost::system::error_code& ec);
  void on_resolved(const boost::system::error_code& ec, boost::asio::ip::tcp::resolver::results_type results);
  void on_connected(const boost::system::error_code& ec);
  void upgrade();
  void on_upgraded(const boost::system::error_code& ec);
  void read_next();
  void on_read(const boost::system::error_code& ec);
  void write_next();
  void on_written(const boost::system::error_code& ec);
  std::unique_ptr<Impl> impl_;
};

}  // namespace va::livekit
