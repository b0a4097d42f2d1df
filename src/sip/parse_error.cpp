#include "sip/parse_error.hpp"

namespace va::sip {

std::string_view to_string(ParseErrorCode code) {
  switch (code) {
    case ParseErrorCode::empty_message:
      return "empty_message";
    case ParseErrorCode::bad_start_line:
      return "bad_start_line";
    case ParseErrorCode::bad_method:
      return "bad_method";
    case ParseErrorCode::bad_version:
      return "bad_version";
    case ParseErrorCode::bad_status_code:
      return "bad_status_code";
    case ParseErrorCode::bad_request_uri:
      return "bad_request_uri";
    case ParseErrorCode::bad_header_line:
      return "bad_header_line";
    case ParseErrorCode::bad_header_value:
      return "bad_header_value";
    case ParseErrorCode::bad_uri:
      return "bad_uri";
    case ParseErrorCode::bad_host:
      return "bad_host";
    case ParseErrorCode::bad_params:
      return "bad_params";
    case ParseErrorCode::bad_quoted_string:
      return "bad_quoted_string";
    case ParseErrorCode::bad_address:
      return "bad_address";
    case ParseErrorCode::bad_via:
      return "bad_via";
    case ParseErrorCode::bad_cseq:
      return "bad_cseq";
    case ParseErrorCode::bad_number:
      return "bad_number";
    case ParseErrorCode::bad_media_type:
      return "bad_media_type";
    case ParseErrorCode::bad_auth:
      return "bad_auth";
    case ParseErrorCode::missing_header:
      return "missing_header";
    case ParseErrorCode::duplicate_header:
      return "duplicate_header";
    case ParseErrorCode::cseq_method_mismatch:
      return "cseq_method_mismatch";
    case ParseErrorCode::missing_content_length:
      return "missing_content_length";
    case ParseErrorCode::body_truncated:
      return "body_truncated";
    case ParseErrorCode::headers_too_large:
      return "headers_too_large";
    case ParseErrorCode::too_many_headers:
      return "too_many_headers";
    case ParseErrorCode::body_too_large:
      return "body_too_large";
  }
  return "unknown";
}

std::string ParseError::to_string() const {
  std::string out(sip::to_string(code));
  if (!header.empty()) out += " (" + header + ")";
  if (!message.empty()) out += ": " + message;
  return out;
}

std::string ParseError::reason_phrase() const {
  // Header names come from our table or passed the token grammar, so they are safe in a status line; the
  // length cap keeps a hostile name from making the response large.
  std::string name = header.substr(0, 64);
  switch (code) {
    case ParseErrorCode::missing_header:
      return "Missing " + name + " Header";
    case ParseErrorCode::duplicate_header:
      return "Duplicate " + name + " Header";
    case ParseErrorCode::cseq_method_mismatch:
      return "CSeq Method Mismatch";
    case ParseErrorCode::bad_start_line:
      return "Malformed Request Line";
    case ParseErrorCode::bad_method:
      return "Malformed Method";
    case ParseErrorCode::bad_version:
      return "Unsupported SIP Version";
    case ParseErrorCode::bad_request_uri:
      return "Malformed Request-URI";
    case ParseErrorCode::bad_header_line:
      return "Malformed Header Line";
    case ParseErrorCode::missing_content_length:
      return "Missing Content-Length Header";
    case ParseErrorCode::body_truncated:
      return "Body Shorter Than Content-Length";
    case ParseErrorCode::headers_too_large:
      return "Headers Too Large";
    case ParseErrorCode::too_many_headers:
      return "Too Many Headers";
    case ParseErrorCode::body_too_large:
      return "Body Too Large";
    default:
      break;
  }
  if (!name.empty()) return "Malformed " + name + " Header";
  return "Bad Request";
}

}  // namespace va::sip
