#include "sip/stream_framer.hpp"

#include <algorithm>
#include <limits>

#include "sip/header.hpp"
#include "sip/header_section.hpp"
#include "sip/syntax.hpp"

namespace va::sip {

namespace {

struct LengthScan {
  std::optional<std::size_t> length;
  std::optional<ParseError> error;
};

// Content-Length as the parser will see it (same field reader, same unfolding), without parsing the rest.
LengthScan scan_content_length(std::string_view data, std::size_t start, std::size_t end) {
  LengthScan scan;
  std::string_view head = data.substr(0, end);
  // The parser skips CR/LF before the start line; so does this scan, to agree on which line is the start
  // line.
  HeaderFieldReader reader(head, read_line(head, skip_leading_line_breaks(head, start)).next);
  RawHeaderField field;
  while (reader.next(field)) {
    if (!field.has_colon || header_id(field.name) != HeaderId::content_length) continue;
    std::string value = field.folded ? unfold(field.value) : std::string(trim(field.value));
    auto n = parse_decimal(value, std::numeric_limits<std::uint32_t>::max());
    if (!n) {
      scan.error = parse_error(ParseErrorCode::bad_number, "malformed Content-Length", "Content-Length");
      return scan;
    }
    if (scan.length && *scan.length != *n) {
      scan.error = parse_error(ParseErrorCode::duplicate_header, "conflicting Content-Length values",
                               "Content-Length");
      return scan;
    }
    scan.length = static_cast<std::size_t>(*n);
  }
  if (!scan.length)
    scan.error = parse_error(ParseErrorCode::missing_content_length, "Content-Length is required on streams",
                             "Content-Length");
  return scan;
}

}  // namespace

void StreamFramer::feed(std::string_view bytes) {
  if (failed()) return;
  // Drop consumed bytes before growing, so a long-lived connection does not keep every message it carried.
  if (pos_ > 0 && (pos_ == buffer_.size() || pos_ >= buffer_.size() / 2)) {
    buffer_.erase(0, pos_);
    scan_from_ -= std::min(scan_from_, pos_);
    if (pending_end_ > 0) pending_end_ -= pos_;
    pos_ = 0;
  }
  buffer_.append(bytes);
}

void StreamFramer::consume(std::size_t n) {
  pos_ += n;
  scan_from_ = pos_;
  pending_end_ = 0;
}

StreamEvent StreamFramer::fail(ParseError error) {
  fatal_ = error;
  StreamEvent e;
  e.kind = StreamEventKind::error;
  e.error = std::move(error);
  e.fatal = true;
  return e;
}

StreamEvent StreamFramer::next() {
  if (fatal_) {
    StreamEvent e;
    e.kind = StreamEventKind::error;
    e.error = fatal_;
    e.fatal = true;
    return e;
  }
  std::string_view data(buffer_);
  // Bare LFs between messages are tolerated and skipped without an event.
  while (pending_end_ == 0 && pos_ < data.size() && data[pos_] == '\n') consume(1);
  std::size_t avail = data.size() - pos_;

  if (pending_end_ == 0 && avail > 0 && data[pos_] == '\r') {
    // Keep-alives between messages (RFC 5626 §4.4.1; RFC 3261 §7.5 says CRLFs before a start line are
    // ignored).
    if (avail < 2) return {};
    if (data[pos_ + 1] == '\n') {
      bool double_crlf = avail >= 4 && data[pos_ + 2] == '\r' && data[pos_ + 3] == '\n';
      if (double_crlf) {
        consume(4);
        return {StreamEventKind::keepalive_ping, std::nullopt, std::nullopt, false, {}};
      }
      // "\r\n\r" may still become a ping; a lone "\r\n" at the end of the data is a pong (a client waiting
      // for its pong must not wait for more bytes that will never come).
      if (avail == 3 && data[pos_ + 2] == '\r') return {};
      consume(2);
      return {StreamEventKind::keepalive_pong, std::nullopt, std::nullopt, false, {}};
    }
  }
  if (avail == 0) return {};

  if (pending_end_ == 0) {
    std::size_t end = find_header_section_end(data, pos_, scan_from_);
    if (end == std::string_view::npos) {
      if (avail > limits_.max_header_bytes)
        return fail(
            parse_error(ParseErrorCode::headers_too_large,
                        "header section exceeds " + std::to_string(limits_.max_header_bytes) + " bytes"));
      // Resume where an empty line could still complete ("\n" + "\r\n" is at most 3 bytes back).
      scan_from_ = data.size() >= 3 ? std::max(pos_, data.size() - 3) : pos_;
      return {};
    }
    if (end - pos_ > limits_.max_header_bytes)
      return fail(
          parse_error(ParseErrorCode::headers_too_large,
                      "header section exceeds " + std::to_string(limits_.max_header_bytes) + " bytes"));
    LengthScan scan = scan_content_length(data, pos_, end);
    if (scan.error) return fail(*scan.error);
    if (*scan.length > limits_.max_body_bytes)
      return fail(parse_error(ParseErrorCode::body_too_large,
                              "Content-Length exceeds " + std::to_string(limits_.max_body_bytes) + " bytes",
                              "Content-Length"));
    pending_end_ = end + *scan.length;
  }
  if (data.size() < pending_end_) return {};

  std::string_view framed = data.substr(pos_, pending_end_ - pos_);
  StreamEvent e;
  auto parsed = parse_message(framed, Framing::stream, limits_);
  if (parsed) {
    e.kind = StreamEventKind::message;
    e.message = std::move(parsed).value();
  } else {
    e.kind = StreamEventKind::error;
    e.error = parsed.error();
    e.raw = std::string(framed);
  }
  consume(framed.size());
  return e;
}

}  // namespace va::sip
