// A configuration from YAML text for unit tests, without the environment (no ${VAR} leaks in from the
// machine running the tests); a load error is a test failure listing every diagnostic.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "common/config.hpp"

namespace va::test {

inline config::Config load_valid_config(const std::string& yaml) {
  config::LoadOptions options;
  options.env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  auto r = config::load_string(yaml, options);
  std::string errors;
  for (const auto& d : r.errors) errors += d.to_string() + "\n";
  EXPECT_TRUE(r.ok()) << errors;
  return r.config;
}

}  // namespace va::test
