// Command-line overrides: "--set key.path=value", list items as "sip.listen[0]=udp://127.0.0.1:5070".
// The value is read as YAML ("true", "5", "[a, b]" keep their types); anything that is not valid YAML is
// taken as a plain string.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>

namespace va::config {

struct OverrideTarget {
  std::string path;  // normalised "a.b[0].c"
  std::string value;
};

// Splits "a.b[0]=v"; nullopt with `error` set when the syntax is wrong.
std::optional<OverrideTarget> parse_override(std::string_view spec, std::string& error);

// Sets the value at `target.path` in `root`, creating mappings as needed; a list index may address an
// existing item or append one (index == size). Returns an error message, or empty on success.
std::string apply_override(YAML::Node& root, const OverrideTarget& target);

}  // namespace va::config
