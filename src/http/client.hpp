// An HTTP/1.1 client for one origin (Boost.Beast): what voice-agent uses to talk to the LiveKit server API
// and, later, to outbound webhook receivers and HTTP speech engines.
//
// Synchronous by design: callers are the CLI (provision, check) and background threads (health monitors),
// never the io_context threads that serve SIP and HTTP. One connection is kept alive between requests. A
// request that finds its kept-alive connection closed by the server before any byte of the response came
// back is sent again once on a new connection (the server never saw it, RFC 9112 §9.3.1 allows the retry);
// any other failure is reported, never retried here — retries are the caller's policy.
//
// Every step has a deadline: connect (resolve + TCP + TLS handshake) and the whole request. https verifies
// the server's certificate chain (system store, plus an optional CA file) and its host name, and sends SNI.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "http/message.hpp"

namespace va::http {

// scheme://host[:port][/base/path] with scheme http or https. IPv6 literals in brackets.
struct Origin {
  bool tls = false;
  std::string host;  // without brackets
  std::uint16_t port = 0;
  std::string base_path;  // "" or "/prefix" (no trailing slash)

  // nullopt with `error` set when `url` is not an http(s) URL we can use.
  static std::optional<Origin> parse(std::string_view url, std::string& error);
  std::string to_string() const;  // "https://host:port/prefix"
};

struct ClientOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{10000};
  std::size_t max_response_bytes = 8 * 1024 * 1024;
  std::string ca_file;  // extra trusted CAs (PEM) for https; empty: the system store only
  std::string user_agent = "voice-agent";
};

enum class ClientErrorKind { resolve, connect, tls, timeout, io, response_too_large, bad_response };
std::string_view to_string(ClientErrorKind kind);

struct ClientError {
  ClientErrorKind kind = ClientErrorKind::io;
  std::string message;  // "connect 127.0.0.1:7880: Connection refused"
};

struct ClientResponse {
  unsigned status = 0;
  std::vector<Header> headers;
  std::string body;
  bool reused_connection = false;  // sent over a kept-alive connection
  bool stopped = false;            // request_streaming: the chunk handler asked to stop reading

  std::string_view header(std::string_view name) const;  // case-insensitive; empty when absent
};

using ClientResult = std::variant<ClientResponse, ClientError>;

// Gets each piece of a streamed response body as it arrives; returns false to stop reading.
using BodyChunkHandler = std::function<bool(std::string_view piece)>;

class Client {
 public:
  Client(Origin origin, ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // `target` is appended to the origin's base path ("/twirp/livekit.RoomService/ListRooms"). Thread-safe:
  // requests from several threads are serialised over the one connection. Never throws on network input.
  ClientResult request(std::string_view method, std::string_view target, const std::vector<Header>& headers,
                       std::string_view body);

  // Like request(), but a 2xx body goes to `on_chunk` piece by piece as it arrives (chunked or not) instead
  // of into ClientResponse::body; a non-2xx body is collected into ClientResponse::body (max_response_bytes)
  // for the caller's error message. connect_timeout bounds connecting, request_timeout the wait for the
  // header and then each stall between pieces (not the whole stream). `on_chunk` returning false returns the
  // response with `stopped` set; the connection is kept only if the body ends within a short grace.
  ClientResult request_streaming(std::string_view method, std::string_view target,
                                 const std::vector<Header>& headers, std::string_view body,
                                 const BodyChunkHandler& on_chunk);

  const Origin& origin() const { return origin_; }
  // For the next requests (a client lent by ClientPool is its borrower's alone).
  void set_request_timeout(std::chrono::milliseconds timeout) {
    std::lock_guard lock(mutex_);
    options_.request_timeout = timeout;
  }
  // Drops the kept-alive connection (the next request opens a new one).
  void close();

 private:
  struct Connection;
  std::optional<ClientError> connect_locked();  // a new connection; mutex_ held

  Origin origin_;
  ClientOptions options_;
  std::mutex mutex_;
  std::unique_ptr<Connection> connection_;
};

}  // namespace va::http
