// Reading protobuf JSON from the LiveKit server without trusting it: a missing or mistyped field reads as
// its default (as protobuf does for unset fields), int64 values may come as strings or numbers.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace va::livekit::json_fields {

// The first of `names` present in `json` (snake_case and lowerCamelCase spellings), else nullptr.
const nlohmann::json* find(const nlohmann::json& json, std::initializer_list<std::string_view> names);

std::string text(const nlohmann::json& json, std::initializer_list<std::string_view> names);
std::int64_t integer(const nlohmann::json& json, std::initializer_list<std::string_view> names);
bool boolean(const nlohmann::json& json, std::initializer_list<std::string_view> names);
std::vector<std::string> texts(const nlohmann::json& json, std::initializer_list<std::string_view> names);
std::map<std::string, std::string> text_map(const nlohmann::json& json,
                                            std::initializer_list<std::string_view> names);

}  // namespace va::livekit::json_fields
