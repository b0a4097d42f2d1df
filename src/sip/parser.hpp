// Parsing whole messages (RFC 3261 §7, §18.3). The datagram parser takes one UDP payload; the stream framer
// (stream_framer.hpp) cuts TCP/TLS byte streams into the same input. Checks the start line, every header
// line, the grammar of the headers the SIP core depends on (Via, From, To, Call-ID, CSeq, Contact, Route,
// Record-Route, Max-Forwards, Content-Length, Content-Type) and the body length. Never throws.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "sip/message.hpp"
#include "sip/parse_error.hpp"

namespace va::sip {

struct ParseLimits {
  std::size_t max_header_bytes = 64 * 1024;  // start line, headers and the empty line
  std::size_t max_headers = 256;
  std::size_t max_body_bytes = 1024 * 1024;
};

enum class Framing {
  // UDP (§18.3): without Content-Length the body is the rest of the datagram; a larger Content-Length is an
  // error; a smaller one truncates the body.
  datagram,
  // TCP/TLS: Content-Length is mandatory and the data is exactly one message (as cut by StreamFramer).
  stream,
};

// A datagram of nothing but CR/LF (a keep-alive some UAs send over UDP) is ParseErrorCode::empty_message:
// drop it without counting it as malformed.
Result<Message> parse_message(std::string_view data, Framing framing = Framing::datagram,
                              const ParseLimits& limits = {});

// The headers every request and response needs (§8.1.1): Via, From, To, Call-ID and CSeq, and for requests a
// CSeq method equal to the request method. Returns the first problem, or nullopt. Max-Forwards is not
// required: a UAS can serve a request without it.
std::optional<ParseError> check_mandatory_headers(const Message& message);

}  // namespace va::sip
