// What the configuration tests ask of a LoadResult: all its errors as text (for failure messages), and
// whether one error at `path` says `fragment`.
#pragma once

#include <algorithm>
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

}  // namespace va::config::test
