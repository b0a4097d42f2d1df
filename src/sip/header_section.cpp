#include "sip/header_section.hpp"

#include "sip/syntax.hpp"

namespace va::sip {

std::size_t skip_leading_line_breaks(std::string_view data, std::size_t pos) {
  while (pos < data.size() && (data[pos] == '\r' || data[pos] == '\n')) ++pos;
  return pos;
}

std::size_t find_header_section_end(std::string_view data, std::size_t start, std::size_t from) {
  std::size_t i = from < start ? start : from;
  while (true) {
    i = data.find('\n', i);
    if (i == std::string_view::npos) return std::string_view::npos;
    // A line end followed by an empty line: "\n\n" or "\n\r\n".
    if (i + 1 < data.size() && data[i + 1] == '\n') return i + 2;
    if (i + 2 < data.size() && data[i + 1] == '\r' && data[i + 2] == '\n') return i + 3;
    ++i;
  }
}

Line read_line(std::string_view data, std::size_t pos) {
  Line line;
  std::size_t lf = data.find('\n', pos);
  if (lf == std::string_view::npos) {
    line.text = data.substr(pos);
    line.next = data.size();
    return line;
  }
  std::size_t end = lf;
  if (end > pos && data[end - 1] == '\r') --end;
  line.text = data.substr(pos, end - pos);
  line.next = lf + 1;
  line.terminated = true;
  return line;
}

bool HeaderFieldReader::next(RawHeaderField& field) {
  if (pos_ >= data_.size()) return false;
  Line first = read_line(data_, pos_);
  if (first.text.empty() && first.terminated) {
    pos_ = first.next;
    end_found_ = true;
    return false;
  }
  field = RawHeaderField{};
  field.leading_ws = is_ws(first.text.empty() ? 'x' : first.text.front());
  std::size_t colon = first.text.find(':');
  std::size_t value_start = pos_;
  if (colon != std::string_view::npos) {
    field.has_colon = true;
    field.name = trim(first.text.substr(0, colon));
    value_start = pos_ + colon + 1;
  }
  std::size_t value_end = pos_ + first.text.size();
  pos_ = first.next;
  // Continuation lines start with SP or HT.
  while (first.terminated && pos_ < data_.size() && is_ws(data_[pos_])) {
    Line more = read_line(data_, pos_);
    value_end = pos_ + more.text.size();
    field.folded = true;
    pos_ = more.next;
    if (!more.terminated) break;
  }
  field.value = data_.substr(value_start, value_end - value_start);
  return true;
}

std::string unfold(std::string_view raw_value) {
  std::string out;
  out.reserve(raw_value.size());
  std::size_t i = 0;
  while (i < raw_value.size()) {
    char c = raw_value[i++];
    if (c != '\n') {
      out.push_back(c);
      continue;
    }
    // A line break: it and the white space around it become one SP. A CR is only part of a break when it
    // directly precedes the LF; any other CR stays (and is rejected as a control character by the parser).
    if (!out.empty() && out.back() == '\r') out.pop_back();
    while (!out.empty() && is_ws(out.back())) out.pop_back();
    while (i < raw_value.size() && is_ws(raw_value[i])) ++i;
    out.push_back(' ');
  }
  return std::string(trim(out));
}

}  // namespace va::sip
