#include "livekit/json_fields.hpp"

#include <charconv>

namespace va::livekit::json_fields {

const nlohmann::json* find(const nlohmann::json& json, std::initializer_list<std::string_view> names) {
  if (!json.is_object()) return nullptr;
  for (auto name : names) {
    auto it = json.find(name);
    if (it != json.end() && !it->is_null()) return &*it;
  }
  return nullptr;
}

std::string text(const nlohmann::json& json, std::initializer_list<std::string_view> names) {
  const auto* v = find(json, names);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

std::int64_t integer(const nlohmann::json& json, std::initializer_list<std::string_view> names) {
  const auto* v = find(json, names);
  if (v == nullptr) return 0;
  if (v->is_number_integer()) return v->get<std::int64_t>();
  if (v->is_number_unsigned()) {
    auto u = v->get<std::uint64_t>();
    return u > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(u);
  }
  if (v->is_string()) {
    const auto& s = v->get_ref<const std::string&>();
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec == std::errc{} && end == s.data() + s.size()) return value;
  }
  return 0;
}

bool boolean(const nlohmann::json& json, std::initializer_list<std::string_view> names) {
  const auto* v = find(json, names);
  return v != nullptr && v->is_boolean() && v->get<bool>();
}

std::vector<std::string> texts(const nlohmann::json& json, std::initializer_list<std::string_view> names) {
  std::vector<std::string> out;
  const auto* v = find(json, names);
  if (v == nullptr || !v->is_array()) return out;
  for (const auto& item : *v) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

std::map<std::string, std::string> text_map(const nlohmann::json& json,
                                            std::initializer_list<std::string_view> names) {
  std::map<std::string, std::string> out;
  const auto* v = find(json, names);
  if (v == nullptr || !v->is_object()) return out;
  for (auto it = v->begin(); it != v->end(); ++it) {
    if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
  }
  return out;
}

}  // namespace va::livekit::json_fields
