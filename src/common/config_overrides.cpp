#include "common/config_overrides.hpp"

#include <cctype>
#include <charconv>
#include <vector>

namespace va::config {
namespace {

struct Segment {
  std::string key;                   // empty for a pure index segment
  std::optional<std::size_t> index;  // [N]
};

bool valid_key(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  }
  return true;
}

// "a.b[0].c" → {a}, {b}, {[0]}, {c}
std::optional<std::vector<Segment>> split_path(std::string_view path, std::string& error) {
  std::vector<Segment> out;
  std::size_t i = 0;
  while (i <= path.size()) {
    auto end = path.find_first_of(".[", i);
    std::string_view key = path.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
    if (!valid_key(key)) {
      error = "'" + std::string(path) + "' is not a key path (expected e.g. sip.trunks[0].port)";
      return std::nullopt;
    }
    out.push_back({std::string(key), std::nullopt});
    i = end;
    while (i != std::string_view::npos && i < path.size() && path[i] == '[') {
      auto close = path.find(']', i);
      if (close == std::string_view::npos) {
        error = "'" + std::string(path) + "': missing ']'";
        return std::nullopt;
      }
      std::size_t n = 0;
      auto digits = path.substr(i + 1, close - i - 1);
      auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
      if (digits.empty() || ec != std::errc() || p != digits.data() + digits.size() || n > 10'000) {
        error = "'" + std::string(path) + "': list index must be a number";
        return std::nullopt;
      }
      out.push_back({"", n});
      i = close + 1;
    }
    if (i == std::string_view::npos || i >= path.size()) break;
    if (path[i] != '.') {
      error = "'" + std::string(path) + "': expected '.' after ']'";
      return std::nullopt;
    }
    ++i;
    if (i == path.size()) {
      error = "'" + std::string(path) + "' ends with '.'";
      return std::nullopt;
    }
  }
  return out;
}

YAML::Node parse_value(const std::string& text) {
  // Only flow collections are parsed as YAML: everything else stays the literal text (the schema converts
  // it to the field's type), so "[::1]:8080" or "a: b" are never reinterpreted.
  bool collection = text.size() >= 2 && ((text.front() == '[' && text.back() == ']') ||
                                         (text.front() == '{' && text.back() == '}'));
  if (!collection) return YAML::Node(text);
  try {
    YAML::Node v = YAML::Load(text);
    if (v.IsNull() && text != "null" && text != "~") return YAML::Node(text);
    return v;
  } catch (const YAML::Exception&) {
    return YAML::Node(text);
  }
}

}  // namespace

std::optional<OverrideTarget> parse_override(std::string_view spec, std::string& error) {
  auto eq = spec.find('=');
  if (eq == std::string_view::npos) {
    error = "'" + std::string(spec) + "': expected key.path=value";
    return std::nullopt;
  }
  auto path = spec.substr(0, eq);
  if (!split_path(path, error)) return std::nullopt;
  return OverrideTarget{std::string(path), std::string(spec.substr(eq + 1))};
}

std::string apply_override(YAML::Node& root, const OverrideTarget& target) {
  std::string error;
  auto segments = split_path(target.path, error);
  if (!segments) return error;
  if (!root.IsMap()) root = YAML::Node(YAML::NodeType::Map);

  YAML::Node cur;
  cur.reset(root);
  std::string walked;
  for (std::size_t s = 0; s < segments->size(); ++s) {
    const auto& seg = (*segments)[s];
    bool last = s + 1 == segments->size();
    YAML::Node next;
    if (seg.index) {
      if (!cur.IsDefined() || cur.IsNull()) cur = YAML::Node(YAML::NodeType::Sequence);
      if (!cur.IsSequence()) return walked + " is not a list";
      if (*seg.index > cur.size())
        return walked + " has " + std::to_string(cur.size()) + " items; index " + std::to_string(*seg.index) +
               " would leave a gap";
      if (*seg.index == cur.size()) cur.push_back(YAML::Node());
      next.reset(cur[*seg.index]);
      walked += "[" + std::to_string(*seg.index) + "]";
    } else {
      if (!cur.IsDefined() || cur.IsNull()) cur = YAML::Node(YAML::NodeType::Map);
      if (!cur.IsMap()) return walked + " is not a mapping";
      next.reset(cur[seg.key]);
      walked += (walked.empty() ? "" : ".") + seg.key;
    }
    if (last) {
      next = parse_value(target.value);
      return {};
    }
    cur.reset(next);
  }
  return {};
}

}  // namespace va::config
