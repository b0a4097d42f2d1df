#include "common/duration.hpp"

#include <cctype>
#include <cmath>
#include <limits>

#include "common/ascii.hpp"

namespace va {
namespace {

// Parses a non-negative decimal number ("12", "1.5") at the front of `text`, advancing it.
std::optional<double> take_number(std::string_view& text) {
  std::size_t i = 0;
  bool digits = false;
  double value = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    value = value * 10 + (text[i] - '0');
    digits = true;
    ++i;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    double scale = 0.1;
    bool fraction = false;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      value += (text[i] - '0') * scale;
      scale /= 10;
      fraction = true;
      ++i;
    }
    if (!fraction) return std::nullopt;
  }
  if (!digits) return std::nullopt;
  text.remove_prefix(i);
  return value;
}

std::string_view take_unit(std::string_view& text) {
  std::size_t i = 0;
  while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
  auto unit = text.substr(0, i);
  text.remove_prefix(i);
  return unit;
}

using ascii::iequals;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  if (text == "0") return Duration(0);  // zero is zero in every unit ("retention: 0", keep forever)
  double total_ms = 0;
  while (!text.empty()) {
    auto number = take_number(text);
    if (!number) return std::nullopt;
    auto unit = take_unit(text);
    double scale = 0;
    if (unit == "ms") {
      scale = 1;
    } else if (unit == "s") {
      scale = 1000;
    } else if (unit == "m") {
      scale = 60'000;
    } else if (unit == "h") {
      scale = 3'600'000;
    } else if (unit == "d") {
      scale = 86'400'000;  // retention periods (recording.retention: 30d)
    } else {
      return std::nullopt;
    }
    total_ms += *number * scale;
  }
  // Ten years is far beyond any sensible timer; reject instead of overflowing.
  if (!(total_ms <= 10.0 * 365 * 24 * 3'600'000)) return std::nullopt;
  return Duration(static_cast<Duration::rep>(std::llround(total_ms)));
}

std::string format_duration(Duration d) {
  auto ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  if (ms % 1000 != 0) return out + std::to_string(ms) + "ms";
  auto s = ms / 1000;
  if (s >= 3600) {
    out += std::to_string(s / 3600) + "h";
    s %= 3600;
  }
  if (s >= 60) {
    out += std::to_string(s / 60) + "m";
    s %= 60;
  }
  if (s > 0) out += std::to_string(s) + "s";
  return out;
}

std::optional<ByteSize> parse_byte_size(std::string_view text) {
  text = trim(text);
  auto number = take_number(text);
  if (!number) return std::nullopt;
  auto unit = trim(text);
  double scale = 0;
  struct Unit {
    std::string_view name;
    double scale;
  };
  static constexpr Unit kUnits[] = {
      {"", 1},       {"b", 1},         {"kb", 1e3},         {"mb", 1e6},
      {"gb", 1e9},   {"kib", 1024.0},  {"mib", 1048576.0},  {"gib", 1073741824.0},
      {"k", 1024.0}, {"m", 1048576.0}, {"g", 1073741824.0},
  };
  for (const auto& u : kUnits) {
    if (iequals(unit, u.name)) scale = u.scale;
  }
  if (scale == 0) return std::nullopt;
  double bytes = *number * scale;
  if (!(bytes < static_cast<double>(std::numeric_limits<std::uint64_t>::max() / 2))) return std::nullopt;
  if (bytes != std::floor(bytes)) return std::nullopt;
  return ByteSize{static_cast<std::uint64_t>(bytes)};
}

std::string format_byte_size(ByteSize size) {
  auto b = size.bytes;
  if (b != 0 && b % 1073741824 == 0) return std::to_string(b / 1073741824) + "GiB";
  if (b != 0 && b % 1048576 == 0) return std::to_string(b / 1048576) + "MiB";
  if (b != 0 && b % 1024 == 0) return std::to_string(b / 1024) + "KiB";
  return std::to_string(b);
}

}  // namespace va
