#include "common/config_reader.hpp"

#include <algorithm>
#include <array>
#include <map>

namespace va::config::detail {

namespace {
constexpr EnumName<Transport> kTransports[] = {
    {"udp", Transport::udp}, {"tcp", Transport::tcp}, {"tls", Transport::tls}};
constexpr EnumName<TrunkMode> kTrunkModes[] = {{"register", TrunkMode::register_},
                                               {"static_ip", TrunkMode::static_ip}};
constexpr EnumName<Codec> kCodecs[] = {
    {"PCMU", Codec::pcmu}, {"PCMA", Codec::pcma}, {"G722", Codec::g722}, {"G729", Codec::g729}};
constexpr EnumName<Language> kLanguages[] = {{"ru", Language::ru}, {"en", Language::en}};
constexpr EnumName<SrtpMode> kSrtpModes[] = {
    {"off", SrtpMode::off}, {"optional", SrtpMode::optional}, {"required", SrtpMode::required}};
constexpr EnumName<LogLevel> kLogLevels[] = {{"info", LogLevel::info},    {"trace", LogLevel::trace},
                                             {"debug", LogLevel::debug},  {"warn", LogLevel::warn},
                                             {"warning", LogLevel::warn}, {"error", LogLevel::error}};
constexpr EnumName<LogFormat> kLogFormats[] = {
    {"auto", LogFormat::automatic}, {"json", LogFormat::json}, {"console", LogFormat::console}};
constexpr EnumName<CallerChoice> kCallerChoices[] = {{"sip_or_first", CallerChoice::sip_or_first},
                                                     {"sip", CallerChoice::sip}};
constexpr EnumName<RoomHangup> kRoomHangups[] = {{"delete_room", RoomHangup::delete_room},
                                                 {"remove_participant", RoomHangup::remove_participant}};
constexpr EnumName<RouteLiveKitMode> kRouteLiveKitModes[] = {{"room", RouteLiveKitMode::room},
                                                             {"bridge", RouteLiveKitMode::bridge}};
constexpr EnumName<RecordMode> kRecordModes[] = {
    {"off", RecordMode::off}, {"stereo", RecordMode::stereo}, {"split", RecordMode::split}};
}  // namespace

std::span<const EnumName<Transport>> enum_names(Transport) {
  return kTransports;
}
std::span<const EnumName<TrunkMode>> enum_names(TrunkMode) {
  return kTrunkModes;
}
std::span<const EnumName<Codec>> enum_names(Codec) {
  return kCodecs;
}
std::span<const EnumName<Language>> enum_names(Language) {
  return kLanguages;
}
std::span<const EnumName<SrtpMode>> enum_names(SrtpMode) {
  return kSrtpModes;
}
std::span<const EnumName<LogFormat>> enum_names(LogFormat) {
  return kLogFormats;
}
std::span<const EnumName<CallerChoice>> enum_names(CallerChoice) {
  return kCallerChoices;
}
std::span<const EnumName<RoomHangup>> enum_names(RoomHangup) {
  return kRoomHangups;
}
std::span<const EnumName<RouteLiveKitMode>> enum_names(RouteLiveKitMode) {
  return kRouteLiveKitModes;
}
std::span<const EnumName<RecordMode>> enum_names(RecordMode) {
  return kRecordModes;
}
std::span<const EnumName<LogLevel>> enum_names(LogLevel) {
  // Canonical names first for each value: the Writer picks the first match.
  return kLogLevels;
}

bool is_yaml11_false(std::string_view text) {
  for (std::string_view word : {"false", "no", "off"}) {
    if (text.size() == word.size() && std::equal(word.begin(), word.end(), text.begin(), [](char a, char b) {
          return a == std::tolower(static_cast<unsigned char>(b));
        }))
      return true;
  }
  return false;
}

bool is_yaml11_boolean(std::string_view text) {
  if (is_yaml11_false(text)) return true;
  for (std::string_view word : {"true", "yes", "on"}) {
    if (text.size() == word.size() && std::equal(word.begin(), word.end(), text.begin(), [](char a, char b) {
          return a == std::tolower(static_cast<unsigned char>(b));
        }))
      return true;
  }
  return false;
}

std::string yaml_boolean_hint(std::string_view key, std::string_view example) {
  std::string quoted = "\"" + std::string(example) + "\"";
  return "; unquoted yes/no/on/off/true/false are booleans in YAML 1.1 (a tool may have rewritten the "
         "value): write the value in quotes, e.g. " +
         (key.empty() ? quoted : std::string(key) + ": " + quoted);
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                                 std::tolower(static_cast<unsigned char>(b[j - 1]))
                             ? 0
                             : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    auto d = edit_distance(word, c);
    // A candidate that contains the word (or vice versa) is a good guess too: "listen_address" → "listen".
    if (d >= best_distance && word.size() >= 4 &&
        (c.find(word) != std::string::npos || word.find(c) != std::string_view::npos))
      d = best_distance - 1;
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

int line_of(const YAML::Node& node) {
  if (!node.IsDefined()) return 0;
  auto mark = node.Mark();
  return mark.is_null() ? 0 : mark.line + 1;
}

Diagnostic LoadContext::make(std::string path, std::string message, const YAML::Node* node) const {
  Diagnostic d;
  for (const auto& o : overridden_paths) {
    // The diagnostic is about an overridden value, something inside it, or a mapping an override created.
    if (path == o || path.starts_with(o + ".") || path.starts_with(o + "[") || o.starts_with(path + ".") ||
        o.starts_with(path + "["))
      d.from_override = true;
  }
  d.line = (node != nullptr && !d.from_override) ? line_of(*node) : 0;
  d.path = std::move(path);
  d.message = std::move(message);
  return d;
}

Reader::Reader(LoadContext& ctx, YAML::Node node, std::string path)
    : ctx_(ctx), node_(std::move(node)), path_(std::move(path)) {
  if (!node_.IsMap()) return;
  std::map<std::string, int> seen;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (!it->first.IsScalar()) {
      ctx_.errors.push_back(ctx_.make(path_, "keys must be plain names", &it->first));
      continue;
    }
    auto key = it->first.Scalar();
    if (auto [pos, inserted] = seen.emplace(key, line_of(it->first)); !inserted) {
      ctx_.errors.push_back(
          ctx_.make(child_path(key),
                    "duplicate key (first defined on line " + std::to_string(pos->second) + ")", &it->first));
    }
  }
}

std::string Reader::child_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

std::optional<YAML::Node> Reader::lookup(std::string_view key) const {
  if (!node_.IsMap()) return std::nullopt;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) return it->second;
  }
  return std::nullopt;
}

bool Reader::present(std::string_view key) const {
  auto node = lookup(key);
  return node.has_value() && !node->IsNull();
}

void Reader::error(std::string_view key, std::string message) {
  auto node = lookup(key);
  ctx_.errors.push_back(ctx_.make(child_path(key), std::move(message), node ? &*node : &node_));
}

void Reader::warning(std::string_view key, std::string message) {
  auto node = lookup(key);
  ctx_.warnings.push_back(ctx_.make(child_path(key), std::move(message), node ? &*node : &node_));
}

void Reader::finish() {
  if (!node_.IsMap()) return;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (!it->first.IsScalar()) continue;
    const auto& key = it->first.Scalar();
    if (std::find(asked_.begin(), asked_.end(), key) != asked_.end()) continue;
    std::string message = "unknown key";
    if (auto guess = closest(key, asked_)) {
      message += "; did you mean '" + *guess + "'?";
    } else {
      std::string known;
      for (const auto& k : asked_) known += (known.empty() ? "" : ", ") + k;
      message += " (known keys here: " + known + ")";
    }
    ctx_.errors.push_back(ctx_.make(child_path(key), message, &it->first));
  }
}

std::optional<std::string> Reader::scalar(const YAML::Node& node, const std::string& path,
                                          std::string_view expected) {
  if (!node.IsScalar()) {
    type_error(node, path, expected, node.IsSequence() ? "a list" : node.IsMap() ? "a mapping" : "nothing");
    return std::nullopt;
  }
  auto sub = substitute_env(node.Scalar(), ctx_.env);
  for (auto& e : sub.errors) ctx_.errors.push_back(ctx_.make(path, std::move(e), &node));
  if (!sub.errors.empty()) return std::nullopt;
  return std::move(sub.value);
}

void Reader::type_error(const YAML::Node& node, const std::string& path, std::string_view expected,
                        std::string_view got) {
  ctx_.errors.push_back(
      ctx_.make(path, "expected " + std::string(expected) + ", got " + std::string(got), &node));
}

void Reader::collect_secret(const std::string& value) {
  if (!value.empty()) ctx_.secrets.push_back(value);
}

}  // namespace va::config::detail
