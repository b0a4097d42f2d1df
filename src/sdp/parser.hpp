// Reading SDP bodies received from the network (RFC 4566 §5, §9).
//
// Strict where a mistake would change what a call does (the v/o/s/t/c/m lines, ports, payload types,
// connection addresses, rtpmap), tolerant of what real peers write and what costs nothing to accept: CRLF, LF
// or CR line ends, blank lines, leading and trailing spaces and tabs, several spaces between fields, session
// lines in any order after v=, an empty s=. Attributes other than rtpmap are kept as text and read on demand
// (session_description.hpp), so an odd one never rejects a call.
//
// Never throws and never reads past the input; sizes are bounded by ParseLimits.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "sdp/session_description.hpp"

namespace va::sdp {

struct ParseLimits {
  std::size_t max_bytes = 64 * 1024;  // a UDP datagram cannot carry more anyway
  std::size_t max_lines = 2048;
  std::size_t max_line_length = 4096;
  std::size_t max_media = 32;
  std::size_t max_formats = 128;  // per m= line
};

enum class ParseErrorKind : std::uint8_t {
  too_large,           // more bytes, lines or m= lines than ParseLimits allow, or a line too long
  invalid_character,   // a control character (NUL, ...) inside a line
  bad_line,            // not "<letter>=<value>"
  unknown_type,        // a type letter RFC 4566 does not define
  misplaced_line,      // v= not first, or a session-only line after the first m=
  duplicate_line,      // a second o=, s=, session c=, ...
  missing_line,        // no v=, o=, s= or t=
  bad_version,         // v= other than 0
  bad_origin,          // o=
  bad_timing,          // t= or r=
  bad_connection,      // c=
  missing_connection,  // a stream without c= at either level
  bad_bandwidth,       // b=
  bad_media,           // m= structure: missing fields, no formats
  bad_port,            // m= port or port count
  bad_format,          // an RTP payload type that is not a number 0-127
  bad_attribute,       // a= without a valid name, or an unreadable a=rtpmap
};
std::string_view to_string(ParseErrorKind kind);

struct ParseError {
  ParseErrorKind kind = ParseErrorKind::bad_line;
  std::size_t line = 0;  // 1-based; the line after the last one for "missing" problems found at the end
  std::string message;   // what is wrong, naming the offending text

  // "line 7: m= port '70000' is not a port number (0-65535)"
  std::string to_string() const;
};

struct ParseResult {
  SessionDescription description;  // meaningful only when ok()
  std::optional<ParseError> error;
  bool ok() const { return !error.has_value(); }
};

ParseResult parse(std::string_view text, const ParseLimits& limits = {});

}  // namespace va::sdp
