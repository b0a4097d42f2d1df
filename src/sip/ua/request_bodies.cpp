#include "sip/ua/request_bodies.hpp"

#include <algorithm>
#include <charconv>

#include "sip/syntax.hpp"

namespace va::sip {
namespace {

constexpr std::chrono::milliseconds kMaxDtmfDuration{10'000};

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::optional<char> dtmf_digit(std::string_view value) {
  if (value.empty()) return std::nullopt;
  char c = value.front();
  if (c >= 'a' && c <= 'd') c = static_cast<char>(c - 'a' + 'A');
  if (is_digit(c) || c == '*' || c == '#' || (c >= 'A' && c <= 'D')) return c;
  return std::nullopt;
}

}  // namespace

std::optional<DtmfRelay> parse_dtmf_relay(std::string_view body) {
  std::optional<char> digit;
  std::chrono::milliseconds duration{100};
  while (!body.empty()) {
    auto end = body.find('\n');
    auto line = body.substr(0, end);
    body = end == std::string_view::npos ? std::string_view{} : body.substr(end + 1);
    auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    auto name = trim_spaces(line.substr(0, eq));
    auto value = trim_spaces(line.substr(eq + 1));
    if (iequals(name, "signal")) {
      if (auto c = dtmf_digit(value)) digit = c;
    } else if (iequals(name, "duration")) {
      long long ms = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
      if (ec == std::errc{} && ptr == value.data() + value.size())
        duration = std::chrono::milliseconds(std::clamp<long long>(ms, 0, kMaxDtmfDuration.count()));
    }
  }
  if (!digit) return std::nullopt;
  return DtmfRelay{*digit, duration};
}

std::optional<int> sipfrag_status(std::string_view body) {
  auto line = body.substr(0, body.find_first_of("\r\n"));
  constexpr std::string_view prefix = "SIP/2.0 ";
  if (!line.starts_with(prefix) || line.size() < prefix.size() + 3) return std::nullopt;
  int status = 0;
  for (std::size_t i = prefix.size(); i < prefix.size() + 3; ++i) {
    if (!is_digit(line[i])) return std::nullopt;
    status = status * 10 + (line[i] - '0');
  }
  if (status < 100 || status > 699) return std::nullopt;
  if (line.size() > prefix.size() + 3 && line[prefix.size() + 3] != ' ') return std::nullopt;
  return status;
}

}  // namespace va::sip
