// What the configuration tests ask of a LoadResult: all its errors as text (for failure messages), and
// whether one error at `path` says `fragment`; and loading with one environment variable set.
#pragma once

#include <algorithm>
#include <optional>
#include <string>

#include "common/config.hpp"

namespace va::config::test {

inline std::string errors(const LoadResult& r) {
  std::string s;
  for (const auto& d : r.errors) s += d.to_string() + "\n";
  return s;
}

inline bool has_error(const LoadResult& r, const std::string& path, const std::string& fragment) {
  return std::any_of(r.errors.begin(), r.errors.end(), [&](const Diagnostic& d) {
    return d.path == path && d.message.find(fragment) != std::string::npos;
  });
}

// Loads `text` with the environment holding only `name` (unset when `value` is empty).
inline LoadResult load_with_env(const std::string& text, std::string name, std::optional<std::string> value) {
  LoadOptions options;
  options.env = [name = std::move(name),
                 value = std::move(value)](const std::string& asked) -> std::optional<std::string> {
    return asked == name ? value : std::nullopt;
  };
  return load_string(text, options);
}

}  // namespace va::config::test
