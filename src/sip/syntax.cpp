#include "sip/syntax.hpp"

namespace va::sip {
namespace {
// RFC 3261 §25.1: the non-alphanumeric characters of token, unreserved and word (Call-ID).
constexpr CharSet kTokenMarks("-.!%*_+`'~");
constexpr CharSet kUnreservedMarks("-_.!~*'()");
constexpr CharSet kCallIdMarks("-.!%*_+`'~()<>:\\\"/[]?{}@");
}  // namespace

bool is_token_char(char c) {
  return is_alnum(c) || kTokenMarks.contains(c);
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_token_char(c)) return false;
  return true;
}

bool is_unreserved(char c) {
  return is_alnum(c) || kUnreservedMarks.contains(c);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ws(s.back())) s.remove_suffix(1);
  return s;
}

std::size_t quoted_string_end(std::string_view s, std::size_t open) {
  for (std::size_t i = open + 1; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;  // quoted-pair: the next byte is literal, whatever it is
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

std::size_t find_unquoted(std::string_view s, char c, std::size_t from) {
  bool in_angle = false;
  for (std::size_t i = from; i < s.size(); ++i) {
    char ch = s[i];
    if (ch == '"' && !in_angle) {
      std::size_t end = quoted_string_end(s, i);
      if (end == std::string_view::npos) return std::string_view::npos;
      i = end - 1;
      continue;
    }
    if (in_angle) {
      if (ch == '>') in_angle = false;
      continue;
    }
    if (ch == c) return i;
    if (ch == '<') in_angle = true;
  }
  return std::string_view::npos;
}

bool split_list(std::string_view value, std::vector<std::string_view>& out) {
  std::size_t start = 0;
  bool in_angle = false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    char ch = value[i];
    if (ch == '"' && !in_angle) {
      std::size_t end = quoted_string_end(value, i);
      if (end == std::string_view::npos) return false;
      i = end - 1;
    } else if (in_angle) {
      if (ch == '>') in_angle = false;
    } else if (ch == '<') {
      in_angle = true;
    } else if (ch == ',') {
      std::string_view item = trim(value.substr(start, i - start));
      if (!item.empty()) out.push_back(item);
      start = i + 1;
    }
  }
  if (in_angle) return false;
  std::string_view item = trim(value.substr(start));
  if (!item.empty()) out.push_back(item);
  return true;
}

Result<std::string> unquote(std::string_view quoted) {
  if (quoted.size() < 2 || quoted.front() != '"' || quoted_string_end(quoted, 0) != quoted.size())
    return parse_error(ParseErrorCode::bad_quoted_string, "not a single quoted string");
  std::string out;
  out.reserve(quoted.size() - 2);
  for (std::size_t i = 1; i + 1 < quoted.size(); ++i) {
    char c = quoted[i];
    if (c == '\\') {
      c = quoted[++i];
      // quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F): CR and LF cannot be escaped.
      if (c == '\r' || c == '\n')
        return parse_error(ParseErrorCode::bad_quoted_string, "escaped CR or LF in quoted string");
    } else if (c == '\r' || c == '\n') {
      return parse_error(ParseErrorCode::bad_quoted_string, "CR or LF in quoted string");
    }
    out.push_back(c);
  }
  return out;
}

std::string quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string unquote_if_quoted(std::string_view s) {
  if (!s.empty() && s.front() == '"') {
    auto r = unquote(s);
    if (r) return std::move(r).value();
  }
  return std::string(s);
}

std::optional<std::uint64_t> parse_decimal(std::string_view digits, std::uint64_t max) {
  if (digits.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : digits) {
    if (!is_digit(c)) return std::nullopt;
    std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (value > (max - d) / 10) return std::nullopt;
    value = value * 10 + d;
  }
  return value;
}

bool is_call_id(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_alnum(c) && !kCallIdMarks.contains(c)) return false;
  return true;
}

using ascii::hex_value;

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = hex_value(s[i + 1]);
    int lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

void percent_encode(std::string_view s, bool (*allowed)(char), std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : s) {
    if (allowed(c)) {
      out.push_back(c);
    } else {
      auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 0xF]);
    }
  }
}

bool all_allowed_or_escaped(std::string_view s, bool (*allowed)(char)) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || hex_value(s[i + 1]) < 0 || hex_value(s[i + 2]) < 0) return false;
      i += 2;
    } else if (!allowed(s[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace va::sip
