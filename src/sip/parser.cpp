#include "sip/parser.hpp"

#include <limits>

#include "sip/header_section.hpp"
#include "sip/syntax.hpp"

namespace va::sip {

namespace {

// Header values are TEXT-UTF8 and LWS: control characters other than HT have no place in them (and a bare CR
// or NUL smuggled into a value would survive into logs and re-serialized output).
bool has_control_char(std::string_view s) {
  for (char c : s) {
    auto b = static_cast<unsigned char>(c);
    if ((b < 0x20 && c != '\t') || b == 0x7f) return true;
  }
  return false;
}

bool is_sip_version(std::string_view s) {
  return iequals(s, "SIP/2.0");
}
bool looks_like_version(std::string_view s) {
  return s.size() >= 4 && iequals(s.substr(0, 4), "SIP/");
}

Result<Message> parse_start_line(std::string_view line) {
  if (has_control_char(line))
    return parse_error(ParseErrorCode::bad_start_line, "control character in start line");
  if (looks_like_version(line)) {
    std::size_t sp = line.find(' ');
    if (!is_sip_version(line.substr(0, sp)))
      return parse_error(ParseErrorCode::bad_version, "unsupported SIP version");
    if (sp == std::string_view::npos)
      return parse_error(ParseErrorCode::bad_status_code, "missing status code");
    std::string_view rest = line.substr(sp + 1);
    std::string_view code = rest.substr(0, 3);
    auto status = parse_decimal(code, 999);
    if (code.size() != 3 || !status || *status < 100 || *status > 699)
      return parse_error(ParseErrorCode::bad_status_code, "status code not in 100-699");
    if (rest.size() > 3 && rest[3] != ' ')
      return parse_error(ParseErrorCode::bad_status_code, "status code not followed by SP");
    Message m = Message::response(static_cast<int>(*status), "-");
    m.set_reason(std::string(rest.size() > 4 ? rest.substr(4) : std::string_view{}));
    return m;
  }
  std::size_t sp1 = line.find(' ');
  std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos)
    return parse_error(ParseErrorCode::bad_start_line, "malformed Request-Line");
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method)) return parse_error(ParseErrorCode::bad_method, "method is not a token");
  if (!is_sip_version(version)) {
    bool other_version = looks_like_version(version) && version.find(' ') == std::string_view::npos;
    return other_version ? parse_error(ParseErrorCode::bad_version, "unsupported SIP version")
                         : parse_error(ParseErrorCode::bad_start_line, "malformed Request-Line");
  }
  auto uri = parse_uri(target);
  if (!uri) return parse_error(ParseErrorCode::bad_request_uri, uri.error().message);
  return Message::request(std::string(method), std::move(uri).value());
}

ParseError header_error(ParseError error, const Header& h) {
  error.header = h.name;
  return error;
}

// Grammar of the headers the SIP core relies on, and single-instance rules (§7.3.1: only list headers may
// repeat). Other headers are checked when their typed accessor is used.
std::optional<ParseError> check_core_headers(const Message& m) {
  int from = 0, to = 0, call_id = 0, cseq = 0, max_forwards = 0, content_type = 0;
  std::optional<std::uint64_t> content_length;
  for (const auto& h : m.headers()) {
    switch (h.id) {
      case HeaderId::via: {
        auto r = parse_via_list(h.value);
        if (!r) return header_error(r.error(), h);
        break;
      }
      case HeaderId::from:
      case HeaderId::to: {
        ++(h.id == HeaderId::from ? from : to);
        auto r = parse_address(h.value);
        if (!r) return header_error(r.error(), h);
        break;
      }
      case HeaderId::call_id:
        ++call_id;
        if (!is_call_id(h.value))
          return parse_error(ParseErrorCode::bad_header_value, "malformed Call-ID", h.name);
        break;
      case HeaderId::cseq: {
        ++cseq;
        auto r = parse_cseq(h.value);
        if (!r) return header_error(r.error(), h);
        break;
      }
      case HeaderId::content_length: {
        auto n = parse_decimal(h.value, std::numeric_limits<std::uint32_t>::max());
        if (!n) return parse_error(ParseErrorCode::bad_number, "malformed Content-Length", h.name);
        if (content_length && *content_length != *n)
          return parse_error(ParseErrorCode::duplicate_header, "conflicting Content-Length values", h.name);
        content_length = n;
        break;
      }
      case HeaderId::max_forwards:
        ++max_forwards;
        if (!parse_decimal(h.value, 255))
          return parse_error(ParseErrorCode::bad_number, "Max-Forwards not in 0-255", h.name);
        break;
      case HeaderId::contact: {
        if (h.value == "*") break;
        auto r = parse_address_list(h.value);
        if (!r) return header_error(r.error(), h);
        break;
      }
      case HeaderId::route:
      case HeaderId::record_route: {
        auto r = parse_address_list(h.value);
        if (!r) return header_error(r.error(), h);
        break;
      }
      case HeaderId::content_type: {
        ++content_type;
        auto r = parse_media_type(h.value);
        if (!r) return header_error(r.error(), h);
        break;
      }
      default:
        break;
    }
  }
  struct Single {
    int count;
    HeaderId id;
  };
  for (Single s : {Single{from, HeaderId::from}, Single{to, HeaderId::to}, Single{call_id, HeaderId::call_id},
                   Single{cseq, HeaderId::cseq}, Single{max_forwards, HeaderId::max_forwards},
                   Single{content_type, HeaderId::content_type}}) {
    if (s.count > 1)
      return parse_error(ParseErrorCode::duplicate_header, "header appears more than once",
                         canonical_header_name(s.id));
  }
  return std::nullopt;
}

ParseError too_large_headers(const ParseLimits& limits) {
  return parse_error(ParseErrorCode::headers_too_large,
                     "header section exceeds " + std::to_string(limits.max_header_bytes) + " bytes");
}

}  // namespace

Result<Message> parse_message(std::string_view data, Framing framing, const ParseLimits& limits) {
  std::size_t start = skip_leading_line_breaks(data);
  if (start >= data.size()) return parse_error(ParseErrorCode::empty_message, "no start line");
  Line first = read_line(data, start);
  if (first.text.size() > limits.max_header_bytes) return too_large_headers(limits);
  if (!first.terminated) return parse_error(ParseErrorCode::bad_start_line, "start line without line end");
  auto parsed = parse_start_line(first.text);
  if (!parsed) return parsed;
  Message& m = *parsed;

  auto& headers = m.mutable_headers();
  headers.reserve(16);
  HeaderFieldReader reader(data, first.next);
  RawHeaderField field;
  while (reader.next(field)) {
    if (reader.position() - start > limits.max_header_bytes) return too_large_headers(limits);
    if (headers.size() >= limits.max_headers)
      return parse_error(ParseErrorCode::too_many_headers,
                         "more than " + std::to_string(limits.max_headers) + " header fields");
    if (field.leading_ws)
      return parse_error(ParseErrorCode::bad_header_line, "continuation line after start line");
    if (!field.has_colon || !is_token(field.name))
      return parse_error(ParseErrorCode::bad_header_line, "not a header field");
    std::string value = field.folded ? unfold(field.value) : std::string(trim(field.value));
    Header h = Header::make(field.name, std::move(value));
    if (has_control_char(h.value))
      return parse_error(ParseErrorCode::bad_header_value, "control character in header value", h.name);
    headers.push_back(std::move(h));
  }
  if (!reader.end_found())
    return parse_error(ParseErrorCode::bad_header_line, "header section not ended by an empty line");
  std::size_t body_start = reader.position();
  if (body_start - start > limits.max_header_bytes) return too_large_headers(limits);
  if (auto bad = check_core_headers(m)) return *bad;

  std::string_view rest = data.substr(body_start);
  std::string_view body = rest;
  if (const Header* cl = m.find(HeaderId::content_length)) {
    // Validated by check_core_headers.
    auto length =
        static_cast<std::size_t>(*parse_decimal(cl->value, std::numeric_limits<std::uint32_t>::max()));
    if (length > limits.max_body_bytes)
      return parse_error(ParseErrorCode::body_too_large,
                         "Content-Length exceeds " + std::to_string(limits.max_body_bytes) + " bytes");
    if (length > rest.size())
      return parse_error(
          ParseErrorCode::body_truncated,
          "Content-Length " + std::to_string(length) + " but " + std::to_string(rest.size()) + " body bytes",
          "Content-Length");
    body = rest.substr(0, length);  // §18.3: bytes beyond Content-Length are discarded
  } else if (framing == Framing::stream) {
    return parse_error(ParseErrorCode::missing_content_length, "Content-Length is required on streams",
                       "Content-Length");
  }
  if (body.size() > limits.max_body_bytes)
    return parse_error(ParseErrorCode::body_too_large,
                       "body exceeds " + std::to_string(limits.max_body_bytes) + " bytes");
  m.set_body(std::string(body));
  return parsed;
}

std::optional<ParseError> check_mandatory_headers(const Message& message) {
  for (HeaderId id : {HeaderId::via, HeaderId::from, HeaderId::to, HeaderId::call_id, HeaderId::cseq}) {
    if (message.find(id) == nullptr)
      return parse_error(ParseErrorCode::missing_header,
                         "no " + std::string(canonical_header_name(id)) + " header",
                         canonical_header_name(id));
  }
  if (message.is_request()) {
    auto cseq = message.cseq();
    if (!cseq) return cseq.error();
    if (cseq->method_name != message.method_name())
      return parse_error(ParseErrorCode::cseq_method_mismatch, "CSeq method differs from the request method",
                         "CSeq");
  }
  return std::nullopt;
}

}  // namespace va::sip
