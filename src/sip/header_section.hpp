// The header section of a message as bytes (RFC 3261 §7): the start line, header fields that may be folded
// over several lines (LWS continuation, §7.3.1), and the empty line that ends it. Line ends are CRLF; a bare
// LF is accepted as well, as most deployed stacks do. Shared by the datagram parser, the stream framer and
// the 400 builder so all three see the same fields.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace va::sip {

// Skips CR and LF before the start line (RFC 3261 §7.5: ignored on streams; stray ones in datagrams too).
std::size_t skip_leading_line_breaks(std::string_view data, std::size_t pos = 0);

// Index just past the empty line ending the header section that starts at `start`, or npos when the data
// does not contain it yet. `from` (>= start) lets a caller resume a search over data that has grown.
std::size_t find_header_section_end(std::string_view data, std::size_t start, std::size_t from);

// One physical line: its content without the line end, and where the next line starts.
struct Line {
  std::string_view text;
  std::size_t next = 0;
  bool terminated = false;  // false when the data ended before a line end
};
Line read_line(std::string_view data, std::size_t pos);

struct RawHeaderField {
  std::string_view name;   // trimmed text before ':' (not yet validated as a token)
  std::string_view value;  // raw text after ':' up to the end of the field, continuation lines included
  bool has_colon = false;
  bool folded = false;
  bool leading_ws = false;  // the field's first line starts with white space: a continuation of nothing
};

// Reads header fields from `data` starting at `pos` (just after the start line) until the empty line.
class HeaderFieldReader {
 public:
  HeaderFieldReader(std::string_view data, std::size_t pos) : data_(data), pos_(pos) {}
  // False at the empty line or at the end of the data; `end_found()` tells which.
  bool next(RawHeaderField& field);
  bool end_found() const { return end_found_; }
  // After next() returned false with end_found(): the first byte after the empty line.
  std::size_t position() const { return pos_; }

 private:
  std::string_view data_;
  std::size_t pos_;
  bool end_found_ = false;
};

// The value with every line break and the white space around it replaced by one SP, trimmed.
std::string unfold(std::string_view raw_value);

}  // namespace va::sip
