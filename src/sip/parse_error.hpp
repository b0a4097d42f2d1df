// Typed errors of the SIP message layer. Untrusted network input never throws or crashes: every parser
// returns Result<T>, which holds either the value or a ParseError saying what was wrong and in which header.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "common/result.hpp"

namespace va::sip {

enum class ParseErrorCode {
  empty_message,
  bad_start_line,
  bad_method,
  bad_version,
  bad_status_code,
  bad_request_uri,
  bad_header_line,   // not "name: value", or a continuation line with nothing to continue
  bad_header_value,  // a header whose value does not match its grammar (see ParseError::header)
  bad_uri,
  bad_host,
  bad_params,
  bad_quoted_string,
  bad_address,
  bad_via,
  bad_cseq,
  bad_number,
  bad_media_type,
  bad_auth,
  missing_header,
  duplicate_header,
  cseq_method_mismatch,
  missing_content_length,  // stream transports need Content-Length (RFC 3261 §18.3)
  body_truncated,          // fewer body bytes than Content-Length
  headers_too_large,
  too_many_headers,
  body_too_large,
};

std::string_view to_string(ParseErrorCode code);

struct ParseError {
  ParseErrorCode code = ParseErrorCode::bad_start_line;
  std::string message;  // human-readable detail, for logs
  std::string header;   // canonical header name when the error is about one header, else empty

  // "bad_via (Via): missing branch"
  std::string to_string() const;
  // A short reason phrase for a 400 response (RFC 3261 §21.4.1 suggests e.g. "Missing Call-ID Header").
  std::string reason_phrase() const;
};

// Either a value or the ParseError explaining why there is none.
template <class T>
using Result = va::Result<T, ParseError>;

// Shorthand for building errors at the point of detection.
inline ParseError parse_error(ParseErrorCode code, std::string message, std::string_view header = {}) {
  return ParseError{code, std::move(message), std::string(header)};
}

}  // namespace va::sip
