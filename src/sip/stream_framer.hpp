// Cuts a TCP/TLS byte stream into SIP messages (RFC 3261 §18.3): feed() bytes as they arrive, then call
// next() until it says need_more. Handles messages split anywhere and several messages in one read, and
// reports the RFC 5626 §4.4.1 keep-alives: a CRLFCRLF "ping" (answer with a CRLF "pong") and a single CRLF
// "pong".
//
// Errors come in two kinds. A message that was framed but does not parse (bad From, bad Request-URI, ...) is
// reported with its bytes, so the transport can answer 400 (bad_request.hpp), and framing continues. When the
// framing itself is lost (no or bad Content-Length, header section or body over the limits) the error is
// fatal: failed() becomes true, next() keeps returning that error and the connection must be closed.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "sip/message.hpp"
#include "sip/parse_error.hpp"
#include "sip/parser.hpp"

namespace va::sip {

enum class StreamEventKind {
  need_more,       // feed more bytes
  message,         // `message` holds a parsed message
  keepalive_ping,  // CRLFCRLF: the peer expects a CRLF back
  keepalive_pong,  // a lone CRLF: the answer to our ping
  error,           // `error` says why; `fatal` tells whether the stream can go on; `raw` holds the bytes
};

struct StreamEvent {
  StreamEventKind kind = StreamEventKind::need_more;
  std::optional<Message> message;
  std::optional<ParseError> error;
  bool fatal = false;
  std::string raw;  // for non-fatal errors: the framed message that failed to parse
};

class StreamFramer {
 public:
  explicit StreamFramer(ParseLimits limits = {}) : limits_(limits) {}

  void feed(std::string_view bytes);
  StreamEvent next();

  bool failed() const { return fatal_.has_value(); }
  std::size_t buffered() const { return buffer_.size() - pos_; }

 private:
  StreamEvent fail(ParseError error);
  void consume(std::size_t n);

  ParseLimits limits_;
  std::string buffer_;
  std::size_t pos_ = 0;          // start of unconsumed data in buffer_
  std::size_t scan_from_ = 0;    // where to resume looking for the end of the header section
  std::size_t pending_end_ = 0;  // when > 0: buffer index where the message being waited for ends
  std::optional<ParseError> fatal_;
};

}  // namespace va::sip
